from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("chamados/", views.ticket_list, name="list"),
    path("chamados/novo/", views.ticket_create, name="create"),
    path("chamados/<int:pk>/", views.ticket_detail, name="detail"),
    path("chamados/<int:pk>/acao/<slug:event>/", views.ticket_action, name="action"),
    path("fila/", views.queue, name="queue"),
]

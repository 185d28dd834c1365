from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("chamados/", views.ticket_list, name="list"),
    path("chamados/novo/", views.ticket_create, name="create"),
    path("chamados/<int:pk>/", views.ticket_detail, name="detail"),
    path("chamados/<int:pk>/acao/<slug:event>/", views.ticket_action, name="action"),
    path("chamados/<int:pk>/github/", views.github_open, name="github_open"),
    path("fila/", views.queue, name="queue"),
    path("github/webhook/", views.github_webhook, name="github_webhook"),
    path("desenvolvimento/", views.github_board, name="github_board"),
]

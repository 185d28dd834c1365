from django.urls import path

from . import routine_views, textura_views, views

app_name = "tickets"
urlpatterns = [
    path("chamados/", views.ticket_list, name="list"),
    path("chamados/novo/", views.ticket_create, name="create"),
    path("chamados/<id:pk>/", views.ticket_detail, name="detail"),
    path("chamados/<id:pk>/acao/<slug:event>/", views.ticket_action, name="action"),
    path("chamados/<id:pk>/github/", views.github_open, name="github_open"),
    path("chamados/<id:pk>/vincular/", views.ticket_link, name="link_reply"),
    path("fila/", views.queue, name="queue"),
    path("anexos/<id:pk>/", views.attachment, name="attachment"),
    path("emails/", views.inbox, name="inbox"),
    path("emails/<id:pk>/original/", views.inbox_raw, name="inbox_raw"),
    path("github/webhook/", views.github_webhook, name="github_webhook"),
    path("desenvolvimento/", views.github_board, name="github_board"),
    path("rotina/", routine_views.my_routine, name="routine"),
    path("rotina/<id:item>/", routine_views.mark, name="routine_mark"),
    path("rotina/equipe/", routine_views.team, name="routine_team"),
    path("revisar-ontem/", routine_views.review, name="review"),
    path("revisar-ontem/<id:pk>/abrir/", routine_views.open_from_review, name="review_open"),
    path("textura/arquitetos/", textura_views.architects, name="architects"),
    path("textura/arquitetos/novo/", textura_views.architect_edit, name="architect_create"),
    path("textura/arquitetos/<id:pk>/", textura_views.architect_edit, name="architect"),
    path("textura/romaneios/", textura_views.romaneios, name="romaneios"),
    path("textura/romaneios/novo/", textura_views.romaneio_edit, name="romaneio_create"),
    path("textura/romaneios/<id:pk>/", textura_views.romaneio_detail, name="romaneio"),
    path("textura/romaneios/<id:pk>/editar/", textura_views.romaneio_edit, name="romaneio_edit"),
    path(
        "textura/romaneios/<id:pk>/acao/<slug:event>/",
        textura_views.romaneio_action,
        name="romaneio_action",
    ),
]

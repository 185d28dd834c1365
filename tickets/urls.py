from django.urls import path

from . import conversation_views, list_views, routine_views, textura_views, views

app_name = "tickets"
urlpatterns = [
    path("chamados/", list_views.ticket_list, name="list"),
    path("chamados/lote/", list_views.bulk, name="bulk"),
    path("chamados/novo/clientes/", list_views.client_search, name="client_search"),
    path("chamados/novo/cliente/", list_views.client_pick, name="client_pick"),
    path("chamados/novo/", views.ticket_create, name="create"),
    path("chamados/<id:pk>/", views.ticket_detail, name="detail"),
    path("chamados/<id:pk>/acao/<slug:event>/", views.ticket_action, name="action"),
    path("chamados/<id:pk>/github/", views.github_open, name="github_open"),
    path("chamados/<id:pk>/vincular/", views.ticket_link, name="link_reply"),
    path("chamados/<id:pk>/responder/", conversation_views.reply, name="reply"),
    path("chamados/<id:pk>/citar/", conversation_views.quote, name="reply_quote"),
    path("chamados/<id:pk>/presenca/", conversation_views.presence, name="presence"),
    path("respostas/anexos/<id:pk>/", conversation_views.reply_file, name="reply_file"),
    path("fila/", list_views.queue, name="queue"),
    path("anexos/<id:pk>/", views.attachment, name="attachment"),
    path("emails/", views.inbox, name="inbox"),
    path("emails/<id:pk>/original/", views.inbox_raw, name="inbox_raw"),
    path("emails/<id:pk>/html/", views.email_html, name="email_html"),
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

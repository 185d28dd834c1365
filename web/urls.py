from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import (
    console_views,
    converters,  # noqa: F401  (registers <id:...>, before the includes)
    orcamento_views,
    sales_views,
    triage_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("entrar/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sair/", auth_views.LogoutView.as_view(), name="logout"),
    path("fichas/", views.ficha_search, name="ficha_search"),
    path("fichas/<id:pk>/", sales_views.ficha_detail, name="ficha_detail"),
    path(
        "fichas/<id:pk>/agendamentos/",
        sales_views.ficha_agendamentos,
        name="ficha_agendamentos",
    ),
    path("fichas/<id:pk>/movimentacao/", sales_views.add_movimentacao, name="add_movimentacao"),
    path("fichas/<id:pk>/agendamento/", sales_views.add_agendamento, name="add_agendamento"),
    path("fichas/<id:pk>/venda/", sales_views.add_sale, name="add_sale"),
    path("fichas/<id:pk>/dado-sensivel/", sales_views.propose_change, name="propose_change"),
    path("fichas/<id:pk>/inativar/", sales_views.inactivate, name="inactivate"),
    path(
        "fichas/<id:pk>/resposta-inativacao/",
        sales_views.inactivation_answer,
        name="inactivation_answer",
    ),
    path(
        "agendamentos/<id:pk>/<slug:action>/",
        sales_views.agendamento_action,
        name="agendamento_action",
    ),
    path("fichas/<id:pk>/atendimento/", triage_views.start, name="triage_start"),
    path("atendimentos/ofertas/", triage_views.offers, name="triage_offers"),
    path("atendimentos/<id:pk>/", triage_views.detail, name="triage_detail"),
    path("atendimentos/<id:pk>/assumir/", triage_views.accept, name="triage_accept"),
    path("atendimentos/<id:pk>/venda/", triage_views.sell, name="triage_sell"),
    path("atendimentos/<id:pk>/preco/", triage_views.price, name="triage_price"),
    path("atendimentos/<id:pk>/comercial/", triage_views.comercial, name="triage_comercial"),
    path("atendimentos/<id:pk>/encerrar/", triage_views.close, name="triage_close"),
    path("fichas/<id:pk>/orcamento/", orcamento_views.create, name="orcamento_create"),
    path("orcamentos/<id:pk>/", orcamento_views.detail, name="orcamento_detail"),
    path("orcamentos/<id:pk>/item/", orcamento_views.set_item, name="orcamento_item"),
    path(
        "orcamentos/<id:pk>/item/<id:item_id>/remover/",
        orcamento_views.remove_item,
        name="orcamento_remove_item",
    ),
    path("orcamentos/<id:pk>/passo/<slug:event>/", orcamento_views.step, name="orcamento_step"),
    path("orcamentos/<id:pk>/enviar/", orcamento_views.send, name="orcamento_send"),
    path("orcamentos/<id:pk>/aceite/", orcamento_views.accept, name="orcamento_accept"),
    path("orcamentos/<id:pk>/recusa/", orcamento_views.reject, name="orcamento_reject"),
    path("orcamentos/<id:pk>/documento/", orcamento_views.document, name="orcamento_document"),
    path("orcamentos/<id:pk>/pdf/", orcamento_views.pdf, name="orcamento_pdf"),
    path("gestor/", console_views.manager_console, name="manager_console"),
    path("gestor/<slug:slug>/", console_views.console_list, name="console_list"),
    path("vendas/<id:pk>/comissao/", console_views.settle_commission, name="settle_commission"),
    path(
        "disponibilidade/<id:user_id>/",
        console_views.set_availability,
        name="set_availability",
    ),
    path("fluxos/", views.flows, name="flows"),
    path("historico/<id:ct>/<id:pk>/", views.history, name="history"),
    path("historico/<id:ct>/<id:pk>/excecao/", views.add_override, name="add_override"),
    path("validar/<str:token>/", views.holder_validation, name="holder_validation"),
    path("suporte/", include("tickets.urls")),
    path("cadastros/", include("onboarding.urls")),
    path("indicadores/", include("web.indicators_urls")),
    path("admin/", admin.site.urls),
]

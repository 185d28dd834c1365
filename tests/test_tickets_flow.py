"""G3stor tickets: the TicketFlow states, audit, roles (T2, T4) and their pages."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.tickets_support.helpers import new_ticket
from tickets import desk
from tickets.models import Ticket
from workflows.models import AuditEntry
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, username="carla", first_name="Carla")


@pytest.fixture
def ticket(support, clock):
    return new_ticket(support)


def states_of(ticket):
    return [(a.from_state, a.to_state) for a in AuditEntry.for_object(ticket)]


def test_T4_ticket_walks_every_state_and_each_change_keeps_who_when_why(ticket, support, clock):
    assert ticket.state == "aberto"
    steps = [
        ("analyse", "olhando os logs do envio"),
        ("ask_client", "pedi o número do processo"),
        ("client_replied", "mandou o número 0001234-55"),
    ]
    for event, reason in steps:
        desk.ticket_act(ticket, event, actor=support, reason=reason)
    Ticket.objects.filter(pk=ticket.pk).update(github_issue_number=7)
    desk.ticket_act(ticket, "develop", actor=support, reason="erro no robô do TJSP")
    desk.ticket_act(ticket, "conclude", actor=support, reason="corrigido, avisei a cliente")
    desk.ticket_act(ticket, "reopen", actor=support, reason="voltou a falhar hoje")

    ticket.refresh_from_db()
    assert ticket.state == "em_analise"
    assert states_of(ticket) == [
        ("aberto", "em_analise"),
        ("em_analise", "aguardando_cliente"),
        ("aguardando_cliente", "em_analise"),
        ("em_analise", "em_desenvolvimento"),
        ("em_desenvolvimento", "concluido"),
        ("concluido", "em_analise"),
    ]
    entries = list(AuditEntry.for_object(ticket))
    assert all(e.actor == support and e.at == clock.now() for e in entries)
    assert [e.reason for e in entries][-1] == "voltou a falhar hoje"
    assert all("T4" in e.rule_ids or "T7" in e.rule_ids for e in entries)


def test_T4_change_without_a_reason_is_refused_and_nothing_is_written(ticket, support):
    for placeholder in ["", "   ", "...", "…"]:
        with pytest.raises(TransitionRefused) as refused:
            desk.ticket_act(ticket, "analyse", actor=support, reason=placeholder)
        assert "T4" in refused.value.rule_ids
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == ("aberto", 0)
    assert not AuditEntry.for_object(ticket).exists()


def test_T4_events_outside_their_state_are_refused(ticket, support):
    with pytest.raises(TransitionRefused, match="quando está “Aberto”"):
        desk.ticket_act(ticket, "reopen", actor=support, reason="reabrindo sem motivo real")
    with pytest.raises(TransitionRefused):
        desk.ticket_act(ticket, "client_replied", actor=support, reason="cliente respondeu")
    desk.ticket_act(ticket, "conclude", actor=support, reason="resolvido no primeiro contato")
    with pytest.raises(TransitionRefused):
        desk.ticket_act(ticket, "respond", actor=support, reason="atualização de status")
    assert Ticket.objects.get(pk=ticket.pk).state == "concluido"


def test_T7_development_needs_a_github_issue(ticket, support):
    with pytest.raises(TransitionRefused) as refused:
        desk.ticket_act(ticket, "develop", actor=support, reason="precisa de correção")
    assert refused.value.rule_ids == ("T7",)
    assert Ticket.objects.get(pk=ticket.pk).state == "aberto"


def test_T4_roles_are_enforced_on_the_server(ticket, make_user):
    for outsider in [make_user(AGENT), make_user(SELLER)]:
        with pytest.raises(TransitionRefused, match="Seu perfil não permite"):
            desk.ticket_act(ticket, "analyse", actor=outsider, reason="tentando analisar")
    dev = make_user(SUPPORT_DEV)
    with pytest.raises(TransitionRefused, match="Seu perfil não permite"):
        desk.ticket_act(ticket, "assign", actor=dev, reason="pegando para mim", assignee=dev)
    # GitHub-driven events are the system's (the webhook), not a person's.
    with pytest.raises(TransitionRefused):
        desk.ticket_act(ticket, "dev_reopened", actor=make_user(MANAGER), reason="forçando")
    desk.ticket_act(ticket, "analyse", actor=dev, reason="dev olhando o erro")
    assert Ticket.objects.get(pk=ticket.pk).state == "em_analise"


def test_T4_assign_changes_the_assignee_only_to_support_people(ticket, support, make_user):
    seller = make_user(SELLER)
    with pytest.raises(TransitionRefused, match="alguém do suporte"):
        desk.ticket_act(ticket, "assign", actor=support, reason="passando adiante", assignee=seller)
    dev = make_user(SUPPORT_DEV)
    desk.ticket_act(ticket, "assign", actor=support, reason="precisa de olho técnico", assignee=dev)
    ticket.refresh_from_db()
    assert ticket.assignee == dev
    entry = AuditEntry.for_object(ticket).get()
    assert (entry.event, entry.from_state, entry.to_state) == ("assign", "aberto", "aberto")


# -- pages ------------------------------------------------------------------------------------


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_T2_create_form_opens_a_ticket_and_shows_it_in_the_list(support, clock):
    client = login(support)
    assert "Abrir chamado" in client.get(reverse("tickets:create")).content.decode()
    response = client.post(
        reverse("tickets:create"),
        {
            "requester": "Escritório Almeida",
            "channel": "whatsapp",
            "subject": "Boleto não abre",
            "description": "O link do boleto de novembro dá erro 404.",
            "urgency": 3,
            "impact": 2,
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.created_by, ticket.channel, ticket.priority) == (support, "whatsapp", "P2")
    page = client.get(reverse("tickets:list")).content.decode()
    assert "Boleto não abre" in page and "Escritório Almeida" in page


def test_T2_create_form_refuses_bad_input_in_pt_br_and_writes_nothing(support):
    client = login(support)
    response = client.post(
        reverse("tickets:create"),
        {"channel": "email", "subject": "...", "description": "", "urgency": 9, "impact": 1},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Este campo é obrigatório" in page
    assert "Informe a ficha do cliente ou o nome do contato" in page
    assert not Ticket.objects.exists()


def test_T4_detail_shows_history_and_only_the_actions_of_the_user(ticket, support, make_user):
    desk.ticket_act(ticket, "analyse", actor=support, reason="verificando os logs")
    page = login(support).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "verificando os logs" in page and "Aberto → Em análise" in page
    assert "Carla" in page
    assert "Dar retorno ao cliente" in page and "Atribuir responsável" in page
    assert "Reabrir" not in page

    dev_page = login(make_user(SUPPORT_DEV)).get(reverse("tickets:detail", args=[ticket.pk]))
    assert "Dar retorno ao cliente" in dev_page.content.decode()
    assert "Atribuir responsável" not in dev_page.content.decode()


def test_T4_pages_are_refused_to_roles_outside_support(ticket, make_user):
    client = login(make_user(SELLER, AGENT))
    assert client.get(reverse("tickets:list")).status_code == 403
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 403
    url = reverse("tickets:action", args=[ticket.pk, "analyse"])
    assert client.post(url, {"reason": "tentando"}).status_code == 403
    assert login(make_user(SUPPORT_DEV)).get(reverse("tickets:create")).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).state == "aberto"


def test_T4_action_over_htmx_redirects_and_refusal_keeps_the_form(ticket, support):
    client = login(support)
    url = reverse("tickets:action", args=[ticket.pk, "analyse"])
    ok = client.post(url, {"reason": "abrindo a análise"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert ok["HX-Redirect"] == reverse("tickets:detail", args=[ticket.pk])
    refused = client.post(
        reverse("tickets:action", args=[ticket.pk, "reopen"]),
        {"reason": "reabrir agora"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert "Não é possível “Reabrir”" in refused.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).state == "em_analise"


def test_T4_post_without_csrf_token_is_refused(ticket, support):
    client = Client(enforce_csrf_checks=True)
    client.force_login(support)
    url = reverse("tickets:action", args=[ticket.pk, "analyse"])
    assert client.post(url, {"reason": "sem token"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).state == "aberto"

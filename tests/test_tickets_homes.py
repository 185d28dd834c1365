"""Início per role (issue 21, item 7): support's queue and SLA risk (T6), the support dev's
GitHub tickets (T7); a routine item with pendências is marked done only with a reason (T8)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import at
from tests.tickets_support.helpers import new_ticket
from tickets import desk, routine
from tickets.models import RoutineCheck, RoutineItem, Ticket, TicketNote
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_T6_support_home_shows_their_tickets_nearest_to_breach_and_the_views(make_user, clock):
    carla = make_user(SUPPORT, AGENT, first_name="Carla")
    other = make_user(SUPPORT, first_name="Davi")
    later = new_ticket(carla, subject="Pode esperar")
    clock.advance(dt.timedelta(minutes=30))
    for ticket in (later, new_ticket(carla, subject="Vence primeiro", urgency=4, impact=3)):
        desk.ticket_act(ticket, "assign", actor=carla, reason="comigo", assignee=carla)
    theirs = new_ticket(carla, subject="Do Davi")
    desk.ticket_act(theirs, "assign", actor=carla, reason="dele", assignee=other)
    clock.freeze(at(2027, 4, 19, 9, 50))
    page = login(carla).get(reverse("home")).content.decode()
    assert "Meus chamados e o SLA" in page
    first, second = page.index("Vence primeiro"), page.index("Pode esperar")
    assert first < second and "Do Davi" not in page
    assert "vence em 10 min úteis" in page  # P1: 30 business minutes from 09:30
    assert "vence em 3 h 10 min úteis" in page  # P3: 4 h from 09:00
    assert 'href="/suporte/chamados/?visao=meus">Meus: <strong>2</strong>' in page
    assert "Vencendo o SLA: <strong>1</strong>" in page


def test_T7_support_dev_home_shows_their_github_tickets_with_state_and_last_comment(
    make_user, clock
):
    dev = make_user(SUPPORT_DEV, first_name="Diego")
    carla = make_user(SUPPORT, first_name="Carla")
    linked = new_ticket(carla, subject="Exportador trava")
    desk.ticket_act(linked, "assign", actor=carla, reason="dev olha", assignee=dev)
    Ticket.objects.filter(pk=linked.pk).update(
        github_issue_number=42,
        github_issue_url="https://github.com/webplanet/g3stor/issues/42",
        github_issue_state="closed",
    )
    for text, minutes in (("Vou olhar amanhã", 0), ("Corrigido na 3.2", 5)):
        desk.ticket_note_add(
            linked,
            kind=TicketNote.Kind.GITHUB_COMMENT,
            text=text,
            external_author="@dev-joao",
            at=clock.now() + dt.timedelta(minutes=minutes),
        )
    new_ticket(carla, subject="Sem issue")  # not linked: not on the dev's home
    page = login(dev).get(reverse("home")).content.decode()
    assert "Meus chamados no GitHub" in page
    assert "Exportador trava" in page and "issue #42" in page and "fechada" in page
    assert "Corrigido na 3.2" in page and "Vou olhar amanhã" not in page and "@dev-joao" in page
    assert "Sem issue" not in page and "Meus chamados e o SLA" not in page
    seller_page = login(make_user(SELLER, AGENT)).get(reverse("home")).content.decode()
    assert "Meus chamados no GitHub" not in seller_page
    assert "Meus chamados e o SLA" not in seller_page


def test_T8_an_item_with_pendencias_needs_a_written_reason(make_user, clock):
    carla = make_user(SUPPORT, AGENT, first_name="Carla")
    new_ticket(carla, channel="email")  # item 1 has one e-mail ticket open
    with pytest.raises(TransitionRefused) as refused:
        routine.routine_item_mark(carla, RoutineItem.EMAIL)
    assert refused.value.rule_ids == ("T8",) and "1 pendência" in refused.value.message
    with pytest.raises(TransitionRefused):
        routine.routine_item_mark(carla, RoutineItem.EMAIL, reason="...")
    assert not RoutineCheck.objects.exists()
    check = routine.routine_item_mark(carla, RoutineItem.EMAIL, reason="Cliente responde só amanhã")
    assert (check.count_at_check, check.reason) == (1, "Cliente responde só amanhã")
    # An item at zero needs nothing.
    assert routine.routine_item_mark(carla, RoutineItem.ROMANEIOS).reason == ""


def test_T8_the_routine_page_refuses_without_reason_keeping_the_row_and_the_team_sees_it(
    make_user, clock
):
    carla = make_user(SUPPORT, AGENT, first_name="Carla")
    new_ticket(carla, channel="email")
    client = login(carla)
    url = reverse("tickets:routine_mark", args=[RoutineItem.EMAIL])
    page = client.get(reverse("tickets:routine")).content.decode()
    assert "Por que marcar como feito com pendências" in page
    refused = client.post(url, {"feito": "1", "motivo": "  "}, headers=HX)
    assert refused.status_code == 422 and 'id="rotina-1"' in refused.content.decode()
    assert "escreva por que marcá-lo como feito" in refused.content.decode()
    plain = client.post(url, {"feito": "1", "motivo": "..."})
    assert plain.status_code == 422 and 'value="..."' not in plain.content.decode()
    assert not RoutineCheck.objects.exists()
    done = client.post(url, {"feito": "1", "motivo": "Aguardando o TI do cliente"}, headers=HX)
    assert done.status_code == 200 and "Feito às 09:00" in done.content.decode()
    assert "Aguardando o TI do cliente" in done.content.decode()
    team = login(make_user(MANAGER)).get(reverse("tickets:routine_team"), {"dia": "2027-04-19"})
    page = team.content.decode()
    assert "Marcados como feitos com pendências" in page
    assert "Carla" in page and "Aguardando o TI do cliente" in page and "1 pendência" in page

"""The support daily routine (T8) and "revisar ontem" (T2)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import routine, textura
from tickets.models import Architect, Romaneio, RoutineCheck, RoutineItem, Ticket
from workflows.models import Movimentacao
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, AGENT, first_name="Carla")


def login(user):
    client = Client()
    client.force_login(user)
    return client


def mov(author, when, outcome="pending", reason="usage", text="Cliente não consegue emitir"):
    return Movimentacao.objects.create(
        ficha=make_ficha(name=f"Cliente {text[:12]}"),
        author=author,
        at=when,
        channel=Movimentacao.Channel.WHATSAPP,
        reason=reason,
        outcome=outcome,
        text=text,
    )


def test_T2_review_lists_unresolved_support_attendances_of_the_previous_business_day(
    support, make_user, clock
):
    seller = make_user(SELLER)
    friday = at(2027, 4, 16, 15)
    listed = [
        mov(support, friday, "pending", text="Erro ao gerar relatório"),
        mov(support, friday, "talked", "complaint", text="Reclamou da lentidão"),
        mov(support, friday, "no_answer", text="Tentativa sem resposta"),
    ]
    mov(support, friday, "resolved", text="Dúvida resolvida na hora")
    mov(support, friday, "talked", "usage", text="Explicado como filtrar")
    mov(seller, friday, "pending", text="Venda em andamento")
    mov(support, at(2027, 4, 15, 15), "pending", text="Quinta não entra")
    with_ticket = mov(support, friday, "pending", text="Já virou chamado")
    new_ticket(support, source_movimentacao=with_ticket)

    # Monday reviews Friday.
    assert routine.review_day() == dt.date(2027, 4, 16)
    assert list(routine.yesterday_to_review()) == listed
    page = login(support).get(reverse("tickets:review")).content.decode()
    assert "Erro ao gerar relatório" in page and "Reclamou da lentidão" in page
    assert "Dúvida resolvida" not in page and "Venda em andamento" not in page
    assert "Já virou chamado" not in page and "Quinta não entra" not in page


def test_T2_review_day_skips_tiradentes(support, clock):
    clock.freeze(at(2027, 4, 22, 9))  # Thursday after Tiradentes (Wednesday 21)
    tuesday = mov(support, at(2027, 4, 20, 11), text="Erro na intimação")
    assert routine.review_day() == dt.date(2027, 4, 20)
    assert list(routine.yesterday_to_review()) == [tuesday]


def test_T2_one_click_opens_the_ticket_once(support, clock):
    attendance = mov(support, at(2027, 4, 16, 15), text="Erro ao gerar relatório")
    client = login(support)
    url = reverse("tickets:review_open", args=[attendance.pk])
    response = client.post(url)
    ticket = Ticket.objects.get()
    assert response.url == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.ficha, ticket.source_movimentacao, ticket.channel, ticket.created_by) == (
        attendance.ficha,
        attendance,
        "whatsapp",
        support,
    )
    assert "Erro ao gerar relatório" in ticket.description
    again = client.post(url, follow=True)
    assert "já tem chamado" in again.content.decode()
    assert Ticket.objects.count() == 1
    assert list(routine.yesterday_to_review()) == []


def test_T2_review_is_refused_outside_support(make_user, support, clock):
    attendance = mov(support, at(2027, 4, 16, 15))
    seller = login(make_user(SELLER, AGENT))
    assert seller.get(reverse("tickets:review")).status_code == 403
    assert seller.post(reverse("tickets:review_open", args=[attendance.pk])).status_code == 403
    assert not Ticket.objects.exists()


def test_T8_checklist_has_the_seven_items_with_live_counts_and_links(support, clock):
    mov(support, at(2027, 4, 16, 15))  # 2: one attendance to review
    new_ticket(support, channel="email")  # 1: an e-mail ticket still open
    new_ticket(support, channel="phone", needs_development=True)  # 7: needs an issue
    old = textura.save_architect({"name": "Rui Tavares", "phone": "11 3333-4444"}, actor=support)
    Architect.objects.filter(pk=old.pk).update(updated_at=clock.now() - dt.timedelta(days=200))
    Romaneio.objects.create(
        number="TX-1", date=dt.date(2027, 4, 16), store="Moema", client="Ana", created_by=support
    )

    rows = {row["item"]: row for row in routine.checklist(support)}
    assert list(rows) == list(RoutineItem)
    assert {item: rows[item]["count"] for item in RoutineItem} == {
        RoutineItem.EMAIL: 1,
        RoutineItem.OPEN_TICKETS: 1,
        RoutineItem.ARCHITECTS: 1,
        RoutineItem.TICKET_STATUS: 0,
        RoutineItem.ROMANEIOS: 1,
        RoutineItem.WAITING_CLIENTS: 2,
        RoutineItem.GITHUB: 1,
    }
    # Two business days later, nobody touched those tickets: their status is stale (T4).
    clock.freeze(at(2027, 4, 22, 9))
    assert {r["item"]: r["count"] for r in routine.checklist(support)}[
        RoutineItem.TICKET_STATUS
    ] == 2
    page = login(support).get(reverse("tickets:routine")).content.decode()
    for item in RoutineItem:
        assert item.label in page
    for name in ["tickets:review", "tickets:architects", "tickets:romaneios", "tickets:queue"]:
        assert reverse(name) in page
    listing = login(support).get(reverse("tickets:list") + "?parados=1").content.decode()
    assert listing.count("Intimações não chegam") == 2


def test_T8_marking_done_is_per_agent_day_and_item(support, make_user, clock):
    client = login(support)
    url = reverse("tickets:routine_mark", args=[RoutineItem.ROMANEIOS])
    response = client.post(url, {"feito": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Feito às 09:00" in response.content.decode()
    client.post(url, {"feito": "1"})  # a double click changes nothing
    check = RoutineCheck.objects.get()
    assert (check.user, check.day, check.item, check.done_at) == (
        support,
        dt.date(2027, 4, 19),
        RoutineItem.ROMANEIOS,
        clock.now(),
    )
    client.post(url, {"feito": "0"})
    assert not RoutineCheck.objects.exists()
    client.post(reverse("tickets:routine_mark", args=[9]), {"feito": "1"})
    assert not RoutineCheck.objects.exists()
    # Tomorrow the checklist starts empty again.
    client.post(url, {"feito": "1"})
    clock.advance(dt.timedelta(days=1))
    assert all(row["check"] is None for row in routine.checklist(support))
    assert login(make_user(SELLER)).post(url, {"feito": "1"}).status_code == 403


def test_T8_manager_sees_who_completed_what_per_day(support, make_user, clock):
    bruno = make_user(SUPPORT, first_name="Bruno")
    routine.routine_item_mark(support, RoutineItem.EMAIL)
    routine.routine_item_mark(support, RoutineItem.WAITING_CLIENTS)
    clock.advance(dt.timedelta(days=1))
    routine.routine_item_mark(bruno, RoutineItem.EMAIL)

    report = {row["user"]: row for row in routine.team_report(dt.date(2027, 4, 19))}
    assert report[support]["done"] == 2 and report[bruno]["done"] == 0
    assert [c is not None for c in report[support]["cells"]] == [
        True, False, False, False, False, True, False,
    ]  # fmt: skip
    manager = login(make_user(MANAGER))
    page = manager.get(reverse("tickets:routine_team"), {"dia": "2027-04-19"}).content.decode()
    assert "Carla" in page and "Bruno" in page and "2/7" in page and "0/7" in page
    today = manager.get(reverse("tickets:routine_team")).content.decode()
    assert "20/04/2027" in today and "1/7" in today
    assert login(support).get(reverse("tickets:routine_team")).status_code == 403
    assert login(make_user(MANAGER)).get(reverse("tickets:routine")).status_code == 403

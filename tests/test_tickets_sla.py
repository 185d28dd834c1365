"""T6: SLA in business time (company calendar + 09:00–18:00), priority, queue, timers."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import at
from tests.tickets_support.helpers import new_ticket
from tickets import desk, sla, sla_alerts, sla_queue
from tickets.models import Level, SlaPolicy, Ticket, TicketAlert, priority_for
from workflows import timers
from workflows.models import CompanyHoliday, Timer
from workflows.roles import MANAGER, SUPPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def p3(db):
    return SlaPolicy.objects.get(priority="P3")  # 240 first / 540 next / 2700 resolution


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, email="carla@webplanet.test", first_name="Carla")


@pytest.fixture
def manager(make_user):
    return make_user(MANAGER, email="gestor@webplanet.test")


def test_T6_business_minutes_skip_nights_weekends_and_tiradentes(p3):
    # 2027-04-21 (Wednesday) is Tiradentes, a national holiday.
    assert sla.add_business_minutes(at(2027, 4, 20, 17), 120, p3) == at(2027, 4, 22, 10)
    # Friday evening → Monday morning.
    assert sla.add_business_minutes(at(2027, 4, 23, 17, 30), 60, p3) == at(2027, 4, 26, 9, 30)
    # Before opening and on a Saturday the clock starts at 09:00 of the next business day.
    assert sla.add_business_minutes(at(2027, 4, 19, 7), 30, p3) == at(2027, 4, 19, 9, 30)
    assert sla.add_business_minutes(at(2027, 4, 24, 15), 30, p3) == at(2027, 4, 26, 9, 30)
    # Exactly the end of a day stays on that day.
    assert sla.add_business_minutes(at(2027, 4, 19, 17), 60, p3) == at(2027, 4, 19, 18)


def test_T6_business_minutes_between_is_the_inverse_across_a_holiday(p3):
    start, end = at(2027, 4, 20, 17), at(2027, 4, 22, 10)
    assert sla.business_minutes_between(start, end, p3) == 120
    assert sla.business_minutes_between(end, start, p3) == -120
    assert sla.business_minutes_between(at(2027, 4, 24, 8), at(2027, 4, 25, 20), p3) == 0


@pytest.mark.parametrize("minutes", [1, 300, 539, 540, 541, 4_000, 60_000])
def test_T6_business_minutes_between_inverts_add_over_long_spans(p3, minutes):
    """Months late (Carnaval, Tiradentes, year turn on the way) counts the same as a day."""
    CompanyHoliday.objects.create(date=dt.date(2028, 2, 28), name="Carnaval")
    CompanyHoliday.objects.create(date=dt.date(2028, 2, 29), name="Carnaval")
    for start in (at(2027, 4, 20, 17), at(2027, 12, 30, 8), at(2027, 4, 24, 11)):
        end = sla.add_business_minutes(start, minutes, p3)
        assert sla.business_minutes_between(start, end, p3) == minutes


def test_T6_company_calendar_and_policy_hours_are_honoured(p3):
    CompanyHoliday.objects.create(date=dt.date(2027, 4, 26), name="Emenda")
    assert sla.add_business_minutes(at(2027, 4, 23, 17, 30), 60, p3) == at(2027, 4, 27, 9, 30)
    short_day = SlaPolicy.objects.create(
        name="Meio período",
        first_response_minutes=60,
        next_update_minutes=60,
        resolution_minutes=600,
        work_start=dt.time(8, 0),
        work_end=dt.time(12, 0),
    )
    assert sla.add_business_minutes(at(2027, 4, 19, 11, 30), 60, short_day) == at(
        2027, 4, 20, 8, 30
    )


def test_T6_sla_clock_stops_on_sao_paulo_city_and_state_holidays(p3):
    # Fri 22/01 17:00 + 120 min: 60 min on Friday, Mon 25/01 closed (city), 60 min on Tuesday.
    assert sla.add_business_minutes(at(2027, 1, 22, 17), 120, p3) == at(2027, 1, 26, 10)
    # Thu 08/07 17:30 + 60 min: Fri 09/07 closed (state), weekend, Mon 12/07 09:30.
    assert sla.add_business_minutes(at(2027, 7, 8, 17, 30), 60, p3) == at(2027, 7, 12, 9, 30)
    assert sla.business_minutes_between(at(2027, 7, 8, 17), at(2027, 7, 12, 10), p3) == 120


def test_T6_priority_from_urgency_times_impact_picks_the_policy(support, clock):
    assert priority_for(Level.CRITICAL, Level.HIGH) == "P1"
    assert priority_for(Level.HIGH, Level.MEDIUM) == "P2"
    assert priority_for(Level.LOW, Level.HIGH) == "P3"
    assert priority_for(Level.LOW, Level.MEDIUM) == "P4"
    ticket = new_ticket(support, urgency=Level.CRITICAL, impact=Level.CRITICAL)
    assert (ticket.priority, ticket.sla_policy.priority) == ("P1", "P1")
    # First response in 30 business minutes from Monday 09:00.
    assert ticket.response_due_at == at(2027, 4, 19, 9, 30)


def test_T6_new_ticket_deadlines_run_over_tiradentes(support, clock, p3):
    clock.freeze(at(2027, 4, 20, 17))
    ticket = new_ticket(support, urgency=Level.LOW, impact=Level.HIGH, sla_policy=p3)
    assert ticket.response_due_at == at(2027, 4, 22, 12)  # 60 min Tue + 180 min Thu
    assert ticket.resolution_due_at == at(2027, 4, 28, 17)  # 2700 min = 5 working days
    keys = set(Timer.for_object(ticket).values_list("key", flat=True))
    assert keys == set(sla_alerts.SLA_TIMERS)


def test_T6_warning_at_80_percent_to_assignee_then_breach_escalates_to_managers(
    support, manager, clock, p3, mailoutbox
):
    clock.freeze(at(2027, 4, 20, 17))
    ticket = new_ticket(support, sla_policy=p3, assignee=support)
    # 80 % of 240 business minutes = 192: 60 on Tuesday, 132 on Thursday → 11:12.
    warning = Timer.for_object(ticket).get(key="sla_response_warning")
    assert warning.due_at == at(2027, 4, 22, 11, 12)

    clock.freeze(at(2027, 4, 22, 11, 11))
    assert timers.fire(warning.pk, warning.due_at.isoformat()) == "not-due"
    clock.freeze(at(2027, 4, 22, 11, 12))
    assert timers.sweep() == 1
    alert = TicketAlert.objects.get()
    assert (alert.kind, alert.target, alert.due_at) == ("warning", "response", at(2027, 4, 22, 12))
    assert [m.to for m in mailoutbox] == [["carla@webplanet.test"]]
    assert "perto de vencer" in mailoutbox[0].subject

    clock.freeze(at(2027, 4, 22, 12))
    assert timers.sweep() == 1
    breach = TicketAlert.objects.get(kind="breach")
    assert breach.target == "response"
    assert mailoutbox[1].to == ["gestor@webplanet.test"]
    assert "SLA estourado" in mailoutbox[1].subject
    # Firing again for the same deadline does not alert twice.
    sla_alerts.sla_response_breach(Ticket.objects.get(pk=ticket.pk))
    assert TicketAlert.objects.filter(kind="breach").count() == 1


def test_T6_status_update_counts_as_response_and_rearms_the_next_update(
    support, manager, clock, p3, mailoutbox
):
    clock.freeze(at(2027, 4, 20, 17))
    ticket = new_ticket(support, sla_policy=p3, assignee=support)
    old = Timer.for_object(ticket).get(key="sla_response_breach")
    old_due = old.due_at.isoformat()

    clock.freeze(at(2027, 4, 22, 11))
    desk.ticket_act(ticket, "respond", actor=support, reason="Estamos verificando, retorno amanhã.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.last_response_at == at(2027, 4, 22, 11)
    # Next update: 540 business minutes → Friday 11:00.
    assert ticket.response_due_at == at(2027, 4, 23, 11)
    rearmed = Timer.for_object(ticket).get(key="sla_response_breach")
    assert rearmed.due_at == at(2027, 4, 23, 11)

    clock.freeze(at(2027, 4, 22, 12, 30))
    assert timers.fire(old.pk, old_due) == "rearmed"
    assert timers.sweep() == 0
    assert not TicketAlert.objects.exists()
    # Only the status update itself went out, to the client (T1), no SLA alert.
    assert [m.to for m in mailoutbox] == [["marina@example.com"]]
    assert "SLA" not in mailoutbox[0].subject


def test_T6_waiting_for_the_client_stops_the_response_clock_until_they_reply(support, clock, p3):
    ticket = new_ticket(support, sla_policy=p3)
    desk.ticket_act(ticket, "analyse", actor=support, reason="olhando")
    desk.ticket_act(ticket, "ask_client", actor=support, reason="pedi o print do erro")
    ticket.refresh_from_db()
    assert ticket.response_due_at is None
    assert Timer.for_object(ticket).get(key="sla_response_breach").outcome == "cancelled"
    assert ticket not in [row["ticket"] for row in sla_queue.waiting_queue()[0]]

    clock.freeze(at(2027, 4, 20, 10))
    desk.ticket_act(ticket, "client_replied", actor=support, reason="mandou o print")
    ticket.refresh_from_db()
    assert ticket.response_due_at == at(2027, 4, 22, 10)  # +540 min, over Tiradentes
    assert Timer.for_object(ticket).get(key="sla_response_breach").fired_at is None


def test_T6_concluding_disarms_every_sla_timer_and_reopening_rearms(support, clock, p3):
    ticket = new_ticket(support, sla_policy=p3)
    desk.ticket_act(ticket, "conclude", actor=support, reason="resolvido por telefone")
    assert set(Timer.for_object(ticket).values_list("outcome", flat=True)) == {"cancelled"}
    clock.advance(dt.timedelta(days=30))
    assert timers.sweep() == 0
    desk.ticket_act(ticket, "reopen", actor=support, reason="cliente disse que voltou")
    ticket.refresh_from_db()
    assert ticket.resolved_at is None and ticket.response_due_at > clock.now()
    assert Timer.for_object(ticket).filter(fired_at__isnull=True).count() == 4


def test_T6_warning_without_assignee_goes_to_the_support_team(support, clock, p3, mailoutbox):
    ticket = new_ticket(support, sla_policy=p3)
    clock.freeze(ticket.response_due_at - dt.timedelta(minutes=1))
    timers.sweep()
    assert TicketAlert.objects.get().kind == "warning"
    assert mailoutbox[0].to == ["carla@webplanet.test"]


def test_T6_queue_orders_waiting_clients_by_time_to_breach(support, clock, make_user):
    low = new_ticket(support, subject="Dúvida de relatório", urgency=1, impact=1)  # P4: 540
    clock.advance(dt.timedelta(minutes=30))
    critical = new_ticket(support, subject="Sistema fora do ar", urgency=4, impact=4)  # P1: 30
    medium = new_ticket(support, subject="Erro no boleto", urgency=2, impact=2)  # P3: 240
    waiting = new_ticket(support, subject="Aguardando print", urgency=4, impact=4)
    desk.ticket_act(waiting, "analyse", actor=support, reason="olhando")
    desk.ticket_act(waiting, "ask_client", actor=support, reason="pedi o print")

    order = [row["ticket"] for row in sla_queue.waiting_queue()[0]]
    assert order == [critical, medium, low]

    clock.advance(dt.timedelta(minutes=45))  # the P1 first response is now late
    page = Client()
    page.force_login(support)
    html = page.get(reverse("tickets:queue")).content.decode()
    assert (
        html.index("Sistema fora do ar")
        < html.index("Erro no boleto")
        < html.index("Dúvida de relatório")
    )
    assert "Aguardando print" not in html
    assert "vencido há 15 min úteis" in html
    assert page.get(reverse("tickets:queue")).status_code == 200
    outsider = Client()
    outsider.force_login(make_user("seller"))
    assert outsider.get(reverse("tickets:queue")).status_code == 403


def test_T6_queue_pages_through_every_waiting_client_once(support, p3, clock, monkeypatch):
    from model_bakery import baker

    def ticket(subject, hours=None, urgency=2, state=Ticket.State.OPEN):
        due = clock.now() + dt.timedelta(hours=hours) if hours is not None else None
        return baker.make(
            Ticket,
            subject=subject,
            state=state,
            sla_policy=p3,
            response_due_at=due,
            resolution_due_at=None,
            urgency=urgency,
            impact=2,
        )

    dated = [ticket(f"Prazo {h}", hours=h) for h in (5, -2, 3, 0, 8, 1, -6)]
    undated = [ticket(f"Sem prazo {u}", urgency=u) for u in (1, 4, 3)]
    ticket("Concluído", hours=1, state=Ticket.State.DONE)
    expected = sorted(dated, key=lambda t: t.next_breach_at) + sorted(
        undated, key=lambda t: -t.urgency
    )
    pages = [sla_queue.waiting_queue(page, size=3) for page in range(1, 6)]
    assert [more for _, more in pages] == [True, True, True, False, False]
    assert [row["ticket"] for rows, _ in pages for row in rows] == expected
    # page 3 straddles the two parts: the latest deadline, then the most urgent without one
    assert [row["ticket"] for row in pages[2][0]] == [dated[4], undated[1], undated[2]]

    monkeypatch.setattr(sla_queue, "QUEUE_PAGE_SIZE", 3)
    client = Client()
    client.force_login(support)
    url = reverse("tickets:queue")
    second = client.get(url, {"pagina": 2}).content.decode()
    assert "4–6 de 10 clientes aguardando" in second
    assert 'href="?pagina=1">← Mais urgentes' in second and 'href="?pagina=3">Próximos' in second
    assert all(f"Prazo {h}<" in second for h in (1, 3, 5))
    assert "Prazo 8" not in second and "Prazo -6" not in second
    past_end = client.get(url, {"pagina": 9}).content.decode()
    assert "Esta página já passou do fim da fila." in past_end
    assert "1–3 de 10" in client.get(url, {"pagina": "x"}).content.decode()

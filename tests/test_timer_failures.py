"""Timer side effects once and failing timers (issue 18): each e-mail a timer sends is
recorded even when a later step fails, so a retry skips it; a handler that keeps failing backs
off, ends as "falhou" on the manager console, where a manager retries it; and failing timers
never hold back the healthy ones in the minute sweep."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.urls import reverse

from onboarding import training
from onboarding.models import TrainingSlot
from tests.conftest import at
from tests.flowapp.models import Errand
from tests.sales_fixtures import BITRIX, make_ficha
from workflows import timers
from workflows.models import Timer
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT

pytestmark = pytest.mark.django_db

HANDLER = "tests.test_timer_failures.always_broken"
OK_HANDLER = "tests.test_timer_failures.expire"
calls = []


def always_broken(errand):
    calls.append(errand.pk)
    Errand.objects.filter(pk=errand.pk).update(size=42)  # undone with the handler
    raise RuntimeError("serviço fora do ar")


def expire(errand):
    calls.append(errand.pk)
    from workflows.engine import transition

    transition(errand, "expire", actor=None, reason="prazo vencido")


def two_mails_second_fails(errand):
    """A handler with two e-mails; the second one fails while errand.size is 99."""
    timers.once("primeiro", lambda: mail.send_mail("Primeiro", "corpo", None, ["a@x.com.br"]))
    if Errand.objects.get(pk=errand.pk).size == 99:
        raise smtplib.SMTPException("servidor de e-mail recusou")
    timers.once("segundo", lambda: mail.send_mail("Segundo", "corpo", None, ["b@x.com.br"]))


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def overdue(clock, handler=HANDLER, **fields):
    errand = Errand.objects.create(**fields)
    timer = timers.arm(errand, "expiry", clock.now() + dt.timedelta(minutes=5), handler)
    return errand, timer


def test_retry_delay_doubles_and_is_capped():
    minutes = [timers.retry_delay(n) / dt.timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_failing_timer_backs_off_then_ends_failed_with_its_attempts_and_error(clock):
    errand, timer = overdue(clock)
    clock.advance(dt.timedelta(minutes=5))
    assert timers.sweep() == 0
    timer.refresh_from_db()
    assert (timer.attempts, timer.fired_at, timer.outcome) == (1, None, "")
    assert timer.retry_at == clock.now() + dt.timedelta(minutes=1)
    assert timer.last_error == "RuntimeError: serviço fora do ar"
    assert Errand.objects.get(pk=errand.pk).size == 0  # the handler's write was undone

    assert timers.sweep() == 0 and len(calls) == 1  # backing off: not tried every sweep
    assert timers.fire(timer.pk) == "backing-off"
    for attempt in range(2, timers.MAX_ATTEMPTS + 1):
        clock.advance(timers.retry_delay(attempt - 1))
        timers.sweep()
        assert len(calls) == attempt
    timer.refresh_from_db()
    assert (timer.outcome, timer.attempts) == ("failed", timers.MAX_ATTEMPTS)
    assert timer.fired_at == clock.now() and timer.retry_at is None

    clock.advance(dt.timedelta(days=1))
    assert timers.sweep() == 0
    assert timers.fire(timer.pk) == "already-done"
    assert len(calls) == timers.MAX_ATTEMPTS
    assert list(timers.failed()) == [timer]


def test_failing_timers_do_not_starve_the_healthy_ones(clock, monkeypatch):
    monkeypatch.setattr(timers, "SWEEP_LIMIT", 2)
    broken = [overdue(clock)[0] for _ in range(3)]
    clock.advance(dt.timedelta(minutes=1))
    healthy, _ = overdue(clock, handler=OK_HANDLER)  # due after all the broken ones
    clock.advance(dt.timedelta(minutes=5))
    timers.sweep()  # the two oldest broken ones take this sweep
    clock.advance(dt.timedelta(minutes=1))
    assert timers.sweep() == 1  # those that failed wait: the never-tried go first
    assert Errand.objects.get(pk=healthy.pk).state == "expired"
    assert sorted(calls) == sorted([b.pk for b in broken] + [healthy.pk])


def test_a_timer_whose_second_mail_fails_does_not_send_the_first_again(clock):
    errand, timer = overdue(clock, handler="tests.test_timer_failures.two_mails_second_fails")
    Errand.objects.filter(pk=errand.pk).update(size=99)
    clock.advance(dt.timedelta(minutes=5))
    for _ in range(3):  # three sweeps a back-off apart, the second e-mail failing each time
        timers.sweep()
        clock.advance(dt.timedelta(minutes=5))
    assert [m.subject for m in mail.outbox] == ["Primeiro"]
    timer.refresh_from_db()
    assert (timer.effects, timer.attempts) == (["primeiro"], 3)

    Errand.objects.filter(pk=errand.pk).update(size=1)  # the mail server is back
    assert timers.sweep() == 1
    assert [m.subject for m in mail.outbox] == ["Primeiro", "Segundo"]
    timer.refresh_from_db()
    assert (timer.outcome, timer.effects) == ("fired", ["primeiro", "segundo"])


def test_rearming_a_timer_starts_its_side_effects_and_attempts_anew(clock):
    errand, timer = overdue(clock, handler="tests.test_timer_failures.two_mails_second_fails")
    Errand.objects.filter(pk=errand.pk).update(size=99)
    clock.advance(dt.timedelta(minutes=5))
    timers.sweep()
    timer = timers.arm(errand, "expiry", clock.now() + dt.timedelta(days=1), timer.handler)
    assert (timer.effects, timer.attempts, timer.last_error, timer.retry_at) == ([], 0, "", None)


def test_once_outside_a_timer_just_runs():
    assert timers.once("x", lambda: 7) == 7


def test_G5_reminder_whose_attendant_mail_fails_reminds_the_client_only_once(
    make_user, clock, monkeypatch
):
    carla = make_user(SUPPORT, first_name="Carla", email="carla@empresa.com.br")
    ana = make_user(AGENT, SELLER)
    slot = training.training_slot_publish(
        actor=carla, date=dt.date(2027, 4, 23), shift="tarde", attendant=carla, capacity=2
    )
    ficha = make_ficha(email="bia@adv.com.br")
    booking = training.training_book(
        slot, ficha, actor=ana, channel="phone", text="Cliente quer aprender", bitrix_link=BITRIX
    )
    real_send = training.send_mail
    attendant_down = [True]

    def send(subject, body, sender, to):
        if to == [carla.email] and attendant_down[0]:
            raise smtplib.SMTPRecipientsRefused({carla.email: (550, b"caixa cheia")})
        return real_send(subject, body, sender, to)

    monkeypatch.setattr(training, "send_mail", send)
    clock.freeze(at(2027, 4, 22, 9, 0))
    for _ in range(4):  # the reported bug: 4 reminders to the client in 4 minutes
        timers.sweep()
        clock.advance(dt.timedelta(minutes=10))
    assert [m.to for m in mail.outbox] == [["bia@adv.com.br"]]
    timer = Timer.for_object(booking).get(key="reminder")
    assert timer.attempts == 4 and "SMTPRecipientsRefused" in timer.last_error

    attendant_down[0] = False
    assert timers.sweep() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["bia@adv.com.br", "carla@empresa.com.br"]
    booking.refresh_from_db()
    assert booking.reminded_at is not None


# --- the manager console -------------------------------------------------------------------


@pytest.fixture
def failed_timer(clock):
    errand, timer = overdue(clock)
    clock.advance(dt.timedelta(minutes=5))
    for attempt in range(1, timers.MAX_ATTEMPTS + 1):
        timers.sweep()
        clock.advance(timers.retry_delay(attempt))
    timer.refresh_from_db()
    assert timer.outcome == "failed"
    return errand, timer


def test_the_manager_console_lists_failed_timers_with_what_record_error_attempts(
    failed_timer, make_user, client
):
    errand, timer = failed_timer
    client.force_login(make_user(MANAGER))
    page = client.get(reverse("manager_console")).content.decode()
    assert "Prazos automáticos que falharam" in page
    assert "Expiração" in page and f"#{errand.pk}" in page
    # in the manager's words; the technical text stays in the admin and the log
    assert Timer.UNEXPECTED in page and "RuntimeError" not in page
    assert f"<td>{timers.MAX_ATTEMPTS}</td>" in page
    assert "Tentar de novo" in page
    listing = client.get(reverse("console_list", args=["prazos"]))
    assert listing.status_code == 200 and Timer.UNEXPECTED in listing.content.decode()


def test_the_manager_retries_a_failed_timer_and_it_fires_once(failed_timer, make_user, client):
    errand, timer = failed_timer
    client.force_login(make_user(MANAGER))
    Timer.objects.filter(pk=timer.pk).update(handler=OK_HANDLER)  # the bug was fixed
    url = reverse("console_list", args=["prazos"])
    response = client.post(url, {"prazo": timer.pk}, follow=True)
    assert "o prazo disparou" in response.content.decode()
    assert Errand.objects.get(pk=errand.pk).state == "expired"
    timer.refresh_from_db()
    assert timer.outcome == "fired" and timers.failed().count() == 0
    again = client.post(url, {"prazo": timer.pk})
    assert again.status_code == 422 and "nada a tentar de novo" in again.content.decode()
    assert calls.count(errand.pk) == timers.MAX_ATTEMPTS + 1


def test_a_retry_that_fails_again_stays_failed_and_says_why(failed_timer, make_user, client):
    errand, timer = failed_timer
    client.force_login(make_user(MANAGER))
    response = client.post(reverse("console_list", args=["prazos"]), {"prazo": timer.pk})
    assert response.status_code == 302
    timer.refresh_from_db()
    assert (timer.outcome, timer.attempts) == ("failed", timers.MAX_ATTEMPTS + 1)
    page = client.get(response.url).content.decode()
    assert f"A nova tentativa falhou: {Timer.UNEXPECTED}" in page
    assert timer.last_error == "RuntimeError: serviço fora do ar"  # kept for the admin


@pytest.mark.parametrize("value", ["", "abc", "-1", "9" * 40, "1\x00"])
def test_a_garbage_retry_is_refused_in_portuguese_and_changes_nothing(
    failed_timer, make_user, client, value
):
    errand, timer = failed_timer
    client.force_login(make_user(MANAGER))
    response = client.post(reverse("console_list", args=["prazos"]), {"prazo": value})
    assert response.status_code in (400, 422)
    assert "Prazo inválido" in response.content.decode()
    timer.refresh_from_db()
    assert timer.outcome == "failed" and timer.attempts == timers.MAX_ATTEMPTS


def test_only_a_manager_retries_a_failed_timer(failed_timer, make_user, client):
    errand, timer = failed_timer
    client.force_login(make_user(AGENT, SELLER, SUPPORT))
    response = client.post(reverse("console_list", args=["prazos"]), {"prazo": timer.pk})
    assert response.status_code == 403
    with pytest.raises(TransitionRefused) as refused:
        timers.timer_retry(timer.pk, actor=make_user(SUPPORT))
    assert refused.value.status_code == 403
    timer.refresh_from_db()
    assert timer.outcome == "failed" and len(calls) == timers.MAX_ATTEMPTS


def test_other_console_lists_refuse_a_post(make_user, client):
    client.force_login(make_user(MANAGER))
    assert client.post(reverse("console_list", args=["comissoes"])).status_code == 405


def test_disarming_a_failed_timer_takes_it_off_the_list(failed_timer):
    errand, timer = failed_timer
    timers.disarm(errand, "expiry")
    assert timers.failed().count() == 0
    assert Timer.objects.get(pk=timer.pk).outcome == "cancelled"


def test_G5_a_cancelled_booking_leaves_no_failed_reminder(make_user, clock):
    carla = make_user(SUPPORT, email="carla@empresa.com.br")
    slot = TrainingSlot.objects.create(
        date=dt.date(2027, 4, 23), shift="manha", attendant=carla, capacity=1, published_by=carla
    )
    booking = training.training_book(
        slot,
        make_ficha(),
        actor=make_user(SELLER),
        channel="phone",
        text="Quer aprender a usar",
        bitrix_link=BITRIX,
    )
    timer = Timer.for_object(booking).get(key="reminder")
    Timer.objects.filter(pk=timer.pk).update(outcome="failed", fired_at=clock.now())
    training.training_booking_cancel(
        booking, actor=make_user(SELLER), reason="cliente desistiu do curso"
    )
    assert timers.failed().count() == 0


def test_the_admin_retries_the_selected_failed_timers(failed_timer, admin_client):
    errand, timer = failed_timer
    Timer.objects.filter(pk=timer.pk).update(handler=OK_HANDLER)
    response = admin_client.post(
        reverse("admin:workflows_timer_changelist"),
        {"action": "retry_failed", "_selected_action": [timer.pk]},
        follow=True,
    )
    assert f"#{timer.pk}: Disparado" in response.content.decode()
    assert Errand.objects.get(pk=errand.pk).state == "expired"


@pytest.mark.parametrize(
    "error, problem",
    [
        ("SMTPRecipientsRefused: {'a@b': (550, b'no')}", "servidor de e-mail"),
        ("GitHubUnavailable: 503", "serviço externo"),
        ("ConnectionRefusedError: [Errno 111]", "serviço externo"),
        ("TimeoutError: timed out", "serviço externo"),
        ("OperationalError: database is locked", "banco de dados"),
        ("Rotina tickets.x.y não encontrada.", "não existe nesta versão"),
        ("KeyError: 'x'", "Erro inesperado"),
        ("", ""),
    ],
)
def test_a_failed_timer_says_what_went_wrong_in_the_managers_words(error, problem):
    timer = Timer(last_error=error)
    assert problem in timer.problem and "Error" not in timer.problem
    assert bool(timer.problem) == bool(error)

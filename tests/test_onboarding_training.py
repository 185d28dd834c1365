"""G5: training slots: support publishes, sales books (a movimentação), no overbooking even at
the same instant, reminders the day before, cancel and rebook."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from onboarding.models import OnboardingStep, TrainingBooking, TrainingSlot
from onboarding.training import (
    training_book,
    training_booking_cancel,
    training_mark_held,
    training_rebook,
    training_slot_publish,
)
from tests.conftest import at
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows import timers
from workflows.models import Ficha, Movimentacao, Timer
from workflows.refusals import TransitionRefused
from workflows.roles import CENTRAL, MANAGER, SELLER, SUPPORT

pytestmark = pytest.mark.django_db

D = dt.date
MANHA, TARDE = TrainingSlot.Shift.MORNING, TrainingSlot.Shift.AFTERNOON


@pytest.fixture
def carla(make_user):
    return make_user(SUPPORT, username="carla", first_name="Carla", email="carla@empresa.com.br")


THURSDAY = D(2027, 4, 22)


def slot(carla, day=THURSDAY, shift=MANHA, capacity=2):
    return training_slot_publish(
        actor=carla, date=day, shift=shift, attendant=carla, capacity=capacity
    )


def book(slot, ficha, actor, **kw):
    fields = {"channel": "phone", "text": "Cliente quer aprender a usar", "bitrix_link": BITRIX}
    return training_book(slot, ficha, actor=actor, **{**fields, **kw})


def test_G5_support_publishes_slots_with_day_shift_attendant_capacity(carla, clock):
    s = slot(carla)
    assert (s.date, s.shift, s.attendant, s.capacity, s.published_by) == (
        D(2027, 4, 22),
        MANHA,
        carla,
        2,
        carla,
    )
    assert s.hours == "9h às 12h"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": D(2027, 4, 18)}, "a partir de hoje"),
        ({"shift": "noite"}, "turno"),
        ({"capacity": 0}, "vagas"),
        ({"capacity": 500}, "vagas"),
        ({"attendant": "seller"}, "atendente do suporte"),
    ],
)
def test_G5_bad_slot_input_is_refused_and_nothing_written(carla, ana, clock, fields, message):
    data = {"date": D(2027, 4, 22), "shift": MANHA, "attendant": carla, "capacity": 3, **fields}
    if data["attendant"] == "seller":
        data["attendant"] = ana
    with pytest.raises(TransitionRefused, match=message):
        training_slot_publish(actor=carla, **data)
    assert not TrainingSlot.objects.exists()


def test_G5_only_support_or_manager_publish_and_no_duplicate_slot(carla, ana, make_user, clock):
    with pytest.raises(TransitionRefused, match="Só o suporte"):
        training_slot_publish(
            actor=ana, date=D(2027, 4, 22), shift=MANHA, attendant=carla, capacity=1
        )
    slot(carla)
    with pytest.raises(TransitionRefused, match="já tem um horário"):
        slot(carla)
    training_slot_publish(
        actor=make_user(MANAGER), date=D(2027, 4, 22), shift=TARDE, attendant=carla, capacity=1
    )
    assert TrainingSlot.objects.count() == 2


def test_G5_booking_writes_a_training_movimentacao_and_does_the_onboarding_step(carla, ana, clock):
    ficha = register(email="cliente@adv.com.br")
    booking = book(slot(carla), ficha, ana)
    mov = booking.movimentacao
    assert (mov.ficha, mov.author, mov.reason) == (ficha, ana, Movimentacao.Reason.TRAINING)
    assert "22/04/2027, manhã (9h às 12h), com Carla" in mov.text
    step = ficha.onboardings.get().steps.get(kind=OnboardingStep.Kind.TRAINING)
    assert step.state == "done" and "22/04/2027" in step.note


def test_G5_only_sales_and_central_book(carla, make_user, clock):
    s = slot(carla)
    for roles in [(SUPPORT,), ()]:
        with pytest.raises(TransitionRefused, match="agendam clientes"):
            book(s, make_ficha(), make_user(*roles))
    book(s, make_ficha(), make_user(CENTRAL))
    assert TrainingBooking.objects.count() == 1


def test_G5_booking_bad_input_writes_nothing(carla, ana, clock):
    s = slot(carla)
    ficha = make_ficha()
    for bad in [{"text": "..."}, {"bitrix_link": ""}, {"channel": "fax"}]:
        with pytest.raises(TransitionRefused):
            book(s, ficha, ana, **bad)
    assert not TrainingBooking.objects.exists() and not Movimentacao.objects.exists()
    past = slot(carla, day=D(2027, 4, 19), shift=TARDE)
    clock.freeze(at(2027, 4, 20, 9))
    with pytest.raises(TransitionRefused, match="já passou"):
        book(past, ficha, ana)
    merged = make_ficha()
    Ficha.objects.filter(pk=merged.pk).update(status=Ficha.Status.MERGED)
    with pytest.raises(TransitionRefused, match="unificada"):
        book(s, Ficha.objects.get(pk=merged.pk), ana)
    assert not TrainingBooking.objects.exists()


def test_G5_no_overbooking_and_one_live_booking_per_client(carla, ana, clock):
    s = slot(carla, capacity=2)
    first = make_ficha()
    book(s, first, ana)
    with pytest.raises(TransitionRefused, match="remarque"):
        book(slot(carla, shift=TARDE), first, ana)
    book(s, make_ficha(), ana)
    with pytest.raises(TransitionRefused, match="Não há mais vagas"):
        book(s, make_ficha(), ana)
    assert TrainingBooking.objects.filter(slot=s).count() == 2


@pytest.mark.django_db(transaction=True)
def test_G5_two_bookings_of_the_last_seat_at_the_same_instant_only_one_wins(make_user):
    carla = make_user(SUPPORT)
    seller_a, seller_b = make_user(SELLER), make_user(SELLER)
    s = training_slot_publish(
        actor=carla,
        date=dt.date.today() + dt.timedelta(days=3),
        shift=MANHA,
        attendant=carla,
        capacity=1,
    )
    fichas = [make_ficha(), make_ficha()]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(seller, ficha):
        try:
            barrier.wait()
            book(TrainingSlot.objects.get(pk=s.pk), ficha, seller)
            outcomes.append("won")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=args)
        for args in [(seller_a, fichas[0]), (seller_b, fichas[1])]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["refused", "won"]
    assert TrainingBooking.objects.filter(slot=s).count() == 1
    assert Movimentacao.objects.filter(reason=Movimentacao.Reason.TRAINING).count() == 1


def test_G5_reminder_the_day_before_to_client_and_attendant(carla, ana, clock):
    ficha = make_ficha(name="Dra. Bia", email="bia@adv.com.br", phone="(11) 98765-1234")
    booking = book(slot(carla, day=D(2027, 4, 23), shift=TARDE), ficha, ana)
    timer = Timer.for_object(booking).get(key="reminder")
    assert timer.due_at == at(2027, 4, 22, 9)
    assert timer.handler == "onboarding.training.send_training_reminder"

    clock.freeze(at(2027, 4, 22, 8, 59))
    assert timers.fire(timer.pk) == "not-due"
    assert mail.outbox == []
    clock.freeze(at(2027, 4, 22, 9, 0))
    assert timers.fire(timer.pk) == "fired"
    assert sorted(m.to[0] for m in mail.outbox) == ["bia@adv.com.br", "carla@empresa.com.br"]
    to_client = next(m for m in mail.outbox if m.to == ["bia@adv.com.br"])
    assert "23/04/2027, tarde (14h às 17h)" in to_client.body and "Carla" in to_client.body
    to_carla = next(m for m in mail.outbox if m.to == ["carla@empresa.com.br"])
    assert "Dra. Bia" in to_carla.body and "(11) 98765-1234" in to_carla.body
    booking.refresh_from_db()
    assert booking.reminded_at == at(2027, 4, 22, 9)
    assert timers.fire(timer.pk) == "already-done" and len(mail.outbox) == 2


def test_G5_booking_for_tomorrow_after_9h_reminds_at_once(carla, ana, clock):
    clock.freeze(at(2027, 4, 21, 15))
    booking = book(slot(carla, day=D(2027, 4, 22)), make_ficha(email="c@x.com.br"), ana)
    timer = Timer.for_object(booking).get(key="reminder")
    assert timer.due_at == at(2027, 4, 21, 15)
    assert timers.sweep() == 1 and len(mail.outbox) == 2


def test_G5_cancel_frees_the_seat_stops_the_reminder_and_reopens_the_step(carla, ana, clock):
    s = slot(carla, capacity=1)
    ficha = register(email="c@x.com.br")
    booking = book(s, ficha, ana)
    with pytest.raises(TransitionRefused, match="justificativa"):
        training_booking_cancel(booking, actor=ana, reason="...")
    training_booking_cancel(booking, actor=ana, reason="Cliente viajou")
    booking.refresh_from_db()
    assert booking.state == "cancelled" and booking.cancelled_at == clock.now()
    assert Timer.for_object(booking).get().outcome == "cancelled"
    assert ficha.movimentacoes.filter(text__contains="cancelado: Cliente viajou").exists()
    step = ficha.onboardings.get().steps.get(kind=OnboardingStep.Kind.TRAINING)
    assert step.state == "pending"
    clock.advance(dt.timedelta(days=3))
    send_count = timers.sweep()
    assert send_count == 0 and mail.outbox == []
    book(s, make_ficha(), ana)  # the seat is free again


def test_G5_rebook_moves_the_client_and_keeps_the_old_booking_when_full(carla, ana, clock):
    s1 = slot(carla, capacity=1)
    s2 = slot(carla, shift=TARDE, capacity=1)
    ficha = register()
    old = book(s1, ficha, ana)
    book(s2, make_ficha(), ana)
    with pytest.raises(TransitionRefused, match="Não há mais vagas"):
        training_rebook(old, s2, actor=ana, reason="Cliente prefere a tarde", bitrix_link=BITRIX)
    old.refresh_from_db()
    assert old.state == "booked"

    s3 = slot(carla, day=D(2027, 4, 26), capacity=1)
    new = training_rebook(old, s3, actor=ana, reason="Cliente prefere segunda", bitrix_link=BITRIX)
    old.refresh_from_db()
    assert (old.state, old.rebooked_as) == ("cancelled", new)
    assert (new.slot, new.ficha, new.state) == (s3, ficha, "booked")
    assert Timer.for_object(new).get().due_at == at(2027, 4, 25, 9)
    step = ficha.onboardings.get().steps.get(kind=OnboardingStep.Kind.TRAINING)
    assert step.state == "done"
    book(s1, make_ficha(), ana)  # the old seat is free


def test_G5_support_records_the_training_took_place_on_its_day(carla, ana, clock):
    booking = book(slot(carla), make_ficha(email="c@x.com.br"), ana)
    with pytest.raises(TransitionRefused, match="ainda não aconteceu"):
        training_mark_held(booking, actor=carla)
    clock.freeze(at(2027, 4, 22, 12))
    with pytest.raises(TransitionRefused, match="Seu perfil"):
        training_mark_held(booking, actor=ana)
    training_mark_held(booking, actor=carla)
    booking.refresh_from_db()
    assert booking.state == "held"
    assert Timer.for_object(booking).get().outcome == "cancelled"


def test_G5_reminders_armed_before_the_module_split_point_at_the_new_handler(carla, ana, clock):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("onboarding.migrations.0009_training_reminder_handler")
    booking = book(slot(carla), make_ficha(email="c@x.com.br"), ana)
    Timer.for_object(booking).update(handler=migration.OLD)
    migration.forwards(apps, None)
    assert Timer.for_object(booking).get().handler == "onboarding.training.send_training_reminder"
    clock.freeze(at(2027, 4, 21, 9, 0))
    assert timers.sweep() == 1  # the handler imports and runs
    booking.refresh_from_db()
    assert booking.reminded_at is not None

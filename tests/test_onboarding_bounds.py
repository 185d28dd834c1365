"""Bounded input on the onboarding pages (issue 18, item 4): every garbage POST — over-long
text, NUL bytes, huge or negative numbers, dates out of range, wrong types — is answered 4xx
with a pt-BR message and writes nothing; bad query parameters do not break a page."""

import datetime as dt

import pytest
from django.urls import reverse

from onboarding.models import (
    DuplicateCase,
    Onboarding,
    OnboardingStep,
    TrainingBooking,
    TrainingSlot,
    UpsellAnswer,
)
from onboarding.training import training_book, training_slot_publish
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX
from workflows.models import AuditEntry, Ficha, Movimentacao, Timer
from workflows.roles import AGENT, CENTRAL, SELLER, SUPPORT

pytestmark = pytest.mark.django_db

HUGE_TEXT = "a" * 1_000_001
NUL = "Ana\x00Souza"


@pytest.fixture
def world(make_user, clock):
    """One of everything the onboarding pages write to; a user holding every role they need."""
    user = make_user(AGENT, SELLER, SUPPORT, CENTRAL, first_name="Carla")
    slot = training_slot_publish(
        actor=user, date=dt.date(2027, 4, 22), shift="manha", attendant=user, capacity=3
    )
    other_slot = training_slot_publish(
        actor=user, date=dt.date(2027, 4, 23), shift="manha", attendant=user, capacity=3
    )
    ficha = register(email="a@x.com.br", phone="(11) 98765-1234")
    register(email="A@x.com.br")
    booking = training_book(
        slot, ficha, actor=user, channel="phone", text="Quer aprender", bitrix_link=BITRIX
    )
    return {
        "user": user,
        "slot": slot,
        "other_slot": other_slot,
        "ficha": ficha,
        "booking": booking,
        "onboarding": Onboarding.objects.get(ficha=ficha),
        "case": DuplicateCase.objects.get(),
    }


def snapshot():
    """What a refused request must leave untouched."""
    counted = (Ficha, Movimentacao, AuditEntry, TrainingSlot, TrainingBooking, UpsellAnswer)
    return (
        {model.__name__: model.objects.count() for model in counted},
        list(Ficha.objects.order_by("pk").values_list("name", "phone", "document")),
        list(OnboardingStep.objects.order_by("pk").values_list("state", "note")),
        list(TrainingBooking.objects.order_by("pk").values_list("state", flat=True)),
        list(DuplicateCase.objects.values_list("state", flat=True)),
        Timer.objects.filter(fired_at__isnull=True).count(),
    )


CONTACT = {"channel": "phone", "outcome": "talked", "text": "Falei com a cliente"}


def cases():
    """(url name, its args from the world, the posted form, a pt-BR phrase expected)."""
    publish = {"date": "2027-04-24", "shift": "manha", "capacity": 3}
    book = {"channel": "phone", "text": "Combinado", "bitrix_link": BITRIX}
    return [
        ("onboarding:register", (), {"name": HUGE_TEXT, "document": "529.982.247-25"}, "máximo"),
        ("onboarding:register", (), {"name": NUL, "document": "529.982.247-25"}, "nulos"),
        ("onboarding:register", (), {"name": "Ana", "document": "9" * 400}, "máximo"),
        ("onboarding:edit", ("ficha",), {"phone": "(11) 9\x008765-4321"}, "nulos"),
        ("onboarding:edit", ("ficha",), {"phone": "1" * 5000}, "máximo"),
        ("onboarding:slot_publish", (), {**publish, "date": "9999-12-31"}, "intervalo"),
        ("onboarding:slot_publish", (), {**publish, "date": "0001-01-01"}, "intervalo"),
        ("onboarding:slot_publish", (), {**publish, "date": "2027-02-31"}, "data válida"),
        ("onboarding:slot_publish", (), {**publish, "capacity": 2**31}, "máximo 50"),
        ("onboarding:slot_publish", (), {**publish, "capacity": 2**64}, "máximo 50"),
        ("onboarding:slot_publish", (), {**publish, "capacity": -1}, "ao menos 1"),
        ("onboarding:slot_publish", (), {**publish, "capacity": "três"}, "Número inválido"),
        ("onboarding:slot_book", ("other_slot",), {**book, "ficha": "9" * 30}, "não encontrada"),
        ("onboarding:slot_book", ("other_slot",), {**book, "ficha": "9" * 31}, "máximo"),
        (
            "onboarding:slot_book",
            ("other_slot",),
            {**book, "ficha": "1", "text": HUGE_TEXT},
            "máximo",
        ),
        ("onboarding:slot_book", ("other_slot",), {**book, "ficha": "1", "text": NUL}, "nulos"),
        (
            "onboarding:booking_action",
            ("booking", "cancelar"),
            {"reason": HUGE_TEXT, "channel": "phone"},
            "máximo",
        ),
        (
            "onboarding:booking_action",
            ("booking", "remarcar"),
            {"reason": "mudou", "channel": "phone", "slot": "9" * 40},
            "escolha válida",
        ),
        (
            "onboarding:onboarding_action",
            ("onboarding", "feito"),
            {"kind": "intimacao", "note": HUGE_TEXT},
            "máximo",
        ),
        (
            "onboarding:onboarding_action",
            ("onboarding", "dispensar"),
            {"kind": "intimacao\x00", "note": "não quer"},
            "Escolha a etapa",
        ),
        (
            "onboarding:onboarding_action",
            ("onboarding", "ligacao"),
            {**CONTACT, "text": HUGE_TEXT, "product": "9" * 30, "bitrix_link": BITRIX},
            "máximo",
        ),
        (
            "onboarding:onboarding_action",
            ("onboarding", "upsell"),
            {"question": "lawyers", "yes": "sim", "details": NUL, "channel": "phone"},
            "nulos",
        ),
        (
            "onboarding:case_inform",
            ("case",),
            {**CONTACT, "bitrix_link": "https://x.bitrix24.com.br/" + "a" * 600},
            "máximo",
        ),
        ("onboarding:case_choose", ("case",), {"kept": "9" * 40, "answer": "a"}, "escolha válida"),
        ("onboarding:case_dismiss", ("case",), {"reason": HUGE_TEXT}, "máximo"),
    ]


def _args(world, names):
    return [world[n].pk if n in world else n for n in names]


@pytest.mark.parametrize(("name", "args", "data", "says"), cases())
def test_garbage_posts_are_refused_in_portuguese_and_write_nothing(
    client, world, name, args, data, says
):
    client.force_login(world["user"])
    data = dict(data)
    if name == "onboarding:slot_publish":
        data["attendant"] = world["user"].pk
    before = snapshot()
    response = client.post(reverse(name, args=_args(world, args)), data, HTTP_HX_REQUEST="true")
    assert 400 <= response.status_code < 500, response.status_code
    assert says in response.content.decode()
    assert snapshot() == before


def test_G5_slots_page_with_a_huge_ficha_hint_still_answers(client, world):
    client.force_login(world["user"])
    response = client.get(reverse("onboarding:slots"), {"ficha": "9" * 10_000})
    assert response.status_code == 200
    assert "9" * 31 not in response.content.decode()


def test_G5_publish_slot_refuses_a_date_out_of_range_from_any_caller(world):
    from workflows.refusals import TransitionRefused

    for day in (dt.date(2101, 1, 3), dt.date(9999, 12, 31)):
        with pytest.raises(TransitionRefused, match="Data fora do intervalo"):
            training_slot_publish(
                actor=world["user"], date=day, shift="tarde", attendant=world["user"], capacity=1
            )
    with pytest.raises(TransitionRefused, match="de 1 a 50 vagas"):
        training_slot_publish(
            actor=world["user"],
            date=dt.date(2027, 5, 3),
            shift="tarde",
            attendant=world["user"],
            capacity="30",
        )

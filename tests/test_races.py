"""Exactly once under concurrency (issue 18), with real threads, each on its own database
connection, released together by a barrier. On PostgreSQL they overlap for real; SQLite
serializes writers, so there they pass trivially.

- G5: one client booked into two slots at the same instant holds one booking;
- S1 sale: a double-clicked form (one request token) records one sale, no error;
- S1 data change: a newer pending change of the same field supersedes the older one, which can
  no longer be confirmed; a holder confirming a CPF/CNPJ another ficha has is refused.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from onboarding.models import TrainingBooking
from onboarding.registration import data_change_decide
from onboarding.training import training_book, training_slot_publish
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import DataChangeRequest, Ficha, Movimentacao, Product, Sale, Timer
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER, SUPPORT
from workflows.selling import ficha_sell
from workflows.third_party import data_change_propose, holder_token

ROUNDS = 4  # a race lost only some of the time before the fix still shows in a few rounds


def race(*actions):
    """Run each action in its own thread at once (a barrier releases them together); returns
    what each returned, or the exception it raised, in order. Each thread closes its own
    database connection."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as error:  # the assertions look at what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- G5 -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_G5_one_client_booked_into_two_slots_at_once_holds_one_booking(make_user):
    carla, bia = make_user(SUPPORT), make_user(SUPPORT)
    sellers = make_user(AGENT, SELLER), make_user(AGENT, SELLER)
    day = dt.date.today() + dt.timedelta(days=5)
    slots = [
        training_slot_publish(actor=carla, date=day, shift="manha", attendant=who, capacity=ROUNDS)
        for who in (carla, bia)
    ]
    for _ in range(ROUNDS):
        client = make_ficha()

        def booking(slot, seller, client=client):
            return lambda: training_book(
                slot,
                client,
                actor=seller,
                channel="phone",
                text="Quer aprender",
                bitrix_link=BITRIX,
            )

        got = race(booking(slots[0], sellers[0]), booking(slots[1], sellers[1]))
        won = [g for g in got if isinstance(g, TrainingBooking)]
        refused = [g for g in got if isinstance(g, TransitionRefused)]
        assert (len(won), len(refused)) == (1, 1), got
        assert "já tem um treinamento agendado" in refused[0].message
        assert refused[0].rule_ids == ("G5",)
        assert TrainingBooking.objects.filter(ficha=client, state="booked").count() == 1
        training_movs = Movimentacao.objects.filter(ficha=client, reason="training")
        assert training_movs.count() == 1  # the refused booking wrote nothing
        assert Timer.objects.filter(key="reminder", object_id=str(won[0].pk)).count() == 1


@pytest.mark.django_db
def test_G5_the_database_itself_refuses_a_second_live_booking_of_a_client(make_user):
    from django.db import IntegrityError, transaction
    from model_bakery import baker

    carla = make_user(SUPPORT)
    client = make_ficha()
    for n in range(2):
        slot = baker.make(
            "onboarding.TrainingSlot",
            attendant=carla,
            published_by=carla,
            capacity=2,
            date=dt.date(2027, 4, 22 + n),
        )
        if n == 0:
            baker.make(TrainingBooking, slot=slot, ficha=client, booked_by=carla)
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(TrainingBooking, slot=slot, ficha=client, booked_by=carla)
    baker.make(TrainingBooking, slot=slot, ficha=client, booked_by=carla, state="cancelled")


# --- the sale's request token ---------------------------------------------------------------


@pytest.fixture
def product(db):
    return Product.objects.create(code="pesquisa", name="Pesquisa", unit_price=Decimal("24.90"))


def selling(ficha, product, seller, token):
    return lambda: ficha_sell(ficha, product, seller, data_confirmed=True, request_token=token)


@pytest.mark.django_db(transaction=True)
def test_S1_a_double_clicked_sale_records_one_sale_and_both_clicks_get_it(make_user, product):
    seller = make_user(AGENT, SELLER)
    for n in range(ROUNDS):
        ficha = make_ficha()
        token = f"clique-duplo-{n}"
        got = race(*(selling(ficha, product, seller, token) for _ in range(2)))
        assert all(isinstance(g, Sale) for g in got), got
        assert got[0].pk == got[1].pk
        assert Sale.objects.filter(request_token=token).count() == 1
        assert Movimentacao.objects.filter(ficha=ficha, reason="sale").count() == 1


@pytest.mark.django_db(transaction=True)
def test_S1_a_token_reused_on_another_ficha_returns_the_first_sale_not_an_error(make_user, product):
    """Two fichas lock two rows: the database's unique token decides, and the loser gets the
    first sale back instead of an IntegrityError (a 500 on the page)."""
    seller = make_user(AGENT, SELLER)
    for n in range(ROUNDS):
        fichas = make_ficha(), make_ficha()
        token = f"reenviado-{n}"
        got = race(*(selling(f, product, seller, token) for f in fichas))
        assert all(isinstance(g, Sale) for g in got), got
        assert got[0].pk == got[1].pk
        assert Sale.objects.filter(request_token=token).count() == 1
        sold = Movimentacao.objects.filter(ficha__in=fichas, reason="sale")
        assert sold.count() == 1


# --- S1: sensitive-data changes --------------------------------------------------------------


def proposing(ficha, agent, value, field="email"):
    return lambda: data_change_propose(
        ficha, actor=agent, field=field, new_value=value, third_party="Sócio Jorge"
    )


@pytest.mark.django_db(transaction=True)
def test_S1_two_changes_of_one_field_at_once_leave_only_the_newer_pending(make_user):
    agents = make_user(AGENT, SELLER), make_user(AGENT, SELLER)
    for n in range(ROUNDS):
        ficha = make_ficha(email=f"titular{n}@adv.com.br")
        got = race(
            proposing(ficha, agents[0], f"um{n}@adv.com.br"),
            proposing(ficha, agents[1], f"dois{n}@adv.com.br"),
        )
        assert all(isinstance(g, DataChangeRequest) for g in got), got
        changes = DataChangeRequest.objects.filter(ficha=ficha).order_by("pk")
        older, newer = changes
        assert (older.state, newer.state) == ("superseded", "pending")
        assert older.superseded_by == newer
        with pytest.raises(TransitionRefused, match="substituído por um pedido mais novo"):
            data_change_decide(older, confirm=True)
        data_change_decide(newer, confirm=True)
        assert Ficha.objects.get(pk=ficha.pk).email == newer.new_value


@pytest.mark.django_db(transaction=True)
def test_S1_the_holder_confirming_while_a_newer_change_comes_in_never_loses_the_newer(
    make_user,
):
    agent = make_user(AGENT, SELLER)
    for n in range(ROUNDS):
        ficha = make_ficha(email=f"titular{n}@adv.com.br")
        older = proposing(ficha, agent, f"antigo{n}@adv.com.br")()
        got = race(
            lambda older=older: data_change_decide(older, confirm=True),
            proposing(ficha, agent, f"novo{n}@adv.com.br"),
        )
        newer = DataChangeRequest.objects.exclude(pk=older.pk).get(ficha=ficha)
        older.refresh_from_db()
        email = Ficha.objects.get(pk=ficha.pk).email
        assert newer.state == "pending"
        # the newer change always starts from what the ficha holds when it is proposed
        assert newer.old_value == email
        if isinstance(got[0], TransitionRefused):  # the newer came first
            assert older.superseded_by == newer and email == f"titular{n}@adv.com.br"
        else:  # the holder came first
            assert older.state == "confirmed" and email == older.new_value


@pytest.mark.django_db
def test_S1_the_holder_page_of_a_superseded_change_says_so_and_confirms_nothing(make_user):
    agent = make_user(AGENT, SELLER)
    ficha = make_ficha(email="titular@adv.com.br")
    older = proposing(ficha, agent, "antigo@adv.com.br")()
    proposing(ficha, agent, "novo@adv.com.br")()
    url = f"/validar/{holder_token(older)}/"
    page = Client().get(url)
    assert page.status_code == 400
    assert "substituído por um pedido mais novo" in page.content.decode()
    posted = Client().post(url, {"decision": "confirm"})
    assert posted.status_code == 400
    assert Ficha.objects.get(pk=ficha.pk).email == "titular@adv.com.br"
    assert not Timer.objects.filter(object_id=str(older.pk), fired_at__isnull=True).exists()


@pytest.mark.django_db
def test_S1_holder_confirming_a_cpf_another_ficha_has_is_refused_in_portuguese(make_user):
    agent = make_user(AGENT, SELLER)
    ficha = make_ficha(email="titular@adv.com.br")
    other = make_ficha()
    change = proposing(ficha, agent, other.document, field="document")
    with pytest.raises(TransitionRefused, match="Outra ficha já tem este CPF/CNPJ"):
        change()  # refused when proposed, if the other ficha exists already
    change = proposing(ficha, agent, "529.982.247-25", field="document")()
    make_ficha(document="52998224725")  # registered while the holder had the link
    response = Client().post(f"/validar/{holder_token(change)}/", {"decision": "confirm"})
    assert response.status_code == 422
    assert "Outra ficha já tem este CPF/CNPJ" in response.content.decode()
    change.refresh_from_db()
    assert change.state == "pending"
    assert Ficha.objects.get(pk=ficha.pk).document != "52998224725"

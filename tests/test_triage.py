"""S8 receptive-sale triage: each passo and each hand-off outcome."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from tests.conftest import at
from tests.sales_fixtures import BITRIX, contact, make_ficha
from workflows import timers
from workflows.agendamentos import agendamento_open
from workflows.availability import set_availability
from workflows.models import Agendamento, AuditEntry, Movimentacao, Triage
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT
from workflows.triage import (
    triage_accept,
    triage_hand_to_comercial,
    triage_sell,
    triage_send_price,
    triage_start,
    waiting_offers,
)

WITH = "venda_com_contato"


@pytest.fixture
def carla(make_user):
    return make_user(AGENT, SUPPORT, username="carla", first_name="Carla")


@pytest.fixture
def reserved(ficha, ana, products, clock):
    """Ana holds a live `com contato` agendamento about intimação on the ficha."""
    return agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())


def start(ficha, agent, product, **kw):
    fields = {"channel": "chat", "text": "Quer contratar intimação", "bitrix_link": BITRIX}
    return triage_start(ficha, agent=agent, product=product, **{**fields, **kw})


def test_S8_first_step_offers_the_client_to_the_agendamento_owner(
    ficha, reserved, ana, carla, products, clock, settings
):
    settings.S8_OWNER_MINUTES = 5
    triage = start(ficha, carla, products["intimacao"])
    assert (triage.state, triage.offered_to, triage.passo) == ("offered_to_owner", ana, "1º passo")
    assert triage.offer_expires_at == clock.now() + dt.timedelta(minutes=5)
    assert AuditEntry.for_object(triage).get().rule_ids == ["S8", "S2"]
    assert ficha.movimentacoes.filter(text__contains="oferecido a Ana").exists()
    assert list(waiting_offers(ana)[0]) == [triage]


def test_S8_owner_accepts_and_sells_commission_is_theirs(
    ficha, reserved, ana, carla, products, clock
):
    triage = start(ficha, carla, products["intimacao"])
    with pytest.raises(TransitionRefused, match="dono do agendamento"):
        triage_accept(triage, actor=carla)
    triage = triage_accept(triage, actor=ana)
    assert (triage.state, triage.attendant) == ("handed_off", ana)
    sale = triage_sell(triage, actor=ana, data_confirmed=True)
    assert (sale.commission_to, sale.state) == (ana, "assigned")
    assert Agendamento.objects.get(pk=reserved.pk).state == "concluded"  # S4
    assert Triage.objects.get(pk=triage.pk).state == "sold"
    clock.advance(dt.timedelta(minutes=10))
    assert timers.sweep() == 0  # the accepted offer's timer was disarmed


def test_S8_owner_silent_another_seller_closes_and_the_commission_is_flagged(
    ficha, reserved, ana, bruno, carla, products, clock
):
    triage = start(ficha, carla, products["intimacao"])
    clock.advance(dt.timedelta(minutes=4, seconds=59))
    assert timers.sweep() == 0
    clock.advance(dt.timedelta(seconds=1))
    assert timers.sweep() == 1
    triage.refresh_from_db()
    assert triage.state == "offered_to_team"
    assert list(waiting_offers(bruno)[1]) == [triage]
    with pytest.raises(TransitionRefused):
        triage_accept(triage, actor=carla)  # support is not comercial
    triage = triage_accept(triage, actor=bruno)
    sale = triage_sell(triage, actor=bruno, data_confirmed=True)
    assert (sale.seller, sale.state) == (bruno, "to_settle")
    assert "Comissão a definir pelo gestor" in sale.commission_reason
    assert Agendamento.objects.get(pk=reserved.pk).state == "concluded"


def test_S8_no_seller_available_the_client_waits_in_the_queue_and_the_manager_sees_it(
    ficha, reserved, ana, bruno, carla, products, clock, make_user
):
    from django.test import Client
    from django.urls import reverse

    set_availability(bruno, "busy")
    triage = start(ficha, carla, products["intimacao"])
    clock.advance(dt.timedelta(minutes=6))
    timers.sweep()
    assert Triage.objects.get(pk=triage.pk).state == "offered_to_team"
    manager = make_user(MANAGER)
    client = Client()
    client.force_login(manager)
    console = client.get(reverse("manager_console")).content.decode()
    assert "Clientes aguardando vendedor" in console and ficha.name in console


def test_S8_without_contact_agendamento_does_not_stop_the_flow(ficha, ana, carla, products, clock):
    agendamento_open(
        ficha,
        owner=ana,
        kind="venda_sem_contato",
        product=products["intimacao"],
        **contact(bitrix_link="", text="Não atendeu"),
        outcome="no_answer",
    )
    triage = start(ficha, carla, products["intimacao"])
    assert (triage.state, triage.attendant, triage.passo) == ("selling", carla, "2º passo")


def test_S8_owner_on_vacation_goes_straight_to_the_second_step(
    ficha, reserved, ana, carla, products, clock
):
    set_availability(ana, "vacation", dt.date(2027, 4, 19), dt.date(2027, 4, 30))
    triage = start(ficha, carla, products["intimacao"])
    assert triage.state == "selling"
    sale = triage_sell(triage, actor=carla, data_confirmed=True)
    assert (sale.commission_to, sale.commission_rule) == (carla, "S9")


def test_S8_second_step_price_by_email_opens_a_two_business_day_follow_up(
    ficha, carla, products, clock, django_capture_on_commit_callbacks
):
    ficha.email = "cliente@adv.br"
    ficha.save()
    triage = start(ficha, carla, products["pesquisa"])
    with pytest.raises(TransitionRefused):
        triage_send_price(triage, actor=carla, via="email", price_text="...")
    with django_capture_on_commit_callbacks(execute=True):
        triage = triage_send_price(
            triage, actor=carla, via="email", price_text="2 pesquisas: R$ 49,80"
        )
    assert triage.state == "price_sent"
    follow_up = triage.follow_up
    assert (follow_up.kind, follow_up.owner, follow_up.due_date) == (
        WITH,
        carla,
        dt.date(2027, 4, 22),  # 2 business days over Tiradentes
    )
    (message,) = mail.outbox
    assert message.to == ["cliente@adv.br"] and "R$ 49,80" in message.body


def test_S8_second_step_price_by_chat_is_a_movimentacao_and_the_sale_can_follow(
    ficha, carla, products, clock
):
    triage = start(ficha, carla, products["pesquisa"])
    triage_send_price(triage, actor=carla, via="chat", price_text="R$ 24,90 por pesquisa")
    assert ficha.movimentacoes.filter(text__contains="pelo chat: R$ 24,90").exists()
    triage_sell(Triage.objects.get(pk=triage.pk), actor=carla, data_confirmed=True)
    assert Triage.objects.get(pk=triage.pk).state == "sold"


def test_S8_third_step_only_prices_goes_to_comercial_who_takes_it(
    ficha, bruno, carla, products, clock
):
    triage = start(ficha, carla, products["integra"])
    triage = triage_hand_to_comercial(triage, actor=carla, context="Só quer saber preço do Integra")
    assert (triage.state, triage.passo) == ("to_comercial", "3º passo")
    assert "Só quer saber preço" in triage.context
    assert list(waiting_offers(bruno)[1]) == [triage]
    triage = triage_accept(triage, actor=bruno)
    assert (triage.state, triage.attendant) == ("handed_off", bruno)


def test_S8_only_the_attendant_sells_in_a_triage(ficha, bruno, carla, products, clock):
    triage = start(ficha, carla, products["pesquisa"])
    with pytest.raises(TransitionRefused, match="com outra pessoa"):
        triage_sell(triage, actor=bruno, data_confirmed=True)


def test_S8_every_step_writes_a_movimentacao_and_an_audit_row(
    ficha, reserved, ana, carla, products, clock
):
    before = Movimentacao.objects.count()
    triage = start(ficha, carla, products["intimacao"])
    triage = triage_accept(triage, actor=ana)
    triage_sell(triage, actor=ana, data_confirmed=True)
    events = list(AuditEntry.for_object(triage).values_list("event", flat=True))
    assert events == ["route_to_owner", "owner_accepts", "record_sale"]
    assert Movimentacao.objects.count() - before >= 4  # start, offer, accept, sale (+S4)


@pytest.mark.django_db(transaction=True)
def test_S8_two_sellers_racing_for_a_waiting_client_only_one_wins(make_user):
    from workflows.models import Product

    product = Product.objects.create(code="x", name="Intimação", unit_price=10)
    client = make_ficha()
    owner, support = make_user(AGENT, SELLER), make_user(AGENT, SUPPORT)
    agendamento_open(client, owner=owner, kind=WITH, product=product, **contact())
    triage = triage_start(
        client,
        agent=support,
        product=product,
        channel="chat",
        text="Quer contratar",
        bitrix_link=BITRIX,
    )
    from workflows.triage import owner_offer_expired

    owner_offer_expired(triage)
    sellers = [make_user(AGENT, SELLER), make_user(AGENT, SELLER)]
    barrier = threading.Barrier(2)
    outcomes = []

    def take(seller):
        try:
            barrier.wait()
            triage_accept(Triage.objects.get(pk=triage.pk), actor=seller)
            outcomes.append("won")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(s,)) for s in sellers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "won"]
    assert AuditEntry.for_object(triage).filter(event="seller_takes").count() == 1


def test_S8_offer_expiry_is_exact_with_the_configured_minutes(
    ficha, reserved, carla, products, clock, settings
):
    settings.S8_OWNER_MINUTES = 2
    triage = start(ficha, carla, products["intimacao"])
    assert triage.offer_expires_at == at(2027, 4, 19, 9, 2)


def test_S8_pages_start_the_triage_and_show_the_passo_and_why(
    ficha, reserved, ana, carla, products, clock
):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(carla)
    data = {
        "product": products["intimacao"].pk,
        "channel": "chat",
        "text": "Quer contratar intimação",
        "bitrix_link": BITRIX,
    }
    response = client.post(
        reverse("triage_start", args=[ficha.pk]), data, headers={"HX-Request": "true"}
    )
    triage = Triage.objects.get()
    assert response["HX-Redirect"] == reverse("triage_detail", args=[triage.pk])
    page = client.get(response["HX-Redirect"]).content.decode()
    assert "1º passo" in page and "oferecido a Ana" in page
    assert "Assumir o cliente" not in page  # the offer is Ana's

    owner = Client()
    owner.force_login(ana)
    offers = owner.get(reverse("triage_offers")).content.decode()
    assert ficha.name in offers
    accepted = owner.post(
        reverse("triage_accept", args=[triage.pk]), headers={"HX-Request": "true"}
    )
    assert accepted.status_code == 200
    assert Triage.objects.get().state == "handed_off"
    assert "Vender agora" in owner.get(reverse("triage_detail", args=[triage.pk])).content.decode()


def test_S8_start_with_a_placeholder_keeps_the_input_and_starts_nothing(ficha, carla, products):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(carla)
    data = {
        "product": products["intimacao"].pk,
        "channel": "chat",
        "text": "...",
        "bitrix_link": BITRIX,
    }
    response = client.post(reverse("triage_start", args=[ficha.pk]), data)
    assert response.status_code == 422 and "Regra G1" in response.content.decode()
    assert not Triage.objects.exists() and not Movimentacao.objects.exists()


def test_S8_G3_price_by_email_reuses_the_link_given_at_the_start_on_a_running_clock(
    ficha, carla, products, monkeypatch
):
    """The clock runs between the first movimentação and the triage (as in production):
    the follow-up still finds the Bitrix link the agent gave when the triage started."""
    from workflows import clock as project_clock

    project_clock.freeze(None)
    ticks = iter(range(1, 1000))
    real_now = project_clock.now
    monkeypatch.setattr(
        project_clock, "now", lambda: real_now() + dt.timedelta(milliseconds=next(ticks))
    )
    ficha.email = "cliente@adv.br"
    ficha.save()
    triage = start(ficha, carla, products["pesquisa"])
    triage = triage_send_price(triage, actor=carla, via="email", price_text="2 pesquisas: R$ 49,80")
    assert triage.state == "price_sent"
    opening = Movimentacao.objects.filter(ficha=ficha).order_by("at", "pk").last()
    assert opening.bitrix_link == BITRIX  # the follow-up's movimentação carries the link (G3)

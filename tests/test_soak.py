"""Concurrency soak: several agents race on the same clients and training slot for a bounded
time, through the services the pages call. Afterwards: no double reservation (S2), no double
sale per request (S1 double click), no overbooking (G5), and every audited object's history is
an unbroken chain ending in its current state, with one version step per transition."""

import os
import random
import threading
import time
from collections import Counter, defaultdict
from itertools import pairwise

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from onboarding.models import TrainingBooking
from onboarding.training import training_book, training_booking_cancel, training_slot_publish
from tests.sales_fixtures import contact, make_ficha
from workflows.agendamentos import agendamento_open, agendamento_renew
from workflows.businessdays import add_business_days
from workflows.models import Agendamento, AgendamentoKind, AuditEntry, Sale
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER, SUPPORT
from workflows.selling import ficha_sell

SECONDS = float(os.environ.get("SOAK_SECONDS", "8"))
AGENTS = 4
WITH = AgendamentoKind.SALE_WITH_CONTACT


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_S2_S1_G5_agents_racing_on_the_same_clients_and_slot(make_user, products, clock):
    agents = [make_user(AGENT, SELLER, first_name=f"Agente {n}") for n in range(AGENTS)]
    support = make_user(AGENT, SUPPORT)
    fichas = [make_ficha(name=f"Dra. Disputada {n}") for n in range(3)]
    slot = training_slot_publish(
        actor=support,
        date=add_business_days(clock.today(), 2),
        shift="manha",
        attendant=support,
        capacity=2,
    )
    product = products["intimacao"]
    attempts, errors = Counter(), []

    def work(n, agent):
        rng = random.Random(n)
        deadline = time.monotonic() + SECONDS
        try:
            while time.monotonic() < deadline:
                ficha = rng.choice(fichas)
                action = rng.choice(["reserve", "sell", "renew", "book", "unbook"])
                attempts[action] += 1
                try:
                    if action == "reserve":
                        agendamento_open(
                            ficha, owner=agent, kind=WITH, product=product, **contact()
                        )
                    elif action == "sell":
                        ficha_sell(
                            ficha,
                            product,
                            agent,
                            data_confirmed=True,
                            boleto_charge_noted=True,
                            request_token=f"pedido-{rng.randrange(300)}",
                        )
                    elif action == "renew":
                        mine = Agendamento.objects.filter(owner=agent, state="active").first()
                        if mine:
                            agendamento_renew(mine, actor=agent)
                    elif action == "book":
                        training_book(slot, ficha, actor=agent, **contact())
                    else:
                        booking = TrainingBooking.objects.filter(state="booked").first()
                        if booking:
                            training_booking_cancel(
                                booking, actor=agent, reason="Cliente pediu outra data"
                            )
                except TransitionRefused:
                    attempts["refused"] += 1
        except Exception as error:  # anything but a clean refusal is a failure
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n, a)) for n, a in enumerate(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert attempts["reserve"] and attempts["sell"] and attempts["book"] and attempts["refused"]
    # S2: a client's product is never reserved by two agents at once.
    for ficha in fichas:
        owners = Agendamento.objects.filter(
            ficha=ficha, product=product, kind=WITH, state__in=Agendamento.LIVE
        ).values_list("owner", flat=True)
        assert len(set(owners)) <= 1
    # S1: a double-submitted sale form records one sale.
    tokens = Sale.objects.exclude(request_token=None).values_list("request_token", flat=True)
    assert Counter(tokens).most_common(1)[0][1] == 1
    # G5: the slot never holds more than its capacity, nor one client twice.
    booked = TrainingBooking.objects.filter(slot=slot, state="booked")
    assert booked.count() <= slot.capacity
    assert len(set(booked.values_list("ficha", flat=True))) == booked.count()
    # Audit: an unbroken chain per object, ending where the row is, one version per step.
    chains = defaultdict(list)
    for entry in AuditEntry.objects.order_by("pk"):
        chains[(entry.content_type_id, entry.object_id)].append(entry)
    assert chains
    for (ct_id, object_id), entries in chains.items():
        row = ContentType.objects.get_for_id(ct_id).get_object_for_this_type(pk=object_id)
        for before, after in pairwise(entries):
            assert after.from_state == before.to_state, (row, before.event, after.event)
        assert entries[-1].to_state == row.state_value
        assert row.version == len(entries)

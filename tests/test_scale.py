"""Issue 8 tooling: the synthetic base is the promised size, searchable, and the benchmark
times every target on it."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from onboarding.models import FichaKeys
from onboarding.search import search_fichas
from tickets.models import Ticket
from workflows import clock
from workflows.models import Agendamento, Boleto, Ficha, IndicatorDay, Movimentacao

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Ficha, Movimentacao, Agendamento, Boleto, Ticket)]


def test_generate_data_builds_the_scaled_base_with_search_keys_and_the_benchmark_times_it():
    call_command("demo_data", verbosity=0)
    before = counts()
    call_command("generate_data", scale=0.003, stdout=StringIO())
    added = [after - b for after, b in zip(counts(), before, strict=True)]
    assert added == [300, 3000, 600, 300, 150]  # 10^5, 10^6, 2·10^5, 10^5, 5·10^4 × 0.003
    generated = Ficha.objects.order_by("-pk").first()
    assert FichaKeys.objects.filter(ficha=generated).exists()
    assert generated in search_fichas(generated.email)
    assert generated in search_fichas(" ".join(generated.name.split()[1:3]))
    assert (
        not Ticket.objects.exclude(state__in=Ticket.WAITING_FOR_US)
        .exclude(next_breach_at=None)
        .exists()
    )
    # A helpdesk's shape: what is three weeks old is concluded, and concluded means a moment.
    old = Ticket.objects.filter(created_at__lt=clock.now() - dt.timedelta(days=22))
    assert old.exists() and not old.exclude(state=Ticket.State.DONE).exists()
    assert not Ticket.objects.filter(state=Ticket.State.DONE, resolved_at=None).exists()
    assert not Ticket.objects.filter(state=Ticket.State.MERGED).exists()  # nothing to merge into
    # Rows are written in the order the app would have created them: ids follow time.
    for model, when, count in [
        (Ficha, "created_at", 300),
        (Movimentacao, "at", 3000),
        (Agendamento, "created_at", 600),
        (Ticket, "created_at", 150),
    ]:
        dates = list(model.objects.order_by("-pk").values_list(when, flat=True)[:count])
        assert dates == sorted(dates, reverse=True), model.__name__
    # Indicadores' rollup is filled for the settled past days, as the nightly schedule does.
    assert IndicatorDay.objects.filter(source="agendamentos").count() > 300

    out = StringIO()
    # The benchmark drives the production WSGI handler, whose end of request closes a
    # connection that is inside a transaction: the test's. Django's test client unhooks it too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        call_command("benchmark", repeat=2, stdout=out)
        # bin/instructions: one page only, as one user, nothing printed; a failing page stops it
        quiet = StringIO()
        call_command("benchmark", page="/gestor/", username="gabriel", repeat=2, stdout=quiet)
        assert quiet.getvalue() == ""
        with pytest.raises(SystemExit, match="HTTP 403"):
            call_command("benchmark", page="/gestor/", username="ana", repeat=1)
        # --skip: the targets another commit lacks are left out of the round robin
        fewer = StringIO()
        call_command("benchmark", repeat=1, skip=["indicadores", "consolidação"], stdout=fewer)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    report = out.getvalue()
    targets = ["página da ficha", "painel do gestor", "may_sell", "fila de SLA", "busca por"]
    for target in [*targets, "indicadores (mês anterior)", "consolidação de um dia"]:
        assert target in report
    assert "varredura de prazos" in report
    assert all(target in fewer.getvalue() for target in targets)
    assert "indicadores" not in fewer.getvalue() and "consolidação" not in fewer.getvalue()
    assert counts() == [b + a for b, a in zip(before, added, strict=True)]  # rolled back

"""Indicadores, "vendas em uma ligação" (issue 19, S8): a known set of receptive triages and
their figures computed by hand — the share sold in the same attendance, per passo and per
channel, the time from first contact to sale, and the 1º passo hand-offs with their wait."""

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from model_bakery import baker
from openpyxl import load_workbook

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.test_indicators import PAGE, SEVEN, table, tiles_of
from workflows.indicators_values import duration_text
from workflows.models import Agendamento, AgendamentoKind, AuditEntry, Sale, Triage

T = Triage.State
MIN = 60


def audit(triage, event, when, to_state):
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Triage),
        object_id=str(triage.pk),
        event=event,
        at=when,
        from_state="",
        to_state=to_state,
    )


def triage(product, by, started, state, channel="chat", owner=None, attendant=None, **kw):
    ficha = make_ficha(name=f"Cliente {started:%d%H%M}")
    reserved = None
    if owner is not None:
        reserved = baker.make(
            Agendamento,
            ficha=ficha,
            owner=owner,
            product=product,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
        )
    sold_at = kw.pop("sold_at", None)
    sale = None
    if sold_at is not None:
        sale = baker.make(
            Sale, ficha=ficha, product=product, seller=attendant or by, at=sold_at, total=10
        )
    return Triage.objects.create(
        ficha=ficha,
        product=product,
        channel=channel,
        started_by=by,
        started_at=started,
        state=state,
        reserved_by=reserved,
        attendant=attendant,
        sale=sale,
        **kw,
    )


@pytest.fixture
def data(clock, ana, bruno, products):
    p = products["intimacao"]
    # Current period 13/04–19/04/2027; previous 06/04–12/04.
    triage(p, ana, at(2027, 4, 14, 10), T.SOLD, sold_at=at(2027, 4, 14, 10, 20))
    by_owner = triage(
        p,
        bruno,
        at(2027, 4, 15, 9),
        T.SOLD,
        channel="phone",
        owner=ana,
        attendant=ana,
        sold_at=at(2027, 4, 15, 9, 30),
    )
    audit(by_owner, "owner_accepts", at(2027, 4, 15, 9, 2), T.HANDED_OFF)
    by_team = triage(
        p, bruno, at(2027, 4, 16, 11), T.PRICE_SENT, "whatsapp", owner=ana, attendant=bruno
    )
    audit(by_team, "owner_silent", at(2027, 4, 16, 11, 5), T.OFFERED_TO_TEAM)
    audit(by_team, "seller_takes", at(2027, 4, 16, 11, 10), T.HANDED_OFF)
    triage(p, ana, at(2027, 4, 16, 12), T.CLOSED, owner=bruno)  # nobody took it
    comercial = triage(p, ana, at(2027, 4, 17, 10), T.CLOSED, "email")
    audit(comercial, "hand_to_comercial", at(2027, 4, 17, 10, 5), T.TO_COMERCIAL)
    triage(p, ana, at(2027, 4, 8, 10), T.SOLD, sold_at=at(2027, 4, 8, 11))  # previous period
    triage(p, ana, at(2027, 4, 20, 10), T.SOLD, sold_at=at(2027, 4, 20, 10, 5))  # after


def test_S8_one_call_share_and_time_to_sale(client, gestor, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert (tiles["atendimentos"].current, tiles["atendimentos"].previous) == (5, 1)
    assert tiles["atendimentos-vendidos"].current == 2
    share = tiles["atendimentos-uma-ligacao"]
    assert (share.current, share.previous) == (40.0, 100.0)
    assert share.change == "▼ 60,0 p.p." and share.verdict == "worse"
    mean = tiles["atendimentos-tempo-medio-venda"]
    assert (mean.current, mean.previous) == (25 * MIN, 60 * MIN)  # (20 + 30) / 2; 60
    assert mean.text == "25 min" and mean.verdict == "better"  # faster is better
    assert tiles["atendimentos-preco-enviado"].current == 1
    assert tiles["atendimentos-sem-venda"].current == 2


def test_S8_first_passo_handoffs_by_owner_team_and_nobody_with_the_wait(client, gestor, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["repasses"].current == 3
    assert tiles["repasses-dono"].current == 1
    assert tiles["repasses-equipe"].current == 1
    assert tiles["repasses-ninguem"].current == 1
    wait = tiles["repasses-espera-media"]
    assert wait.current == 6 * MIN and wait.previous is None  # (2 + 10) / 2
    assert wait.text == "6 min" and wait.previous_text == "—" and wait.change == "—"


def test_S8_per_passo_and_per_channel(client, gestor, data):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    assert table(response, "uma-ligacao-por-passo") == {
        "1º passo: cliente com agendamento": [3, 1, 100 / 3, 30 * MIN],
        "2º passo: venda direta": [1, 1, 100.0, 20 * MIN],
        "3º passo: com o comercial": [1, 0, 0.0, None],
    }
    by_channel = table(response, "uma-ligacao-por-canal")
    assert by_channel["Chat"] == [2, 1, 50.0, 20 * MIN]
    assert by_channel["Telefone"] == [1, 1, 100.0, 30 * MIN]
    assert by_channel["WhatsApp"] == [1, 0, 0.0, None]
    assert by_channel["E-mail"] == [1, 0, 0.0, None]


def test_S8_an_agent_sees_the_triages_they_started(client, ana, data):
    client.force_login(ana)
    response = client.get(PAGE, SEVEN)
    tiles = tiles_of(response)
    assert tiles["atendimentos"].current == 3  # direct, nobody took it, comercial
    assert tiles["atendimentos-vendidos"].current == 1
    assert all(
        b["section"].slug != "uma-ligacao" or not any(t["breakdown"].team_only for t in b["tables"])
        for b in response.context["blocks"]
    )


def test_S8_drill_down_lists_the_sold_triages_with_their_passo(client, gestor, data):
    client.force_login(gestor)
    response = client.get(reverse("indicators:list", args=["atendimentos-vendidos"]), SEVEN)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2
    body = response.content.decode()
    assert "1º passo: cliente com agendamento" in body and "2º passo: venda direta" in body


def test_S8_export_writes_times_as_spreadsheet_durations(client, gestor, data):
    client.force_login(gestor)
    response = client.get(
        reverse("indicators:export"), {**SEVEN, "tabela": "uma-ligacao-por-passo"}
    )
    sheet = load_workbook(io.BytesIO(response.content))["Por passo"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    first = rows["1º passo: cliente com agendamento"]
    mean = first[10]  # Nome + 3 figures × (value, previous, change), then the mean
    assert mean.value == dt.timedelta(minutes=30)  # a duration cell, not text
    assert mean.number_format == "[h]:mm"


@pytest.mark.parametrize(
    "seconds, text",
    [(42, "42 s"), (12 * MIN, "12 min"), (185 * MIN, "3 h 05 min"), (50 * 3600, "2 d 2 h")],
)
def test_durations_read_in_words(seconds, text):
    assert duration_text(seconds) == text


def test_S8_time_to_sale_spans_midnight_and_days(client, gestor, ana, products, clock):
    triage(
        products["intimacao"],
        ana,
        at(2027, 4, 16, 23, 50),
        T.SOLD,
        sold_at=at(2027, 4, 18, 0, 10),
    )
    client.force_login(gestor)
    mean = tiles_of(client.get(PAGE, SEVEN))["atendimentos-tempo-medio-venda"]
    assert mean.current == (24 * 60 + 20) * MIN and mean.text == "1 d 0 h"


def test_channel_filter_narrows_triages_and_tickets_only(client, gestor, data, ana, products):
    client.force_login(gestor)
    response = client.get(PAGE, {**SEVEN, "canal": "chat"})
    assert response.status_code == 200
    tiles = tiles_of(response)
    assert tiles["atendimentos"].current == 2  # the chat ones
    assert tiles["atendimentos"].previous == 1
    every = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["vendas"].current == every["vendas"].current  # sales have no channel
    body = response.content.decode()
    assert "canal Chat" in body and '<option value="chat" selected>' in body
    drill = client.get(
        reverse("indicators:list", args=["atendimentos"]), {**SEVEN, "canal": "chat"}
    )
    assert drill.context["page"].paginator.count == 2


def test_unknown_channel_is_a_400_with_a_message(client, gestor):
    client.force_login(gestor)
    response = client.get(PAGE, {**SEVEN, "canal": "pombo"})
    assert response.status_code == 400
    assert "Canal inválido" in response.content.decode()

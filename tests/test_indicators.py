"""Indicadores (issue 19): figures of a known data set computed by hand, the previous period,
the agent-only restriction, bad parameters, drill-down lists and the XLSX export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from model_bakery import baker
from openpyxl import load_workbook

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tickets.models import Ticket, TicketAlert
from workflows import indicators as ind
from workflows.models import (
    Agendamento,
    AgendamentoKind,
    Movimentacao,
    Orcamento,
    OrcamentoItem,
    Sale,
)
from workflows.overrides import override_record
from workflows.roles import AGENT, SELLER, SUPPORT

PAGE = reverse("indicators:page")
SEVEN = {"periodo": "7dias"}  # today is Mon 19/04/2027: 13/04–19/04 against 06/04–12/04


@pytest.fixture
def ana(make_user):
    return make_user(AGENT, SELLER, SUPPORT, username="ana", first_name="Ana")


def sale(seller, product, when, total, **fields):
    return baker.make(
        Sale,
        ficha=make_ficha(name=f"Cliente {when:%d%H%M}"),
        product=product,
        seller=seller,
        at=when,
        unit_price=Decimal(total),
        total=Decimal(total),
        **{"commission_rule": "S4", "commission_reason": "venda", **fields},
    )


@pytest.fixture
def data(clock, ana, bruno, gestor, products):
    return build_data(clock, ana, bruno, gestor, products)


def build_data(clock, ana, bruno, gestor, products) -> dict:
    """The known data set of these tests (figures computed by hand in each test)."""
    intim, pesq = products["intimacao"], products["pesquisa"]
    # Sales: the period starts at 13/04 00:00 in São Paulo (03:00 UTC).
    sale(ana, intim, at(2027, 4, 19, 8, 0), "100.00", from_campaign=True)
    sale(ana, pesq, at(2027, 4, 13, 0, 0), "50.00", discount=Decimal("10.00"))
    sale(bruno, intim, at(2027, 4, 15, 14, 0), "200.00")
    sale(ana, intim, at(2027, 4, 12, 23, 59), "30.00")  # previous period
    sale(bruno, pesq, dt.datetime(2027, 4, 13, 2, 0, tzinfo=dt.UTC), "40.00")  # 12/04 23:00 SP
    sale(bruno, pesq, at(2027, 4, 5, 12, 0), "999.00")  # before both periods
    # Agendamentos opened in the period (ana: 3, one expired, one sold; bruno: 1) and before.
    ags = {}
    for name, owner, created, state in [
        ("expired", ana, at(2027, 4, 14, 10), Agendamento.State.EXPIRED),
        ("sold", ana, at(2027, 4, 15, 10), Agendamento.State.CONCLUDED),
        ("live", ana, at(2027, 4, 19, 8), Agendamento.State.ACTIVE),
        ("done", bruno, at(2027, 4, 16, 10), Agendamento.State.CONCLUDED),
        ("old", ana, at(2027, 4, 8, 10), Agendamento.State.CONCLUDED),
    ]:
        ags[name] = baker.make(
            Agendamento,
            ficha=make_ficha(name=f"Ficha {name}"),
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=intim,
            owner=owner,
            state=state,
            created_at=created,
            scheduled_for=created.date(),
            due_date=created.date() + dt.timedelta(days=2),
        )
    for name, reason in [("sold", "sale"), ("done", "follow_up")]:
        baker.make(
            Movimentacao,
            ficha=ags[name].ficha,
            agendamento=ags[name],
            reason=reason,
            channel="phone",
            outcome="resolved",
            text="concluindo agendamento",
        )
    # Orçamentos: one accepted (2 × 100 − 20), one rejected (1 × 89,90 at the catalogue price).
    accepted = baker.make(
        Orcamento,
        ficha=make_ficha(),
        author=ana,
        state=Orcamento.State.ACCEPTED,
        created_at=at(2027, 4, 14, 9),
        sent_at=at(2027, 4, 14, 10),
        decided_at=at(2027, 4, 15, 10),  # a day after sending
    )
    baker.make(
        OrcamentoItem,
        orcamento=accepted,
        product=intim,
        quantity=2,
        unit_price=Decimal("100"),
        discount=Decimal("20"),
    )
    rejected = baker.make(
        Orcamento,
        ficha=make_ficha(),
        author=bruno,
        state=Orcamento.State.REJECTED,
        created_at=at(2027, 4, 16, 9),
        sent_at=at(2027, 4, 16, 10),
        decided_at=at(2027, 4, 16, 12),  # two hours after sending
    )
    baker.make(
        OrcamentoItem, orcamento=rejected, product=intim, quantity=1, unit_price=None, discount=0
    )
    # M1: two overrides by the manager in the period.
    with clock.frozen(at(2027, 4, 15, 11)):
        override_record(ags["live"], manager=gestor, rule_id="S2", reason="cliente viajando")
        override_record(ags["done"], manager=gestor, rule_id="M1", reason="troca de responsável")
    # Support: one ticket of ana's opened and concluded in the period, one breach.
    ticket = baker.make(
        Ticket,
        assignee=ana,
        created_at=at(2027, 4, 14, 9),
        resolved_at=at(2027, 4, 15, 9),
        state=Ticket.State.DONE,
        subject="Erro ao emitir boleto",
    )
    baker.make(
        TicketAlert,
        ticket=ticket,
        kind=TicketAlert.Kind.BREACH,
        target=TicketAlert.Target.RESPONSE,
        at=at(2027, 4, 14, 15),
        due_at=at(2027, 4, 14, 14),
    )
    return ags


def tiles_of(response) -> dict:
    """{figure key: Value} of every tile on the page."""
    return {
        tile["item"].key: tile["value"]
        for block in response.context["blocks"]
        for tile in block["tiles"]
    }


def table(response, slug) -> dict:
    for block in response.context["blocks"]:
        for t in block["tables"]:
            if t["breakdown"].slug == slug:
                return {row["label"]: [v.current for v in row["values"]] for row in t["rows"]}
    raise AssertionError(f"no table {slug}")


def test_sales_figures_compare_with_the_same_length_before_at_sao_paulo_midnight(
    client, gestor, data
):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    assert response.status_code == 200
    tiles = tiles_of(response)
    assert (tiles["vendas"].current, tiles["vendas"].previous) == (3, 2)
    assert tiles["vendas"].change == "▲ 50,0 %" and tiles["vendas"].verdict == "better"
    assert tiles["vendas-valor"].current == Decimal("350.00")
    assert tiles["vendas-valor"].previous == Decimal("70.00")
    assert tiles["vendas-campanha"].current == 1
    assert round(tiles["vendas-campanha-pct"].current, 1) == 33.3
    assert tiles["vendas-descontos"].current == Decimal("10.00")
    assert tiles["vendas-descontos"].verdict == "worse"  # more discount is worse
    assert table(response, "vendas-por-vendedor") == {
        "Bruno": [1, Decimal("200.00"), Decimal("0.00")],
        "Ana": [2, Decimal("150.00"), Decimal("10.00")],
    }
    assert table(response, "vendas-por-produto")["Pesquisa processual"][0] == 1
    body = response.content.decode()
    assert "R$ 350,00" in body and "13/04/2027 a 19/04/2027" in body


def test_sales_per_day_chart_has_every_day_and_its_numbers(client, gestor, data):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    block = response.context["blocks"][0]
    days = {d["day"]: (d["count"], d["total"]) for d in block["series"]}
    assert len(days) == 7
    assert days[dt.date(2027, 4, 13)] == (1, Decimal("50.00"))
    assert days[dt.date(2027, 4, 14)] == (0, Decimal("0.00"))
    assert days[dt.date(2027, 4, 15)] == (1, Decimal("200.00"))
    assert len(block["chart"]["bars"]) == 7
    html = response.content.decode()
    sales_chart = html.split('id="grafico-vendas-por-dia"', 1)[1].split("</svg>", 1)[0]
    assert sales_chart.count("<rect x=") == 7


def test_agendamentos_outcomes_expiry_is_worse_when_it_grows(client, gestor, data):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    assert table(response, "agendamentos-por-tipo") == {"#venda/tratativas com contato": [4, 1, 1]}
    tiles = tiles_of(response)
    assert (tiles["agendamentos"].current, tiles["agendamentos"].previous) == (4, 1)
    assert tiles["agendamentos-venda"].current == 1
    assert tiles["agendamentos-concluidos"].current == 1
    assert tiles["agendamentos-expirados"].current == 1
    assert tiles["agendamentos-expirados"].verdict == "worse"
    assert tiles["agendamentos-expirados"].change == "▲ novo"
    assert tiles["agendamentos-em-aberto"].current == 1
    assert tiles["agendamentos-expirados-pct"].current == 25.0
    assert tiles["agendamentos-expirados-pct"].verdict == "worse"


def test_expiry_rate_per_agent(client, gestor, data):
    client.force_login(gestor)
    rows = table(client.get(PAGE, SEVEN), "agendamentos-por-responsavel")
    assert rows["Ana"][:2] == [3, 1] and round(rows["Ana"][2], 1) == 33.3
    assert rows["Bruno"] == [1, 0, 0.0]


def test_orcamentos_conversion_and_value(client, gestor, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["orcamentos"].current == 2
    assert tiles["orcamentos-enviados"].current == 2
    assert tiles["orcamentos-aceitos"].current == 1
    assert tiles["orcamentos-recusados"].current == 1
    assert tiles["orcamentos-conversao"].current == 50.0
    assert tiles["orcamentos-valor"].current == Decimal("269.90")
    assert tiles["orcamentos-valor-aceito"].current == Decimal("180.00")
    assert tiles["orcamentos-decisao-media"].current == 13 * 3600  # (24 h + 2 h) / 2
    assert tiles["orcamentos-decisao-media"].text == "13 h 00 min"


def test_orcamento_value_counts_the_whole_quote_discount(client, gestor, data):
    item = OrcamentoItem.objects.get(orcamento__state=Orcamento.State.ACCEPTED)
    OrcamentoItem.objects.filter(pk=item.pk).update(quote_discount=Decimal("18.00"))
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["orcamentos-valor-aceito"].current == Decimal("162.00")  # 200 − 20 − 18


def test_M1_overrides_per_rule_and_per_manager(client, gestor, data):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    assert tiles_of(response)["excecoes"].current == 2
    assert table(response, "excecoes-por-regra") == {
        "M1 · Exceção do gestor": [1],
        "S2 · Prazos de agendamento": [1],
    }
    assert table(response, "excecoes-por-gestor") == {"Gestora": [2]}


def test_support_tickets_and_sla_breaches(client, gestor, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["chamados"].current == 1 and tiles["chamados-concluidos"].current == 1
    assert tiles["estouros-sla"].current == 1 and tiles["estouros-sla"].verdict == "worse"
    assert tiles["estouros-sla-resolucao"].current == 0


def test_product_filter(client, gestor, products, data):
    client.force_login(gestor)
    response = client.get(PAGE, {**SEVEN, "produto": products["pesquisa"].pk})
    tiles = tiles_of(response)
    assert (tiles["vendas"].current, tiles["vendas"].previous) == (1, 1)
    assert tiles["orcamentos"].current == 0
    assert tiles["agendamentos"].current == 0


def test_manager_filters_by_member(client, gestor, bruno, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, {**SEVEN, "membro": bruno.pk}))
    assert tiles["vendas"].current == 1 and tiles["vendas-valor"].current == Decimal("200.00")


def test_an_agent_sees_only_their_own_figures_even_asking_for_another(client, ana, bruno, data):
    client.force_login(ana)
    response = client.get(PAGE, {**SEVEN, "membro": bruno.pk})
    assert response.status_code == 200
    tiles = tiles_of(response)
    assert tiles["vendas"].current == 2 and tiles["vendas-valor"].current == Decimal("150.00")
    assert tiles["agendamentos"].current == 3
    assert "excecoes" not in tiles  # the managers' section
    slugs = {t["breakdown"].slug for b in response.context["blocks"] for t in b["tables"]}
    assert "vendas-por-vendedor" not in slugs
    assert "Bruno" not in response.content.decode()
    # ... in the records and the export as well
    lista = client.get(reverse("indicators:list", args=["vendas"]), {**SEVEN, "membro": bruno.pk})
    assert lista.context["page"].paginator.count == 2
    book = client.get(reverse("indicators:export"), {**SEVEN, "membro": bruno.pk})
    summary = load_workbook(io.BytesIO(book.content))["Resumo"]
    assert [r for r in summary.iter_rows(min_row=2, values_only=True) if r[1] == "Vendas"][0][
        2
    ] == 2


def test_a_user_without_a_role_gets_403(client, make_user, data):
    client.force_login(make_user())
    for url in (PAGE, reverse("indicators:export"), reverse("indicators:list", args=["vendas"])):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "params, message",
    [
        ({"de": "abc"}, "Data inicial inválida"),
        ({"de": "9999-12-31"}, "Escolha datas até hoje"),
        ({"periodo": "xyz"}, "Período desconhecido"),
        ({"periodo": "personalizado", "de": "19/04/2027", "ate": "01/04/2027"}, "anterior ou"),
        ({"membro": "abc"}, "Membro da equipe inválido"),
        ({"produto": "999999"}, "Produto inválido"),
    ],
)
def test_bad_parameters_answer_400_with_a_message(client, clock, gestor, params, message):
    client.force_login(gestor)
    for url in (PAGE, reverse("indicators:export"), reverse("indicators:list", args=["vendas"])):
        response = client.get(url, params)
        assert response.status_code == 400
        assert message in response.content.decode()


def test_custom_period_in_brazilian_or_iso_dates(client, gestor, data):
    client.force_login(gestor)
    for de, ate in [("13/04/2027", "15/04/2027"), ("2027-04-13", "2027-04-15")]:
        response = client.get(PAGE, {"periodo": "personalizado", "de": de, "ate": ate})
        assert response.status_code == 200
        tiles = tiles_of(response)
        # 13–15/04 against 10–12/04
        assert (tiles["vendas"].current, tiles["vendas"].previous) == (2, 2)


def test_today_starts_at_midnight_in_sao_paulo(client, gestor, ana, products, clock):
    sale(ana, products["intimacao"], at(2027, 4, 19, 0, 0), "10.00")  # today
    sale(ana, products["intimacao"], at(2027, 4, 18, 23, 59), "20.00")  # yesterday
    sale(ana, products["intimacao"], dt.datetime(2027, 4, 19, 2, 0, tzinfo=dt.UTC), "40.00")
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, {"periodo": "hoje"}))
    assert (tiles["vendas-valor"].current, tiles["vendas-valor"].previous) == (10, 60)
    assert tiles["vendas-valor"].change == "▼ 83,3 %"
    assert tiles["vendas-valor"].verdict == "worse"


def test_periods(clock):
    today = dt.date(2027, 4, 19)
    months = ind.resolve_period({"periodo": "mes-anterior"}, today)
    assert (months.start, months.end) == (dt.date(2027, 3, 1), dt.date(2027, 3, 31))
    assert months.previous().start == dt.date(2027, 1, 29)
    this = ind.resolve_period({}, today)
    assert (this.key, this.start, this.days) == ("mes", dt.date(2027, 4, 1), 19)
    assert ind.resolve_period({"periodo": "hoje"}, today).previous().end == dt.date(2027, 4, 18)


def test_drill_down_lists_the_records_behind_a_figure(client, gestor, data):
    client.force_login(gestor)
    page = client.get(PAGE, SEVEN).content.decode()
    url = reverse("indicators:list", args=["agendamentos-expirados"])
    assert f'href="{url}?periodo=7dias"' in page
    response = client.get(url, SEVEN)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
    assert "Ficha expired" in response.content.decode()


def test_drill_down_is_paginated(client, gestor, ana, products, clock):
    for n in range(55):
        sale(ana, products["intimacao"], at(2027, 4, 19, 8, 0) - dt.timedelta(minutes=n), "1.00")
    client.force_login(gestor)
    url = reverse("indicators:list", args=["vendas"])
    first = client.get(url, SEVEN)
    assert len(first.context["rows"]) == 50 and "pagina=2" in first.content.decode()
    assert len(client.get(url, {**SEVEN, "pagina": 2}).context["rows"]) == 5


def test_unknown_figure_is_404(client, gestor):
    client.force_login(gestor)
    assert client.get(reverse("indicators:list", args=["nada"])).status_code == 404


def test_the_page_takes_few_queries(
    client, gestor, ana, products, data, django_assert_max_num_queries
):
    """One aggregate query per source (its tiles and tables together) and per chart, plus
    the request's own (session, user and roles, content types, the filter lists), plus one
    read of the daily rollup per source and chart it keeps and one of its stamp, plus one read
    of the names per related model grouped (agents, products, SLA policies): more rows cost
    no more queries."""
    from web.indicators_views import SECTIONS
    from workflows import indicators_rollup as rollup

    sources = {f.source.slug for f in ind.figure_index(SECTIONS).values()}
    charts = sum(1 for s in SECTIONS if s.series)
    kept = len(rollup.plans(SECTIONS)) + sum(1 for s in SECTIONS if s.series and s.series.rolls)
    kept += 1  # the stamp of the kept days (indicators_rollup_read.stamp)
    # the related rows' names, read once per foreign key grouped (not joined)
    index, grouped = ind.figure_index(SECTIONS), {}
    sources_by_slug = {f.source.slug: f.source for f in index.values()}
    for breakdown in (b for s in SECTIONS for b in s.breakdowns):
        item = breakdown.figures[0]
        key = item.part if isinstance(item, ind.Ratio) else item.key
        grouped.setdefault(index[key].source.slug, set()).update(breakdown.group)
    models = {
        sources_by_slug[slug].queryset().model._meta.get_field(key).related_model
        for slug, fields in grouped.items()
        for key in ind.split_group(tuple(fields))[1]
    }
    related = len(models)
    for n in range(30):
        sale(ana, products["integra"], at(2027, 4, 18, 8, 0) - dt.timedelta(hours=n), "10.00")
    client.force_login(gestor)
    with django_assert_max_num_queries(len(sources) + charts + kept + related + 8):
        assert client.get(PAGE, SEVEN).status_code == 200


def _numbers(blocks) -> dict:
    out = {}
    for block in blocks:
        for item, value in block["tiles"]:
            out[item.key] = (value.current, value.previous)
        for table in block["breakdowns"]:
            for row in table["rows"]:
                name = (table["breakdown"].slug, row["key"], row["label"])
                out[name] = [(v.current, v.previous) for v in row["values"]]
    return out


@pytest.mark.parametrize("who", ["team", "agent", "product"])
def test_one_query_per_source_gives_the_numbers_of_each_table_on_its_own(
    clock, ana, products, data, who
):
    """compute() groups a source once by all its tables' fields and adds the groups up; each
    table and the tiles computed on their own (one query each) give the same numbers."""
    from web.indicators_views import SECTIONS

    period = ind.resolve_period({"periodo": "7dias"}, clock.today())
    scope = {
        "team": ind.Scope(period),
        "agent": ind.Scope(period, member=ana),
        "product": ind.Scope(period, product=products["intimacao"]),
    }[who]
    team = who != "agent"
    index = ind.figure_index(SECTIONS)
    alone = [
        {
            "tiles": ind.tiles(section, scope, index),
            "breakdowns": [
                {"breakdown": b, "rows": ind.breakdown_rows(b, scope, index)}
                for b in section.breakdowns
                if team or not b.team_only
            ],
        }
        for section in SECTIONS
    ]
    together = _numbers(ind.compute(SECTIONS, scope, team=team))
    assert together == _numbers(alone)
    assert together["vendas"][0] > 0 or who == "agent"


def test_S5_S6_S7_recontracts_of_inactive_fichas(client, gestor, ana, bruno, data):
    from django.contrib.contenttypes.models import ContentType

    from workflows.models import AuditEntry, Ficha

    ficha = make_ficha(name="Dra. Volta Sempre")
    for who, when in [(ana, at(2027, 4, 15, 10)), (bruno, at(2027, 4, 5, 10))]:
        AuditEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Ficha),
            object_id=str(ficha.pk),
            actor=who,
            at=when,
            event="recontract",
            from_state="inactive_manual",
            to_state="active",
        )
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert (tiles["recontratacoes"].current, tiles["recontratacoes"].previous) == (1, 0)
    rows = client.get(reverse("indicators:list", args=["recontratacoes"]), SEVEN)
    assert rows.context["page"].paginator.count == 1
    client.force_login(bruno)
    assert tiles_of(client.get(PAGE, SEVEN))["recontratacoes"].current == 0

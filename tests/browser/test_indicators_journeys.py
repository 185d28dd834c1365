"""Indicadores journeys in Chromium (issue 19), at 1280 and 390 px:

1. Suporte: the manager reads the backlog chart ("Chamados em aberto no fim de cada dia") of a
   custom period, its table of numbers and its XLSX, on tickets opened, concluded and reopened
   through the desk engine on known São Paulo days, counted by hand.
2. Orçamentos (G8): the seller refuses a sent orçamento with a reason ("Outro" needs details),
   another seller refuses one for "Preço"; the manager sees the refusals per reason and follows
   each figure to exactly the orçamentos behind it.
3. The nightly rollup (the django-q2 schedule's job) runs with the manager's page open: the
   figures read the same from the kept days; a ticket reopened from its page is counted live
   again.
"""

import datetime as dt
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import at
from tests.sales_fixtures import BITRIX, make_ficha
from tests.test_indicators_orcamentos import quote
from tests.tickets_support.helpers import new_ticket
from tickets import desk
from tickets.models import SlaPolicy, Ticket
from web.indicators_sections import roll_recent
from workflows.models import Agendamento, IndicatorDay, Orcamento
from workflows.orcamento import orcamento_create, orcamento_item_set, orcamento_send, orcamento_step
from workflows.roles import AGENT, SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


def no_horizontal_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


# --- 1. The backlog chart of the support section ---------------------------------------------

BACKLOG_TITLE = "Chamados em aberto no fim de cada dia"
# The custom period: Monday 12/04/2027 to Friday 16/04/2027 (today is Monday 19/04).
PERIOD = {"de": "2027-04-12", "ate": "2027-04-16"}
# Open at the end of each local day, by hand (letters: the tickets of `backlog_tickets`):
#   12/04 A B · 13/04 A B C · 14/04 A C (B concluded 23:50, D in and out) · 15/04 A (C
#   concluded) · 16/04 A C E (C reopened, E opened).
EXPECTED_BACKLOG = [
    (dt.date(2027, 4, 12), 2),
    (dt.date(2027, 4, 13), 3),
    (dt.date(2027, 4, 14), 2),
    (dt.date(2027, 4, 15), 1),
    (dt.date(2027, 4, 16), 3),
]


@pytest.fixture
def backlog_tickets(make_user, gestor, clock):
    """Tickets opened, concluded and reopened by Carla through the engine, the clock frozen at
    each moment (São Paulo time; the late evening ones fall on the next UTC day)."""
    carla = make_user(AGENT, SUPPORT, username="carla", first_name="Carla")
    p3 = SlaPolicy.objects.get(priority="P3")

    def opened(when, subject):
        clock.freeze(when)
        return new_ticket(carla, sla_policy=p3, subject=subject)

    def move(ticket, event, when, reason):
        clock.freeze(when)
        return desk.ticket_act(ticket, event, actor=carla, reason=reason)

    a = opened(at(2027, 4, 9, 10), "A: aberto antes do período")
    b = opened(at(2027, 4, 12, 10), "B: concluído no fim da noite")
    c = opened(at(2027, 4, 13, 23, 30), "C: concluído e reaberto")
    b = move(b, "conclude", at(2027, 4, 14, 23, 50), "Envio normalizado.")
    d = opened(at(2027, 4, 14, 9), "D: aberto e concluído no mesmo dia")
    d = move(d, "conclude", at(2027, 4, 14, 17), "Resolvido na hora.")
    c = move(c, "conclude", at(2027, 4, 15, 10), "Certificado reinstalado.")
    c = move(c, "reopen", at(2027, 4, 16, 11), "Voltou a falhar.")
    e = opened(at(2027, 4, 16, 8), "E: aberto no último dia")
    opened(at(2027, 4, 17, 10), "F: aberto depois do período")
    clock.freeze(at(2027, 4, 19, 9))
    states = {t.subject[0]: Ticket.objects.get(pk=t.pk).state for t in (a, b, c, d, e)}
    assert states == {
        "A": Ticket.State.OPEN,
        "B": Ticket.State.DONE,
        "C": Ticket.State.ANALYSIS,
        "D": Ticket.State.DONE,
        "E": Ticket.State.OPEN,
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_manager_reads_the_backlog_chart_its_numbers_and_its_xlsx(
    session, backlog_tickets, width, tmp_path
):
    s = session("gestor", width=width)
    page = s.go(f"/indicadores/?periodo=personalizado&de={PERIOD['de']}&ate={PERIOD['ate']}")
    expect(page.locator("#ind-scope")).to_contain_text("12/04/2027 a 16/04/2027")
    support = page.locator("#secao-suporte")
    expect(support.get_by_role("heading", name="Suporte", exact=True)).to_be_visible()

    # The server-rendered SVG, named by its heading: one bar per day, as tall as its count.
    chart = support.get_by_role("img", name=BACKLOG_TITLE)
    expect(chart).to_be_visible()
    bars = chart.locator("rect")
    expect(bars).to_have_count(len(EXPECTED_BACKLOG))
    titles = [t.strip() for t in chart.locator("rect title").all_text_contents()]
    assert titles == [
        f"{day:%d/%m/%Y}: {n} chamado{'s' if n != 1 else ''}" for day, n in EXPECTED_BACKLOG
    ]
    heights = [float(bars.nth(i).get_attribute("height")) for i in range(len(EXPECTED_BACKLOG))]
    top, tallest = max(n for _, n in EXPECTED_BACKLOG), max(heights)
    assert tallest > 0
    for height, (_, n) in zip(heights, EXPECTED_BACKLOG, strict=True):
        assert height == pytest.approx(tallest * n / top, abs=0.11)
    box = chart.bounding_box()
    assert box["width"] > 0 and box["x"] + box["width"] <= width

    # Its accessible table, behind "Números do gráfico": one row per day of the period.
    numbers = support.locator("details", has_text="Números do gráfico")
    table = numbers.get_by_role("table", name=BACKLOG_TITLE)
    expect(table).to_be_hidden()
    numbers.locator("summary", has_text="Números do gráfico").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_text(["Dia", "Em aberto"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(EXPECTED_BACKLOG))
    shown = [
        (rows.nth(i).locator("th").inner_text(), rows.nth(i).locator("td").inner_text())
        for i in range(len(EXPECTED_BACKLOG))
    ]
    assert shown == [(f"{day:%d/%m/%Y}", str(n)) for day, n in EXPECTED_BACKLOG]
    no_horizontal_scroll(page, width)
    screenshot(page, f"indicadores-backlog-{width}")

    # The chart's own XLSX: the same numbers, as a date and an integer per row.
    with page.expect_download() as download:
        numbers.get_by_role("link", name="Baixar (XLSX)").click()
    assert "tabela=chamados-em-aberto-por-dia" in download.value.url
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "indicadores-20270412-20270416.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == [BACKLOG_TITLE[:31]]
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert sheet_rows[0] == ("Dia", "Em aberto")
    assert [(r[0].date(), r[1]) for r in sheet_rows[1:]] == EXPECTED_BACKLOG
    assert s.console_errors == []


# --- 2. Refusing orçamentos with a reason, then reading them in Indicadores ------------------

TODAY_PERIOD = "/indicadores/?periodo=personalizado&de=2027-04-13&ate=2027-04-19"


def sent_orcamento(author, products, name):
    """An orçamento sent to the client through the G8 services (its PDF e-mailed, the
    follow-up agendamento opened)."""
    ficha = make_ficha(name=name, email="escritorio@adv.br")
    orcamento = orcamento_create(ficha, author=author, demand="Monitorar publicações de 3 OABs")
    orcamento_item_set(orcamento, actor=author, product=products["intimacao"], quantity=3)
    orcamento = orcamento_step(orcamento, "define_products", actor=author)
    orcamento = orcamento_step(orcamento, "set_prices", actor=author)
    orcamento = orcamento_send(orcamento, actor=author, bitrix_link=BITRIX)
    assert orcamento.state == Orcamento.State.SENT
    return orcamento


@pytest.fixture
def quotes(ana, bruno, gestor, products, clock):
    """Today is Mon 19/04/2027; the period asked is 13/04–19/04, the previous one 06/04–12/04."""
    kind = Orcamento.RejectionKind
    return {
        "ana": sent_orcamento(ana, products, "Dra. Recusa Outro"),
        "bruno": sent_orcamento(bruno, products, "Dr. Recusa Preço"),
        # Not refused: stays out of every refusal list.
        "pending": sent_orcamento(ana, products, "Dra. Ainda Pensando"),
        # Refused for price in the previous period: the tile's "antes", not its list.
        "before": quote(ana, at(2027, 4, 9, 10), kind=kind.PRICE, details="antigo"),
    }


def refuse(page, kind, details=""):
    page.locator("summary", has_text="Cliente recusou").click()
    form = page.locator("#form-recusa")
    form.get_by_label("Motivo da recusa").select_option(label=kind)
    form.get_by_label("Detalhes").fill(details)
    form.get_by_role("button", name="Registrar recusa").click()
    return form


def refusal_tile(section, label):
    return section.locator(".ind-tile").filter(
        has=section.page.locator(".ind-label", has_text=re.compile(f"^{label}$"))
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_sellers_refuse_with_a_reason_and_the_manager_follows_the_refusals(session, quotes, width):
    mine, theirs = quotes["ana"], quotes["bruno"]

    # Ana: "Outro" without details is refused on the details field, and nothing changes.
    ana = session("ana", width=width)
    page = ana.go(f"/orcamentos/{mine.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Orçamento {mine.number}")
    form = refuse(page, "Outro")
    details = form.get_by_label("Detalhes")
    error = form.locator("#rejectquoteform-details + .field-error")
    expect(error).to_have_text("Descreva o motivo da recusa. (G8)")
    expect(form.locator(".field-error")).to_have_count(1)  # only on the details
    expect(form.get_by_label("Motivo da recusa")).to_have_value("other")  # kept as chosen
    expect(details).to_have_value("")
    expect(page.get_by_text("Recusa registrada.")).to_have_count(0)
    saved = Orcamento.objects.get(pk=mine.pk)
    assert (saved.state, saved.rejection_kind, saved.decided_at) == ("sent", "", None)
    assert Agendamento.objects.get(pk=saved.follow_up_id).state in Agendamento.LIVE

    # With the details: confirmed, rejected for "outro" with them.
    details.fill("O escritório fechou")
    form.get_by_role("button", name="Registrar recusa").click()
    expect(page.get_by_text("Recusa registrada.")).to_be_visible()
    expect(page.get_by_text("Recusado: Outro — O escritório fechou")).to_be_visible()
    expect(page.locator(".stepper [aria-current=step]")).to_have_text("Recusado")
    expect(page.locator("#form-recusa")).to_have_count(0)  # decided: no more refusal form
    saved = Orcamento.objects.get(pk=mine.pk)
    assert (saved.state, saved.rejection_kind, saved.rejection_reason) == (
        "rejected",
        "other",
        "O escritório fechou",
    )
    assert Agendamento.objects.get(pk=saved.follow_up_id).state == "concluded"
    no_horizontal_scroll(page, width)

    # Bruno refuses his for "Preço" (no details needed).
    bruno = session("bruno", width=width)
    page = bruno.go(f"/orcamentos/{theirs.pk}/")
    refuse(page, "Preço")
    expect(page.get_by_text("Recusa registrada.")).to_be_visible()
    expect(page.get_by_text("Recusado: Preço", exact=True)).to_be_visible()
    saved = Orcamento.objects.get(pk=theirs.pk)
    assert (saved.state, saved.rejection_kind, saved.rejection_reason) == (
        "rejected",
        "price",
        "",
    )
    assert Orcamento.objects.get(pk=quotes["pending"].pk).state == "sent"

    # The manager: the refusals per reason, each figure opening exactly its orçamentos.
    gestor = session("gestor", width=width)
    page = gestor.go(TODAY_PERIOD)
    section = page.locator("#secao-orcamentos")
    expect(section.get_by_role("heading", name="Orçamentos", exact=True)).to_be_visible()
    expected = {
        "Recusados": ("2", "antes: 1"),
        "Recusados: preço": ("1", "antes: 1"),
        "Recusados: outro": ("1", "antes: 0"),
        "Recusados: prazo": ("0", "antes: 0"),
        "Recusados: escolheu um concorrente": ("0", "antes: 0"),
        "Recusados: desistiu / sem verba": ("0", "antes: 0"),
    }
    for label, (figure, previous) in expected.items():
        tile = refusal_tile(section, label)
        expect(tile, label).to_have_count(1)
        expect(tile.locator(".ind-figure"), label).to_have_text(figure)
        expect(tile.locator(".ind-prev"), label).to_have_text(previous)
    no_horizontal_scroll(page, width)
    screenshot(page, f"indicadores-recusas-{width}")

    for label, slug, orcamento, reason in (
        ("Recusados: preço", "preco", theirs, "Preço"),
        ("Recusados: outro", "outro", mine, "Outro"),
    ):
        gestor.go(TODAY_PERIOD)
        refusal_tile(section, label).get_by_role("link", name="1").click()
        page.wait_for_url(f"**/indicadores/lista/orcamentos-recusados-{slug}/**")
        expect(page.get_by_role("heading", level=1)).to_contain_text(label)
        expect(page.get_by_text("1 registro.")).to_be_visible()
        rows = page.get_by_role("table").locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.get_by_role("link")).to_have_text(orcamento.number)
        expect(rows.first).to_contain_text(orcamento.ficha.name)
        expect(rows.first).to_contain_text(reason)
        no_horizontal_scroll(page, width)
        rows.first.get_by_role("link", name=orcamento.number).click()
        page.wait_for_url(f"**/orcamentos/{orcamento.pk}/")
        expect(page.get_by_text(f"Recusado: {reason}")).to_be_visible()
    assert ana.console_errors == [] and bruno.console_errors == []
    assert gestor.console_errors == []


# --- 3. The nightly rollup while the page is open, then a reopened ticket --------------------


def concluded_tile(page):
    tile = page.locator("#secao-suporte .ind-tile").filter(
        has=page.locator(".ind-label", has_text=re.compile(r"^\s*Chamados concluídos\s*$"))
    )
    return tile.locator(".ind-figure")


def test_nightly_rollup_keeps_the_figures_and_a_reopened_ticket_is_counted_again(
    session, backlog_tickets, clock
):
    """The django-q2 schedule's job (`roll_recent`) runs at 02:30 with the manager's page
    open: reloaded, every figure and the backlog chart read the same from the kept days. Then
    support reopens a ticket concluded in the period from its page: its kept day is forgotten
    and the page counts it live again (one concluded ticket less)."""
    url = f"/indicadores/?periodo=personalizado&de={PERIOD['de']}&ate={PERIOD['ate']}"
    gestor = session("gestor")
    page = gestor.go(url)
    before = page.locator("#secao-suporte").inner_text()
    concluded = int(concluded_tile(page).inner_text())
    b = Ticket.objects.get(subject__startswith="B:")
    assert (
        concluded
        == Ticket.objects.filter(
            state=Ticket.State.DONE,
            resolved_at__gte=at(2027, 4, 12),
            resolved_at__lt=at(2027, 4, 17),
        ).count()
    )
    assert concluded >= 1 and b.state == Ticket.State.DONE

    clock.freeze(at(2027, 4, 20, 2, 30))  # the schedule's hour
    roll_recent()
    kept = set(IndicatorDay.objects.filter(source="chamados-concluidos").values_list("day"))
    assert (dt.date(2027, 4, 14),) in kept  # B's day (concluded 14/04 23:50, São Paulo)
    page.reload()
    assert page.locator("#secao-suporte").inner_text() == before

    # Carla reopens B from its page (the same clock: the nightly run has just happened).
    carla = session("carla")
    ticket_page = carla.go(f"/suporte/chamados/{b.pk}/")
    ticket_page.get_by_role("link", name="Reabrir").click()
    form = ticket_page.locator("#form-reopen")
    form.get_by_label("Por que reabrir").fill("O envio voltou a falhar.")
    form.get_by_role("button", name="Reabrir").click()
    expect(ticket_page.get_by_text("Reabrir: feito.")).to_be_visible()
    assert not IndicatorDay.objects.filter(
        source="chamados-concluidos", day=dt.date(2027, 4, 14)
    ).exists()

    page.reload()
    expect(concluded_tile(page)).to_have_text(str(concluded - 1))
    # The backlog chart: B was concluded at the end of 14, 15 and 16/04, so those days stay.
    titles = [t.strip() for t in page.locator("#secao-suporte rect title").all_text_contents()]
    assert titles[-len(EXPECTED_BACKLOG) :] == [
        f"{day:%d/%m/%Y}: {n} chamado{'s' if n != 1 else ''}" for day, n in EXPECTED_BACKLOG
    ]
    assert gestor.console_errors == [] and carla.console_errors == []

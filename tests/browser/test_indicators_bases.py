"""Indicadores in Chromium on the bases a manager meets (issue 19, "done when"): the demo
data and the generated base (the generator's shape at a small scale, rollup filled as the
nightly job does), at 1280 and 390 px. Every section shows every figure with the period
before it and its change; a figure's link opens exactly the records it counts."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import at
from web.indicators_sections import SECTIONS
from workflows.roles import MANAGER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGE = re.compile(r"^(▲|▼) (\d+,\d %|\d+,\d p\.p\.|novo)$|^=$|^—$")
RECORDS = re.compile(r"· (\d+) registros?\.")


def build(base):
    if base == "demo":
        call_command("demo_data", stdout=io.StringIO())
    else:
        call_command("generate_data", scale=0.003, stdout=io.StringIO())


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("base", ["demo", "generated"])
def test_manager_reads_every_figure_its_change_and_its_records(
    session, make_user, clock, base, width
):
    make_user(MANAGER, username="gestora", first_name="Gestora")
    clock.freeze(at(2027, 4, 19, 10, 0))
    build(base)
    s = session("gestora", width=width)
    page = s.go("/indicadores/?periodo=mes")
    expect(page.locator("#ind-scope")).to_contain_text("01/04/2027 a 19/04/2027")

    counted = []  # (figure, its number, the URL of its records)
    for section in SECTIONS:
        tiles = page.locator(f"#secao-{section.slug} .ind-tile")
        expect(tiles).to_have_count(len(section.tiles))
        for n in range(len(section.tiles)):
            tile = tiles.nth(n)
            label = tile.locator(".ind-label").inner_text()
            change = tile.locator(".ind-change").inner_text().split("(")[0].strip()
            assert CHANGE.match(change), f"{section.slug} / {label}: {change!r}"
            expect(tile.locator(".ind-prev")).to_contain_text("antes:")
            link = tile.locator("a.ind-figure")
            if link.count():
                counted.append((label, link.inner_text(), link.get_attribute("href")))
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"

    # Both bases have records this month: agendamentos and tickets at least.
    assert sum(1 for _, number, _ in counted if number != "0") >= 2
    # Each figure's list holds exactly what it counts (read through the browser's session).
    for label, number, href in counted:
        listed = page.request.get(f"{s.base_url}{href}")
        assert listed.status == 200, label
        found = RECORDS.search(listed.text())
        assert found, label
        if number.startswith("R$"):  # a sum: its records are there when it is not zero
            assert (found.group(1) != "0") == (number != "R$ 0,00"), label
        else:
            assert found.group(1) == number.replace(".", ""), label

    # One of them clicked, as a manager follows it.
    label, number, href = next(c for c in counted if c[1].isdigit() and c[1] != "0")
    page.locator(f'a.ind-figure[href="{href}"]').click()
    page.wait_for_url(f"**{href.split('?')[0]}**")
    expect(page.locator("h1")).to_contain_text(label)
    expect(page.get_by_text(re.compile(rf"· {number} registros?\."))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    assert s.console_errors == []

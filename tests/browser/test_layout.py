"""At 390 px the menu collapses behind one button and a ficha's actions are one tap away."""

import pytest
from playwright.sync_api import expect

from tests.sales_fixtures import make_ficha
from workflows.roles import AGENT, SELLER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_menu_collapses_at_390_px_and_the_ficha_actions_are_one_tap_away(
    session, make_user, products, clock
):
    make_user(AGENT, SELLER, username="ana", first_name="Ana")
    ficha = make_ficha(name="Dra. Estreita Lima")
    phone = session("ana", width=390)
    page = phone.go(f"/fichas/{ficha.pk}/")
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Fichas")).to_be_visible()

    page.get_by_role("link", name="Ações da ficha ↓").click()
    card = page.locator("summary", has_text="Registrar movimentação")
    expect(card).to_be_in_viewport()
    assert phone.console_errors == []

    wide = session("ana", width=1280)
    page = wide.go(f"/fichas/{ficha.pk}/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Principal")).to_be_visible()

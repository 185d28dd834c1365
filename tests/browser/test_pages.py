"""Every main page at desktop and phone width: screenshot (build output in var/screenshots/),
no horizontal scroll, no console errors, every form field labelled, keyboard reachable."""

import pytest

from tests.browser.conftest import screenshot
from tests.sales_fixtures import BITRIX, contact, make_ficha
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT
from workflows.services import (
    create_orcamento,
    open_agendamento,
    set_item,
    start_triage,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.checkVisibility({visibilityProperty: true}))
  .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`))
             && !el.closest('label') && !el.getAttribute('aria-label')
             && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.outerHTML.slice(0, 80))"""

FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(el => el.checkVisibility({visibilityProperty: true}) && !el.disabled)"""

MISSED = f"""(reached) => ({FOCUSABLE})()
  .filter((el, i) => !reached.includes(i)).map(el => el.outerHTML.slice(0, 100))"""

FOCUS_INDEX = f"() => ({FOCUSABLE})().indexOf(document.activeElement)"

DUPLICATE_IDS = """() => { const seen = {}, dup = [];
  document.querySelectorAll('[id]').forEach(el => { if (seen[el.id]) dup.push(el.id);
                                                     seen[el.id] = 1; });
  return dup; }"""


def check_page(page, name, width):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    assert page.evaluate(UNLABELLED) == [], "unlabelled fields"
    assert page.evaluate(DUPLICATE_IDS) == [], "duplicate ids"
    count = page.evaluate(f"() => ({FOCUSABLE})().length")
    reached = set()
    page.locator("body").focus()
    for _ in range(count + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUS_INDEX))
    assert page.evaluate(MISSED, sorted(reached)) == [], "not reachable by keyboard"


@pytest.fixture
def world(make_user, products, clock):
    ana = make_user(AGENT, SELLER, username="ana", first_name="Ana")
    carla = make_user(AGENT, SUPPORT, username="carla", first_name="Carla")
    make_user(MANAGER, AGENT, username="gabriel", first_name="Gabriel")
    ficha = make_ficha(name="Dra. Página Teste", email="pagina@adv.br", phone="+5511987650000")
    open_agendamento(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    triage = start_triage(
        ficha,
        agent=carla,
        product=products["intimacao"],
        channel="chat",
        text="Quer contratar",
        bitrix_link=BITRIX,
    )
    quote = create_orcamento(ficha, author=ana, demand="Monitorar publicações de 3 advogados")
    set_item(quote, actor=ana, product=products["intimacao"], quantity=3)
    return {"ficha": ficha, "triage": triage, "quote": quote}


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_look_finished_at_desktop_and_phone_width(session, world, live_server, width):
    from playwright.sync_api import sync_playwright  # noqa: F401  (the session fixture uses it)

    ficha, triage, quote = world["ficha"], world["triage"], world["quote"]
    pages = {
        "ana": [
            ("inicio", "/"),
            ("ficha", f"/fichas/{ficha.pk}/"),
            ("busca", "/fichas/?q=Teste"),
            ("atendimento", f"/atendimentos/{triage.pk}/"),
            ("orcamento", f"/orcamentos/{quote.pk}/"),
            ("fluxos", "/fluxos/"),
        ],
        "gabriel": [("gestor", "/gestor/"), ("historico", f"/fichas/{ficha.pk}/")],
    }
    for username, paths in pages.items():
        browser = session(username, width=width)
        for name, path in paths:
            page = browser.go(path)
            if name == "historico":
                page.get_by_role("link", name="Histórico de transições da ficha").click()
            check_page(page, name, width)
        assert browser.console_errors == []


def test_login_page_is_accessible(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/entrar/")
    check_page(page, "entrar", 390)
    context.close()

"""Browser journeys: Playwright driving Debian's Chromium against Django's live server."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.sales_fixtures import BITRIX
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(settings.VAR_DIR) / "screenshots"
PASSWORD = "senha-teste-123"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason="Debian chromium not installed"))


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class Session:
    """One logged-in browser context; collects console errors."""

    def __init__(self, browser, base_url, username, width=1280):
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="pt-BR", accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url = base_url
        self.console_errors = []
        self.page.on("console", self._console)
        self.page.goto(f"{base_url}/entrar/")
        self.page.get_by_label("Usuário").fill(username)
        self.page.get_by_label("Senha").fill(PASSWORD)
        self.page.get_by_role("button", name="Entrar").click()
        self.page.wait_for_url(lambda url: not url.endswith("/entrar/"))

    def _console(self, message):
        # A refused form answers 422 on purpose (htmx swaps it in); Chromium logs every
        # non-2xx response as an error, so only those are expected.
        if message.type == "error" and "status of 422" not in message.text:
            self.console_errors.append(message.text)

    def go(self, path):
        self.page.goto(f"{self.base_url}{path}")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def session(chromium, live_server):
    opened = []

    def open_session(username, width=1280):
        s = Session(chromium, live_server.url, username, width)
        opened.append(s)
        return s

    yield open_session
    for s in opened:
        s.close()


def screenshot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# --- Shared by the journeys ------------------------------------------------------------------


@pytest.fixture
def team(make_user):
    return {
        "ana": make_user(AGENT, SELLER, username="ana", first_name="Ana"),
        "bruno": make_user(AGENT, SELLER, username="bruno", first_name="Bruno"),
        "carla": make_user(AGENT, SUPPORT, username="carla", first_name="Carla"),
        "gabriel": make_user(MANAGER, AGENT, username="gabriel", first_name="Gabriel"),
    }


def start_triage(page, product, text, channel="Chat"):
    """'Cliente entrou em contato' on the open ficha: the lazy card loads its form."""
    page.locator("summary", has_text="Cliente entrou em contato").click()
    form = page.locator("#form-atendimento")
    form.get_by_label("Produto que o cliente quer").select_option(label=product)
    form.get_by_label("Canal").select_option(label=channel)
    form.get_by_label("O que o cliente pediu").fill(text)
    form.get_by_label("Link do Bitrix da conversa").fill(BITRIX)
    form.get_by_role("button", name="Iniciar atendimento").click()
    page.wait_for_url(re.compile(r".*/atendimentos/\d+/$"))


def open_ficha(page, name):
    """Find a ficha from Início by a word of its name and open it."""
    page.get_by_label("Buscar ficha").fill(name.split()[1])
    page.locator("#ficha-results").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

"""Every page each demo role can reach, opened in headless Chromium on the demo data.

For each role set of the README's demo users: Início and every item of the navigation menu,
then every same-site link in the main content of those pages, and of the pages they lead to
(one level more), each once; a kind of page (its path without the numbers) at most twice.
Logout, admin, downloads and POST-only actions are skipped. A page fails on an HTTP status of
500 or more, a broken link (404), a link the role may not follow (403), a console or script
error, or visible text only a programmer should see (a traceback, Python's None, a
snake_case state or event name, a template tag, a state machine's class name).
"""

import contextlib
import io
import re
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import at
from tests.sales_fixtures import BITRIX
from workflows import triage
from workflows.models import Ficha, Product
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = {
    # username: the role set (the README's demo users; a manager with no other role)
    "ana": (AGENT, SELLER),
    "carla": (AGENT, SUPPORT),
    "diego": (SUPPORT, SUPPORT_DEV),
    "elisa": (AGENT, CENTRAL),
    "helena": (MANAGER,),
}
PAGES_PER_ROLE = 50
# The same kind of page (kind_of) is opened at most this often, by depth.
SAME_KIND = {0: 2, 1: 2, 2: 1}
# The menu's pages are depth 0; their links depth 1, whose links are followed once more.
MAX_DEPTH = 2

SKIP = re.compile(
    r"^/(sair|entrar|admin)/"  # logout, login, Django admin
    r"|/pdf/$|/anexos?/"  # downloads
    r"|/(assumir|venda|preco|comercial|encerrar|excecao|webhook)/$"  # POST-only actions
)

# Text a user should never read. Each pattern is checked on the page's visible text, with
# e-mail addresses and URLs taken out first (they may hold underscores).
CODE_LEAKS = {
    "a traceback": re.compile(r"Traceback|File \"/"),
    "Python's None": re.compile(r"\bNone\b"),
    "a snake_case identifier": re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])"),
    "a state machine's class name": re.compile(r"\b[A-Z]\w*Flow\b"),
    "a template tag": re.compile(r"\{\{|\}\}|\{%|%\}"),
    "a JavaScript value": re.compile(r"\[object Object\]|\bundefined\b|\bNaN\b"),
}
ACTION_PAGE = re.compile(r"^(/agendamentos/N/|/suporte/chamados/N/acao/)[\w-]+/$")
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|\bwww\.\S+")

MAIN_LINKS = """() => [...document.querySelectorAll('main a[href]')]
  .filter(a => !a.hasAttribute('download') && (!a.target || a.target === '_self'))
  .map(a => a.href)"""
HTMX_IDLE = "() => !document.querySelector('.htmx-request')"
NAV_LINKS = """() => [...document.querySelectorAll('nav[aria-label=Principal] a[href]')]
  .map(a => a.href)"""


@pytest.fixture
def demo(make_user, clock):
    """The demo data (`manage.py demo_data`) on the test clock, for users made here (so they
    have the test password), plus an S8 triage waiting for its owner."""
    users = {
        name: make_user(*roles, username=name, first_name=name.capitalize())
        for name, roles in ROLES.items()
    }
    make_user(AGENT, SELLER, username="bruno", first_name="Bruno")
    call_command("demo_data", stdout=io.StringIO())
    clock.freeze(at(2027, 4, 19, 10, 0))
    rafael = Ficha.objects.get(name="Dr. Rafael Monteiro")  # Ana's live agendamento
    triage.triage_start(
        rafael,
        agent=users["carla"],
        product=Product.objects.get(code="acompanhamento"),
        channel="chat",
        text="Quer fechar o acompanhamento processual",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    return users


def kind_of(parts):
    """A page's kind: its path with the numbers taken out and its query's keys (not values):
    /fichas/7/ and /fichas/9/ are one kind, and so are ?estado=aberto and ?estado=todos, and
    the form pages of a record's actions (/agendamentos/N/renovar/, /agendamentos/N/concluir/)."""
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    path = ACTION_PAGE.sub(r"\1*/", re.sub(r"\d+", "N", parts.path))
    return path + "?" + "&".join(keys)


def same_site(url, base):
    return urlsplit(url).netloc == urlsplit(base).netloc


def code_leaks(text):
    text = EMAIL_OR_URL.sub(" ", text)
    found = []
    for what, pattern in CODE_LEAKS.items():
        hits = sorted(set(pattern.findall(text)))
        if hits:
            found.append(f"{what}: {', '.join(hits[:5])}")
    return found


def check_page(s, url, page_errors):
    """Open `url`; what is wrong with it (status, console, visible text)."""
    page = s.page
    console_before, script_before = len(s.console_errors), len(page_errors)
    response = page.goto(url, wait_until="domcontentloaded")
    status = response.status if response else 0
    problems = []
    if status >= 500 or status == 404:
        problems.append(f"HTTP {status}")
    elif status == 403:
        problems.append("HTTP 403: a link shown to this role leads to a page it may not open")
    else:
        # HTMX requests made on load (lazy parts) finish before the page is read.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(HTMX_IDLE, timeout=3_000)
        problems.extend(f"shows {leak}" for leak in code_leaks(page.inner_text("body")))
    # Chromium also logs a failed main document (a 403, a 500) as a console error.
    if status < 400:
        new_errors = s.console_errors[console_before:] + page_errors[script_before:]
        problems.extend(f"console error: {e}" for e in new_errors)
    return problems


def crawl(s):
    """Início and the role's menu, then the links in the main content of those pages, and of
    the pages they lead to (MAX_DEPTH); each kind of page at most SAME_KIND times. Returns
    (pages opened, problems)."""
    page = s.page
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    s.go("/")
    menu = [urldefrag(u).url for u in page.evaluate(NAV_LINKS)]
    queue = [(s.base_url + "/", "the login", 0)] + [(url, "the menu", 0) for url in menu]
    seen, kinds, problems = set(), {}, []
    while queue and len(seen) < PAGES_PER_ROLE:
        url, found_on, depth = queue.pop(0)
        parts = urlsplit(url)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        kind = kind_of(parts)
        skip = SKIP.search(parts.path) or not same_site(url, s.base_url)
        if skip or key in seen or kinds.get(kind, 0) >= SAME_KIND[depth]:
            continue
        seen.add(key)
        kinds[kind] = kinds.get(kind, 0) + 1
        found = check_page(s, url, page_errors)
        problems.extend(f"{key} (linked from {found_on}): {p}" for p in found)
        if depth < MAX_DEPTH:
            links = page.evaluate(MAIN_LINKS)
            queue.extend((urldefrag(link).url, key, depth + 1) for link in links)
    return len(seen), problems


def test_every_page_of_each_role_opens_cleanly(session, demo):
    problems, opened = [], {}
    for username, roles in ROLES.items():
        opened[username], found = crawl(session(username))
        if opened[username] < 5:
            found.append(f"only {opened[username]} pages reachable")
        problems.extend(f"{username} ({' + '.join(roles)}) {p}" for p in found)
    print("pages opened per role:", opened)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)

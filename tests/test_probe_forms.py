"""The probe, part 2 (issue 18): every form of every page, fuzzed. The pages are read as a user
with every role, their `<form>`s (and the query parameters of their links) parsed, so a new
form joins by itself; each field then gets each bad value once, the other fields valid. No
answer may be a 500, and a refused request (status >= 400) must write nothing."""

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from tests.test_probe import Probe, client_for, demo, probe_user, project_urls
from workflows import clock
from workflows.roles import ALL

__all__ = ["demo"]  # the fixture, shared with tests/test_probe.py

# Every field gets these; numbers go to the fields that take numbers or ids (number, select,
# radio, hidden), dates to the date fields (and hidden ones): each field × each bad value of
# its kind once, the other fields valid.
ANY_FIELD = [
    "",
    "x" * 2**20,  # 1 MB
    "مرحبا \u202eעברית\u202c 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 ção",  # RTL override, astral plane
    "ab\x00cd",
    "'; DROP TABLE workflows_ficha; -- \" OR 1=1 <script>alert(1)</script>{{ 7|add:7 }}",
    ["1", "2"],  # a list where one value is expected
]
NUMBERS = ["-1", str(2**31), str(2**63), "4294967301", "1e309"]  # 4294967301: 5 in 32 bits
DATES = ["9999-12-31", "0001-01-01", "31/02/2026"]
BAD_VALUES = ANY_FIELD + NUMBERS + DATES


MANAGEMENT = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
LATER_ROW = re.compile(r"-[1-9][0-9]*-")  # a formset's rows after the first: fields like it


def bad_values(name: str, kind: str) -> list:
    """The bad values a field gets: a formset's later rows none (the first row stands for
    them), its management form the counts (Django caps a huge count at 1,000 forms)."""
    if LATER_ROW.search(name):
        return []
    if MANAGEMENT.search(name):
        return ["", "ab\x00cd", "-1", str(2**63)]
    numbers = NUMBERS if kind in ("number", "select", "radio", "hidden") else []
    dates = DATES if kind in ("date", "hidden") else []
    return ANY_FIELD + numbers + dates


SKIPPED_FIELDS = {"csrfmiddlewaretoken"}


def BITRIX_LINK():  # noqa: N802 (read when a test runs: settings may differ)
    return f"https://{settings.BITRIX_PORTAL_HOST}/crm/deal/details/77/"


class FormParser(HTMLParser):
    """The forms of a page: action, method and each named field's type, value and options;
    and the query parameters of its links."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.fetched: list[str] = []  # what HTMX loads into the page (lazy cards, action forms)
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "?" in (a.get("href") or ""):
            self.links.append(urljoin(self.page_url, a["href"]))
        if a.get("hx-get") and tag != "form":
            self.fetched.append(urljoin(self.page_url, a["hx-get"]))
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.page_url
            method = "POST" if "hx-post" in a else (a.get("method") or "GET").upper()
            self._form = {
                "action": urljoin(self.page_url, action),
                "method": method,
                "htmx": "hx-post" in a or "hx-get" in a,
                "fields": {},
            }
            return
        if tag == "option" and self._select is not None:  # the selected one, else the first
            value = a.get("value", "")
            if value and (self._select["value"] is None or "selected" in a):
                self._select["value"] = value
            return
        if self._form is None or not a.get("name"):
            return
        name, fields = a["name"], self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            checked = "checked" in a
            known = fields.get(name)
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                if known and not checked:
                    return
                value = value if checked or kind == "radio" else None
            fields[name] = {"type": kind, "value": value}
        elif tag == "select":
            self._select = fields[name] = {"type": "select", "value": None}
        elif tag == "textarea":
            self._textarea = fields[name] = {"type": "textarea", "value": ""}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def valid_value(name: str, spec: dict) -> str | None:
    value, kind = spec["value"], spec["type"]
    if value:
        return value
    if kind == "date":
        return (clock.today() + dt.timedelta(days=1)).isoformat()
    if kind == "number":
        return "1"
    if kind == "email" or "email" in name:
        return "probe@example.com"
    if "link" in name or kind == "url":
        return BITRIX_LINK()
    if kind == "checkbox":  # the confirmations a valid submit usually needs
        return "on"
    if kind == "select":
        return None
    return "Texto de teste do probe: cliente atendido e informado"


def valid_data(form: dict) -> dict:
    data = {name: valid_value(name, spec) for name, spec in form["fields"].items()}
    return {name: value for name, value in data.items() if value is not None}


def view_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def collect(probe, client) -> tuple[list, list]:
    """Every distinct form (by view and field names) and linked query parameter (by view and
    parameter) of every project page, and of what those pages load with HTMX (the action
    forms of the agendamento cards, the lazy cards: a few of each view)."""
    forms, params = {}, {}
    pages = [(name, url) for name, url in project_urls()]
    seen, per_view = {url for _, url in pages}, {}
    while pages:
        name, url = pages.pop(0)
        response = probe.send(client, "GET", url, name=name, who="fuzzer")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            target = view_name(form["action"])
            fields = frozenset(form["fields"]) - SKIPPED_FIELDS
            if target and fields:
                forms.setdefault((target, fields), form)
        for link in parser.links:
            target, parts = view_name(link), urlsplit(link)
            for param, _ in parse_qsl(parts.query, keep_blank_values=True):
                if target:
                    params.setdefault((target, param), parts.path)
        for fetched in parser.fetched:
            target, path = view_name(fetched), urlsplit(fetched).path
            if target and path not in seen and per_view.get(target, 0) < 3:
                seen.add(path)
                per_view[target] = per_view.get(target, 0) + 1
                pages.append((target, path))
    return list(forms.items()), list(params.items())


@pytest.fixture
def fuzzer(demo):
    """A user with every role, and records in the states whose forms would otherwise not show:
    an orçamento still being built and a triage in progress."""
    from workflows.models import Ficha, Product
    from workflows.orcamento import orcamento_create
    from workflows.triage import triage_start

    user = probe_user("probe_fuzzer", *ALL)
    ficha = Ficha.objects.filter(status="active").order_by("pk").first()
    orcamento_create(ficha, author=user, demand="Cliente quer monitorar publicações em SP")
    triage_start(
        ficha,
        agent=user,
        product=Product.objects.get(code="intimacao"),
        channel="chat",
        text="Cliente quer contratar o monitoramento",
        bitrix_link=BITRIX_LINK(),
        boleto_alert_given=True,
    )
    return user


def shown(value) -> str:
    return repr(value) if isinstance(value, list) else value


def test_probe_every_form_fuzzed_gives_no_500_and_refusals_write_nothing(fuzzer):
    probe = Probe()
    client = client_for(fuzzer)
    forms, params = collect(probe, client)
    if probe.errors:
        probe.assert_clean()  # a page that fails hides its forms: say which first
    assert len(forms) > 30, [target for (target, _), _ in forms]  # the forms were found
    htmx = client_for(fuzzer, htmx=True)  # the pages post their hx-post forms with HTMX
    for (target, fields), form in forms:
        base = valid_data(form)
        for field in sorted(fields):
            for bad in bad_values(field, form["fields"][field]["type"]):
                probe.send(
                    htmx if form["htmx"] else client,
                    form["method"],
                    form["action"],
                    {**base, field: bad},
                    name=target,
                    who="fuzzer",
                    field_name=field,
                    value=shown(bad),
                )
    for (target, param), path in params:
        for bad in ANY_FIELD + NUMBERS + DATES:
            probe.send(
                client,
                "GET",
                path,
                {param: bad},
                name=target,
                who="fuzzer",
                field_name=param,
                value=shown(bad),
            )
    print(f"probe: {len(forms)} forms, {len(params)} query parameters, {probe.requests} requests")
    print("forms:", sorted({target for (target, _), _ in forms}))
    probe.assert_clean()

"""The probe (issue 18): every URL pattern of the project, enumerated from the resolver so a new
page joins by itself, × anonymous, a user with no role, one user per role, and a user acting
on another user's record, × GET and POST. It asserts a login redirect for the anonymous, a
refusal (403, or 404/405) for who has no role, no HTTP 500 for anyone, and no database write
by any refused request. Forms are fuzzed in tests/test_probe_forms.py with the same helpers.

A write is caught without re-reading the whole database per request: every INSERT, UPDATE or
DELETE the request sends names its table (a connection execute wrapper), and those tables'
fingerprints (row count and a digest of every row's values) are compared with the ones taken
before. A statement rolled back leaves the fingerprint as it was, so it is not a write.
"""

import hashlib
import re
import sys
import traceback
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.test_permissions import PUBLIC, every_pattern, restart_id_sequences, sample_kwargs
from workflows.roles import ALL, SELLER

# Bookkeeping of signing in, not a write of the project's data.
IGNORED_TABLES = {"django_session"}
# Pages every signed-in user may read whatever their roles (their home, the flows, the
# registrations index which explains itself).
OPEN_TO_ANY_USER = {"home", "flows", "onboarding:index"}

BASE = f"{settings.BASE_DIR}/"
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def _table_models() -> dict:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def fingerprint(model) -> tuple[int, str]:
    """The row count and a digest of every value of every row (catches updates too)."""
    digest = hashlib.blake2b(digest_size=16)
    count = 0
    for row in model._base_manager.order_by("pk").values_list().iterator(chunk_size=2000):
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()


@dataclass
class Finding:
    url: str
    who: str
    method: str
    status: int
    field: str = ""
    value: str = ""
    detail: str = ""

    def __str__(self):
        typed = f" {self.field}={self.value}" if self.field else ""
        return f"{self.method} {self.url} as {self.who}{typed} → {self.status} {self.detail}"


@dataclass
class Probe:
    """Sends requests, tells which tables each one wrote, collects 500s and refused writes."""

    errors: list = field(default_factory=list)  # HTTP 500s
    refused_writes: list = field(default_factory=list)  # status >= 400 that changed data
    requests: int = 0

    def __post_init__(self):
        self.models = _table_models()
        self.prints = {table: fingerprint(m) for table, m in self.models.items()}
        self._touched: set[str] = set()
        self._exception = ""

    def _watch(self, execute, sql, params, many, context):
        match = _WRITE.match(sql)
        if match:
            self._touched.add(match.group(1))
        return execute(sql, params, many, context)

    def _on_exception(self, sender, request=None, **kwargs):
        _, error, tb = sys.exc_info()
        frames = traceback.extract_tb(tb)
        ours = [f for f in frames if "site-packages" not in f.filename]
        last = (ours or frames)[-1]
        where = f"{last.filename.removeprefix(str(BASE))}:{last.lineno}"
        self._exception = f"{type(error).__name__}: {str(error)[:120]} at {where}"

    def changed_tables(self) -> list[str]:
        changed = []
        for table in sorted(self._touched - IGNORED_TABLES):
            model = self.models.get(table)
            now = fingerprint(model) if model else None
            if now is None or now != self.prints.get(table):
                changed.append(table)
                if now is not None:
                    self.prints[table] = now
        self._touched.clear()
        return changed

    def send(self, client, method, url, data=None, *, name, who, field_name="", value=""):
        self._exception = ""
        # A request that fails on PostgreSQL leaves the test's transaction aborted: its own
        # savepoint, rolled back after a 500, keeps the next requests meaningful.
        savepoint = transaction.savepoint()
        got_request_exception.connect(self._on_exception)
        try:
            with connection.execute_wrapper(self._watch):
                if method == "GET":
                    response = client.get(url, data or {})
                else:
                    response = client.post(url, data or {})
        finally:
            got_request_exception.disconnect(self._on_exception)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        self.requests += 1
        shown = value if len(value) <= 40 else f"{value[:20]}…({len(value)} chars)"
        finding = Finding(name, who, method, response.status_code, field_name, shown)
        if response.status_code >= 500:
            finding.detail = self._exception
            self.errors.append(finding)
        changed = self.changed_tables()
        refused = response.status_code >= 400 or _to_login(response)
        if refused and changed:
            finding.detail = f"wrote {', '.join(changed)} {self._exception}".strip()
            self.refused_writes.append(finding)
        return response

    def assert_clean(self):
        errors, writes = self.errors, self.refused_writes
        report = "\n".join(
            [f"{len(errors)} HTTP 500s:", *map(str, errors)]
            + [f"{len(writes)} refused requests that wrote:", *map(str, writes)]
        )
        assert not errors and not writes, report


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def client_for(user, htmx=False) -> Client:
    """A 500 is answered (and counted), not raised."""
    headers = {"HX-Request": "true"} if htmx else {}
    client = Client(raise_request_exception=False, headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def probe_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username, password="x", first_name=username.title())
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def project_urls():
    """(name, url) of every pattern but the public ones, with record 1 of each kind."""
    for name, route in every_pattern():
        if name not in PUBLIC:
            yield name, reverse(name, kwargs=sample_kwargs(route))


@pytest.fixture
def demo(db, clock):
    restart_id_sequences()
    call_command("demo_data", verbosity=0)


# What a POST carries when nothing better is known: the common field names of the forms.
PLAIN_POST = {"reason": "tentando pelo probe", "text": "tentando pelo probe", "rule_id": "S5"}


def test_probe_every_url_as_everyone_refuses_without_writing(demo):
    probe = Probe()
    people = {"anonymous": None, "no role": probe_user("probe_none")}
    people.update({f"role {role}": probe_user(f"probe_{role}", role) for role in ALL})
    urls = list(project_urls())
    assert len(urls) > 70  # every page of the project is here
    answers = {}
    for who, user in people.items():
        client = client_for(user)
        for name, url in urls:
            for method in ("GET", "POST"):
                response = probe.send(client, method, url, PLAIN_POST, name=name, who=who)
                answers[who, name, method] = response
    for (who, name, method), response in answers.items():
        status = response.status_code
        if who == "anonymous":
            assert _to_login(response) or status in (403, 404, 405), (name, method, status)
        elif who == "no role" and name not in OPEN_TO_ANY_USER:
            assert status in (403, 404, 405), (name, method, status)
    probe.assert_clean()


def test_probe_another_users_records_are_refused_with_403_and_nothing_written(demo):
    """The demo's agendamento and (sent) orçamento are Ana's: Bruno, a seller like her, may
    read the ficha's pages but not act on them (ownership: 403)."""
    from workflows.models import Agendamento, Orcamento, Product

    bruno = User.objects.get(username="bruno")
    assert bruno.groups.filter(name=SELLER).exists()
    agendamento = Agendamento.objects.filter(owner__username="ana", state="active").first()
    quote = Orcamento.objects.filter(author__username="ana").first()
    owned = [
        ("agendamento_action", {"pk": agendamento.pk, "action": "renovar"}),
        ("agendamento_action", {"pk": agendamento.pk, "action": "concluir"}),
        ("orcamento_item", {"pk": quote.pk}),
        ("orcamento_accept", {"pk": quote.pk}),
        ("orcamento_reject", {"pk": quote.pk}),
    ]
    typed = {
        **PLAIN_POST,
        "product": Product.objects.first().pk,
        "quantity": "1",
        "channel": "phone",
    }
    probe = Probe()
    client = client_for(bruno)
    for name, kwargs in owned:
        url = reverse(name, kwargs=kwargs)
        response = probe.send(client, "POST", url, typed, name=name, who="bruno")
        assert response.status_code == 403, (name, kwargs, response.status_code)
    probe.assert_clean()


# The probe's own check: a view that fails, one that writes and refuses, one that updates and
# refuses, and one that writes and succeeds (allowed). Served by this module as a URLconf.
def _fails(request):
    raise ZeroDivisionError("probe self-test")


def _creates_then_refuses(request):
    from django.http import HttpResponseForbidden

    Group.objects.create(name="probe-self-test")
    return HttpResponseForbidden("não")


def _updates_then_refuses(request):
    from django.http import HttpResponse

    Group.objects.filter(name=SELLER).update(name="renamed-by-probe-self-test")
    return HttpResponse("não", status=422)


def _creates_and_succeeds(request):
    from django.http import HttpResponse

    Group.objects.create(name="probe-self-test-ok")
    return HttpResponse("ok")


def _urlpatterns():
    from django.urls import path

    return [
        path("fails/", _fails),
        path("creates/", _creates_then_refuses),
        path("updates/", _updates_then_refuses),
        path("ok/", _creates_and_succeeds),
    ]


urlpatterns = _urlpatterns()


def test_the_probe_counts_500s_and_catches_inserts_and_updates_by_refusals(db, settings):
    settings.ROOT_URLCONF = __name__
    probe = Probe()
    client = client_for(None)
    for path in ("/fails/", "/creates/", "/updates/", "/ok/"):
        probe.send(client, "POST", path, {"x": "1"}, name=path, who="anonymous")
    assert [(f.url, f.status) for f in probe.errors] == [("/fails/", 500)]
    assert "ZeroDivisionError: probe self-test at tests/test_probe.py:" in probe.errors[0].detail
    assert [(f.url, f.status) for f in probe.refused_writes] == [
        ("/creates/", 403),
        ("/updates/", 422),
    ]
    assert all("auth_group" in f.detail for f in probe.refused_writes)
    with pytest.raises(AssertionError, match="1 HTTP 500s"):
        probe.assert_clean()

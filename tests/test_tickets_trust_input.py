"""Bounded input on the support pages (issue 18, item 4, tickets part): bad query parameters
get a pt-BR message, garbage POSTs a 4xx with nothing written, never a 500."""

import datetime as dt

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import textura
from tickets.models import Architect, Romaneio, Ticket
from workflows.roles import MANAGER, SUPPORT

pytestmark = pytest.mark.django_db

HUGE_TEXT = "x" * 20_000  # over every text bound (MAX_TEXT = 10 000)
GARBAGE = {
    "nul": "texto\x00com nulo",
    "huge text": HUGE_TEXT,
    "huge number": "9" * 30,
    "negative": "-1",
    "bad date": "9999-12-31",
    "ancient date": "0001-01-01",
    "not a date": "abc",
    "rtl": "\u202eodnum olá",
    "injection": "'; DROP TABLE tickets_ticket; --<script>alert(1)</script>",
}
FIELDS = [
    "ficha", "requester", "requester_email", "channel", "subject", "description", "urgency",
    "impact", "assignee", "needs_development", "reason", "number", "date", "store",
    "architect", "client", "name", "office", "email", "phone", "city", "links", "notes",
    "itens-TOTAL_FORMS", "itens-INITIAL_FORMS", "itens-0-product", "itens-0-quantity",
    "itens-0-unit", "feito",
]  # fmt: skip
# Refused whatever field they land in: a NUL byte (Django's forms refuse it) or text over
# every field's bound.
ALWAYS_REFUSED = ("nul", "huge text")


@pytest.fixture
def world(make_user, clock):
    boss = make_user(MANAGER, SUPPORT, first_name="Gabi")
    ficha = make_ficha(name="Lopes Advocacia", email="marina@lopesadv.com.br")
    ticket = new_ticket(boss, ficha=ficha)
    architect = textura.save_architect(
        {"name": "Ana Arquiteta", "email": "ana@arq.example", "phone": "", "active": True},
        actor=boss,
    )
    romaneio = Romaneio.objects.create(
        number="R-1",
        date=clock.today(),
        store="Loja Centro",
        client="Cliente X",
        created_by=boss,
    )
    client = Client()
    client.force_login(boss)
    return {"client": client, "ticket": ticket, "architect": architect, "romaneio": romaneio}


def post_urls(world):
    t, a, r = world["ticket"].pk, world["architect"].pk, world["romaneio"].pk
    return [
        reverse("tickets:create"),
        reverse("tickets:action", args=[t, "analyse"]),
        reverse("tickets:action", args=[t, "assign"]),
        reverse("tickets:action", args=[t, "conclude"]),
        reverse("tickets:github_open", args=[t]),
        reverse("tickets:link_reply", args=[t]),
        reverse("tickets:architect_create"),
        reverse("tickets:architect", args=[a]),
        reverse("tickets:romaneio_create"),
        reverse("tickets:romaneio_edit", args=[r]),
        reverse("tickets:romaneio_action", args=[r, "type_in"]),
        reverse("tickets:routine_mark", args=[1]),
    ]


def row_counts() -> dict:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def states(world) -> tuple:
    return (
        Ticket.objects.get(pk=world["ticket"].pk).version,
        Romaneio.objects.get(pk=world["romaneio"].pk).version,
        Architect.objects.get(pk=world["architect"].pk).updated_at,
    )


@pytest.mark.parametrize("value", GARBAGE, ids=list(GARBAGE))
def test_every_tickets_post_with_garbage_is_never_a_500(world, value):
    client = world["client"]
    answered = {}
    for url in post_urls(world):
        before = (row_counts(), states(world))
        response = client.post(url, dict.fromkeys(FIELDS, GARBAGE[value]))
        answered[url] = response.status_code
        if value in ALWAYS_REFUSED:
            assert 400 <= response.status_code < 500 or url.endswith("/rotina/1/"), url
            if not url.endswith("/rotina/1/"):  # the routine mark takes no text
                assert (row_counts(), states(world)) == before, url
    assert [url for url, status in answered.items() if status >= 500] == []


@pytest.mark.parametrize(
    "query",
    [
        "dia=0001-01-01",
        "dia=9999-12-31",
        "dia=abc",
        "dia=2026-02-31",
        "q=%00",
        f"q={'x' * 5000}",
        "estado=%00&canal=%00&pagina=99999999999999999999&meus=1&parados=1",
        "pagina=-1",
    ],
)
def test_bad_query_parameters_on_support_pages_are_never_a_500(world, query):
    client = world["client"]
    names = ("list", "create", "queue", "routine_team", "architects", "romaneios", "inbox")
    for name in (*names, "review", "github_board", "routine", "romaneio_create"):
        response = client.get(f"{reverse(f'tickets:{name}')}?{query}&ficha=9{'9' * 30}")
        assert response.status_code < 500, name


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "abc", "2026-02-31"])
def test_T8_team_routine_says_the_day_is_invalid_in_pt_br(world, typed, clock):
    response = world["client"].get(reverse("tickets:routine_team"), {"dia": typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dia inválido" in page and f"{clock.today():%d/%m/%Y}" in page


def test_T8_team_routine_shows_a_valid_day_without_complaint(world):
    response = world["client"].get(reverse("tickets:routine_team"), {"dia": "2026-11-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dia inválido" not in page and "30/11/2026" in page


def test_T2_ticket_subject_is_one_line_and_description_bounded(world):
    client = world["client"]
    data = {
        "requester": "Dra. Marina",
        "channel": "phone",
        "subject": "Intimações\r\nBcc: todos@example.com",
        "description": "Cliente relata falha.",
        "urgency": 2,
        "impact": 2,
    }
    assert client.post(reverse("tickets:create"), data).status_code == 302
    ticket = Ticket.objects.latest("pk")
    assert ticket.subject == "Intimações Bcc: todos@example.com"
    count = Ticket.objects.count()
    response = client.post(reverse("tickets:create"), {**data, "description": HUGE_TEXT})
    assert response.status_code == 422 and Ticket.objects.count() == count
    for urgency in ("5", "-1", "9" * 20, "1.5"):
        response = client.post(reverse("tickets:create"), {**data, "urgency": urgency})
        assert response.status_code == 422 and Ticket.objects.count() == count


def test_T5_romaneio_date_out_of_range_is_refused_in_pt_br(world):
    data = {
        "number": "R-2",
        "date": "0001-01-01",
        "store": "Loja",
        "client": "Cliente",
        "itens-TOTAL_FORMS": "0",
        "itens-INITIAL_FORMS": "0",
    }
    response = world["client"].post(reverse("tickets:romaneio_create"), data)
    assert response.status_code == 422
    assert "Data fora do intervalo" in response.content.decode()
    assert not Romaneio.objects.filter(number="R-2").exists()
    ok = {**data, "date": (dt.date(2026, 11, 30)).isoformat()}
    assert world["client"].post(reverse("tickets:romaneio_create"), ok).status_code == 302


@pytest.mark.parametrize(
    "change, field",
    [
        ({"resolution_minutes": 10**9}, "resolution_minutes"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"work_start": dt.time(18), "work_end": dt.time(9)}, "work_end"),
        ({"time_zone": "Marte/Olympus"}, "time_zone"),
    ],
)
def test_T6_an_sla_policy_stays_computable(db, change, field):
    from django.core.exceptions import ValidationError

    from tickets.models import SlaPolicy

    fields = {
        "name": "Teste",
        "first_response_minutes": 60,
        "next_update_minutes": 60,
        "resolution_minutes": 540,
        **change,
    }
    with pytest.raises(ValidationError) as refused:
        SlaPolicy(**fields).full_clean()
    assert field in refused.value.message_dict


def test_T1_a_subject_stored_with_crlf_still_answers_the_client(world, mailoutbox):
    ticket = world["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(subject="Falha\r\nBcc: todos@example.com")
    response = world["client"].post(
        reverse("tickets:action", args=[ticket.pk, "respond"]), {"reason": "Estamos vendo."}
    )
    assert response.status_code == 302
    [sent] = mailoutbox
    assert sent.subject == f"Re: {ticket.tag} Falha Bcc: todos@example.com"
    assert not ticket.notes.filter(text__startswith="Falha ao enviar").exists()

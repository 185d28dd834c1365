"""Pages and decisions make the same number of queries however much data there is (no N+1)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from tests.sales_fixtures import contact, make_ficha
from workflows.agendamentos import agendamento_open
from workflows.auth import RolesBackend
from workflows.models import Boleto, Ficha, Movimentacao
from workflows.ownership import may_sell
from workflows.roles import AGENT, MANAGER, SELLER, has_role, roles_of
from workflows.selling import ficha_sell


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fn()
    assert getattr(response, "status_code", 200) == 200
    return len(captured)


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user(AGENT, SELLER, first_name="Ana"),
        "bruno": make_user(AGENT, SELLER, first_name="Bruno"),
        "gestor": make_user(MANAGER, AGENT, first_name="Gestor"),
    }


def grow(ficha, people, products, n):
    """Add n more of everything a ficha page, home or console shows."""
    for i in range(n):
        baker.make(
            Movimentacao,
            ficha=ficha,
            author=people["ana"],
            channel="phone",
            reason="usage",
            outcome="talked",
            text=f"Contato número {i}",
        )
        baker.make(
            Boleto,
            ficha=ficha,
            amount=Decimal("10"),
            due_date=dt.date(2027, 5, i + 1),
            number=f"B{ficha.pk}-{n}-{i}",
        )
        other = make_ficha()
        agendamento_open(
            other,
            owner=people["ana"],
            kind="venda_com_contato",
            product=products["pesquisa"],
            **contact(),
            boleto_alert_given=True,
        )
        ficha_sell(
            other,
            products["integra"],
            people["bruno"],
            data_confirmed=True,
            commission_flag="repasse",
        )


def test_pages_and_decisions_do_not_grow_queries_with_the_data(people, products, clock):
    ficha = make_ficha(email="a@b.com.br", phone="+5511987650001")
    agendamento_open(
        ficha,
        owner=people["bruno"],
        kind="venda_com_contato",
        product=products["intimacao"],
        **contact(),
    )
    ana, boss = Client(), Client()
    ana.force_login(people["ana"])
    boss.force_login(people["gestor"])
    hx = {"HX-Request": "true"}
    probes = {
        "ficha": lambda: ana.get(reverse("ficha_detail", args=[ficha.pk])),
        "home": lambda: ana.get(reverse("home")),
        "console": lambda: boss.get(reverse("manager_console")),
        "console list": lambda: boss.get(reverse("console_list", args=["comissoes"])),
        "search name": lambda: ana.get(reverse("ficha_search"), {"q": "Teste"}, headers=hx),
        "search phone": lambda: ana.get(
            reverse("ficha_search"), {"q": "(11) 98765-0001"}, headers=hx
        ),
        "may_sell": lambda: may_sell(ficha, products["intimacao"], people["ana"]),
    }
    grow(ficha, people, products, 2)
    for fn in probes.values():
        fn()  # warm the per-process caches (content types, calendar)
    before = {name: queries(fn) for name, fn in probes.items()}
    grow(ficha, people, products, 12)
    after = {name: queries(fn) for name, fn in probes.items()}
    assert after == before


def make_waiting_tickets(n, policy, clock):
    from tickets.models import Ticket

    for i in range(n):
        baker.make(
            Ticket,
            ficha=make_ficha(),
            sla_policy=policy,
            state=Ticket.State.OPEN,
            response_due_at=clock.now() + dt.timedelta(hours=i % 9 - 4),
            resolution_due_at=clock.now() + dt.timedelta(days=2),
            response_since=clock.now() - dt.timedelta(hours=5),
        )


def test_T6_T8_sla_queue_and_routine_stay_bounded_as_tickets_grow(
    make_user, clock, settings, monkeypatch
):
    from tickets import selectors
    from tickets.models import SlaPolicy
    from workflows.roles import SUPPORT

    settings.ALLOWED_HOSTS = ["testserver"]
    policy = SlaPolicy.objects.get(priority="P3")
    support = Client()
    support.force_login(make_user(SUPPORT, AGENT))
    probes = {
        "queue": lambda: support.get(reverse("tickets:queue")),
        "routine": lambda: support.get(reverse("tickets:routine")),
    }
    make_waiting_tickets(3, policy, clock)
    for fn in probes.values():
        fn()
    before = {name: queries(fn) for name, fn in probes.items()}
    make_waiting_tickets(12, policy, clock)
    assert {name: queries(fn) for name, fn in probes.items()} == before

    rows, more = selectors.waiting_queue(size=5)
    assert len(rows) == 5 and more
    dues = [row["due"] for row in rows]
    assert dues == sorted(dues) and rows[0]["breached"]
    offsets = [i % 9 - 4 for n in (3, 12) for i in range(n)]
    assert selectors.waiting_counts() == (15, sum(o <= 0 for o in offsets))
    page = support.get(reverse("tickets:queue")).content.decode()
    assert "1–15 de 15 clientes aguardando" in page and "Próximos" not in page
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 10)
    page = support.get(reverse("tickets:queue")).content.decode()
    assert len(re.findall(r'href="/suporte/chamados/\d+/"', page)) == 10
    assert "1–10 de 15 clientes aguardando" in page and 'href="?pagina=2"' in page


def test_ficha_page_costs_the_same_queries_whatever_the_fichas_status(people, clock):
    from workflows.selling import ficha_inactivate

    active, inactive = make_ficha(), make_ficha()
    ficha_inactivate(inactive, actor=people["gestor"], reason="Cliente pediu para encerrar")
    ana = Client()
    ana.force_login(people["ana"])
    page = lambda f: ana.get(reverse("ficha_detail", args=[f.pk]))  # noqa: E731
    page(active)  # warm the per-process caches
    assert "Inativado manualmente por Gestor" in page(inactive).content.decode()
    assert queries(lambda: page(inactive)) == queries(lambda: page(active))


def test_ficha_page_reads_the_owners_availability_with_their_agendamentos(people, products, clock):
    one, three = make_ficha(), make_ficha()
    for ficha, codes in ((one, ["intimacao"]), (three, ["intimacao", "pesquisa", "integra"])):
        for code in codes:
            agendamento_open(
                ficha,
                owner=people["bruno"],
                kind="venda_com_contato",
                product=products[code],
                **contact(),
            )
    ana = Client()
    ana.force_login(people["ana"])
    page = lambda f: ana.get(reverse("ficha_detail", args=[f.pk]))  # noqa: E731
    page(one)  # warm the per-process caches
    assert page(three).content.decode().count("passe para") == 3  # S2: each held by Bruno
    assert queries(lambda: page(three)) == queries(lambda: page(one))


def test_lists_read_only_the_names_of_related_rows(people, products, django_assert_num_queries):
    from workflows.models import Agendamento, with_names

    ficha = make_ficha()
    agendamento_open(
        ficha,
        owner=people["ana"],
        kind="venda_com_contato",
        product=products["intimacao"],
        **contact(),
    )
    with django_assert_num_queries(1):
        [ag] = with_names(Agendamento.objects.all(), "ficha", "product", "owner")
        shown = (ag.ficha.name, ag.product.name, ag.owner.get_full_name(), ag.due_date)
    assert shown == (ficha.name, "Intimação", people["ana"].get_full_name(), ag.due_date)
    assert {"document", "email", "status"} <= ag.ficha.get_deferred_fields()
    assert "password" in ag.owner.get_deferred_fields()
    assert not ag.get_deferred_fields()  # the listed rows themselves are whole


def test_ficha_sections_in_sql_agree_with_their_querysets(db, django_assert_num_queries):
    """One query (FICHA_SECTIONS_SQL) tells which sections a ficha has; it must find rows
    exactly where each section's queryset does, whatever state the rows are in."""
    from onboarding.models import DuplicateCase, Onboarding
    from web.sales_views import FICHA_SECTIONS, FICHA_SECTIONS_SQL
    from workflows.models import DataChangeRequest, Orcamento, Override, Sale, Triage
    from workflows.selectors import sections_present

    assert list(FICHA_SECTIONS_SQL) == [name for name, _ in FICHA_SECTIONS]
    fichas = [make_ficha()]  # one with nothing

    def one(model, **fields):
        ficha = make_ficha()
        baker.make(model, ficha=ficha, **fields)
        fichas.append(ficha)

    for model in (DataChangeRequest, Triage, Orcamento, Sale, Onboarding):
        for state in model.State.values:
            one(model, state=state)
    one(Override)
    for state in DuplicateCase.State.values:
        older, newer = make_ficha(), make_ficha()  # a case holds the older ficha first
        baker.make(DuplicateCase, state=state, ficha_a=older, ficha_b=newer)
        fichas += [older, newer]
    merged = make_ficha()
    Ficha.objects.filter(pk=make_ficha().pk).update(merged_into=merged)
    fichas.append(merged)
    for ficha in fichas:
        with django_assert_num_queries(1):
            present = sections_present(FICHA_SECTIONS_SQL, ficha.pk)
        assert present == {name for name, rows_of in FICHA_SECTIONS if rows_of(ficha).exists()}
    assert sections_present(FICHA_SECTIONS_SQL, fichas[0].pk) == set()
    assert sections_present(FICHA_SECTIONS_SQL, merged.pk) == {"merged_from"}


def test_S2_S9_live_agendamentos_in_sql_agree_with_the_orm(people, products, make_user):
    """The ficha's live agendamentos, read in SQL in one query (`live_agendamentos`), are the
    rows, order, owner names, owner availability and product names the ORM reads, whatever
    the agendamentos' states and whether the owner ever saved an availability."""
    from workflows.availability import availability, set_availability
    from workflows.models import Agendamento, AgentProfile
    from workflows.selectors import live_agendamentos

    away, unnamed = make_user(AGENT, SELLER, first_name="Dora"), make_user(AGENT, SELLER)
    set_availability(away, "vacation", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    set_availability(people["bruno"], "absent")
    owners = [people["ana"], people["bruno"], away, unnamed]
    ficha, other = make_ficha(), make_ficha()
    for i, state in enumerate(Agendamento.State.values * 4):
        baker.make(
            Agendamento,
            ficha=ficha if i % 3 else other,
            owner=owners[i % len(owners)],
            product=list(products.values())[i % len(products)],
            state=state,
            due_date=dt.date(2026, 12, 20) - dt.timedelta(days=i % 4),
        )
    profiles, seen = AgentProfile.objects.count(), set()
    for f in (ficha, other, make_ficha()):
        expected = list(
            Agendamento.objects.filter(ficha=f, state__in=Agendamento.LIVE).select_related(
                "owner__agent_profile", "product"
            )
        )
        with CaptureQueriesContext(connection) as captured:
            live = live_agendamentos(f)
            read = [
                (
                    ag.pk,
                    ag.state,
                    ag.due_date,
                    ag.ficha.pk,
                    ag.owner.get_full_name() or ag.owner.username,
                    availability(ag.owner, dt.date(2026, 12, 10)),
                    str(ag.product),
                    ag.product_id,
                )
                for ag in live
            ]
        assert len(captured) == 1
        assert read == [
            (
                ag.pk,
                ag.state,
                ag.due_date,
                f.pk,
                ag.owner.get_full_name() or ag.owner.username,
                availability(ag.owner, dt.date(2026, 12, 10)),
                str(ag.product),
                ag.product_id,
            )
            for ag in expected
        ]
        assert [ag.created_at for ag in live] == [ag.created_at for ag in expected]
        seen |= {(name, status) for *_, name, status, _, _ in read}
    assert {status for _, status in seen} == {"vacation", "absent", "available"}
    assert unnamed.username in {name for name, _ in seen}
    assert AgentProfile.objects.count() == profiles  # reading saves no availability


def test_ficha_page_reads_only_the_sections_the_ficha_has(people, products, clock):
    ficha = make_ficha()
    ana = Client()
    ana.force_login(people["ana"])
    page = lambda: ana.get(reverse("ficha_detail", args=[ficha.pk]))  # noqa: E731
    page()  # warm the per-process caches
    bare = queries(page)
    assert "Nenhuma venda registrada." in page().content.decode()
    ficha_sell(ficha, products["integra"], people["ana"], data_confirmed=True)
    assert queries(page) == bare + 1  # the sales section is read now
    assert "Nenhuma venda registrada." not in page().content.decode()
    assert f"{products['integra'].name} × 1" in page().content.decode()
    for _ in range(3):
        ficha_sell(ficha, products["integra"], people["ana"], data_confirmed=True)
    assert queries(page) == bare + 1


def test_capped_counts_counts_each_queryset_up_to_the_cap_in_one_query(
    db, clock, monkeypatch, django_assert_num_queries
):
    from tickets import selectors
    from tickets.models import SlaPolicy, Ticket

    make_waiting_tickets(9, SlaPolicy.objects.get(priority="P3"), clock)  # 5 past due
    monkeypatch.setattr(selectors, "COUNT_CAP", 6)
    counts = (
        ("all", lambda v: Ticket.objects.all()),
        ("breached", lambda v: Ticket.objects.filter(next_breach_at__lte=v.now)),
        ("none", lambda v: Ticket.objects.filter(subject="não existe")),
    )
    with django_assert_num_queries(1):
        n = selectors.capped_counts(counts, selectors.Now(clock.now()))
    assert n == {"all": 7, "breached": 5, "none": 0}
    clock.advance(dt.timedelta(days=30))
    assert selectors.capped_counts(counts, selectors.Now(clock.now()))["breached"] == 7
    assert [selectors.capped_label(v) for v in n.values()] == ["6+", "5", "0"]


def test_signed_in_user_is_read_with_their_roles_in_one_query(make_user, django_assert_num_queries):
    manager = make_user(MANAGER, AGENT)
    nobody = make_user()
    backend = RolesBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(manager.pk)
        assert roles_of(user) == {MANAGER, AGENT}
        assert has_role(user, MANAGER) and not has_role(user, SELLER)
    with django_assert_num_queries(1):
        assert roles_of(backend.get_user(nobody.pk)) == frozenset()


def test_an_inactive_or_missing_user_is_not_signed_in(make_user):
    gone = make_user(MANAGER, is_active=False)
    assert RolesBackend().get_user(gone.pk) is None
    assert RolesBackend().get_user(gone.pk + 1000) is None


def test_a_role_taken_away_is_refused_on_the_next_request(make_user):
    """Roles are read with the user on every request, never kept in the session."""
    manager = make_user(MANAGER, AGENT)
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("manager_console")).status_code == 200
    manager.groups.remove(Group.objects.get(name=MANAGER))
    assert client.get(reverse("manager_console")).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_postgres_prepares_the_statements_a_connection_repeats(make_user):
    """Server-side binding lets PostgreSQL keep one plan for a query a page repeats."""
    user = make_user(MANAGER)
    for _ in range(3):
        assert RolesBackend().get_user(user.pk) == user
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%role_bits%"],
        )
        assert cursor.fetchone()[0] == 1


def calendar_reads(fn) -> int:
    """How many queries of fn's request read the company calendar."""
    with CaptureQueriesContext(connection) as captured:
        assert fn().status_code == 200
    return sum("workflows_companyholiday" in q["sql"] for q in captured)


def test_S2_T8_home_and_routine_read_the_company_calendar_once(people, products, make_user):
    """The home's countdowns and its "next business day" come from one calendar read (none
    without live agendamentos); the routine's review day and stale moment from one."""
    from workflows.roles import SUPPORT

    ana, support = Client(), Client()
    ana.force_login(people["ana"])
    support.force_login(make_user(SUPPORT, AGENT))
    assert calendar_reads(lambda: ana.get(reverse("home"))) == 0
    agendamento_open(
        make_ficha(),
        owner=people["ana"],
        kind="venda_com_contato",
        product=products["pesquisa"],
        **contact(),
        boleto_alert_given=True,
    )
    assert calendar_reads(lambda: ana.get(reverse("home"))) == 1
    assert calendar_reads(lambda: support.get(reverse("tickets:routine"))) == 1

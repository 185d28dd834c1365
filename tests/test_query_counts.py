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
from tests.tickets_support.helpers import make_waiting_tickets
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


def test_T6_T8_sla_queue_and_routine_stay_bounded_as_tickets_grow(
    make_user, clock, settings, monkeypatch
):
    from tickets import sla_queue
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

    rows, more = sla_queue.waiting_queue(size=5)
    assert len(rows) == 5 and more
    dues = [row["due"] for row in rows]
    assert dues == sorted(dues) and rows[0]["breached"]
    offsets = [i % 9 - 4 for n in (3, 12) for i in range(n)]
    assert sla_queue.waiting_counts() == (15, sum(o <= 0 for o in offsets))
    page = support.get(reverse("tickets:queue")).content.decode()
    assert "1–15 de 15 clientes aguardando" in page and "Próximos" not in page
    monkeypatch.setattr(sla_queue, "QUEUE_PAGE_SIZE", 10)
    page = support.get(reverse("tickets:queue")).content.decode()
    assert len(re.findall(r'href="/suporte/chamados/\d+/"', page)) == 10
    assert "1–10 de 15 clientes aguardando" in page and 'href="?pagina=2"' in page


def test_T6_sla_queue_in_sql_agrees_with_the_orm(make_user, clock):
    """The SLA queue and the support Início's nearest breaches, written in SQL, are the rows,
    order, names and SLA policies of the querysets they stand for, on every page."""
    from django.db.models import F

    from tickets import selectors, sla_queue
    from tickets.models import SlaPolicy, Ticket
    from workflows.models import with_names
    from workflows.roles import SUPPORT

    carla = make_user(SUPPORT, AGENT, first_name="Carla", last_name="Souza")
    diego = make_user(SUPPORT, AGENT)
    policies = list(SlaPolicy.objects.order_by("priority"))
    for i in range(23):
        due = clock.now() + dt.timedelta(hours=i % 4 - 2) if i % 5 else None  # ties, and none
        baker.make(
            Ticket,
            subject=f"Chamado {i}",
            ficha=make_ficha(name=f"Cliente {i}") if i % 3 else None,
            assignee=(carla, diego, None)[i % 3],
            sla_policy=policies[i % len(policies)],
            state=Ticket.State.values[i % len(Ticket.State.values)],
            urgency=1 + i % 4,
            impact=1 + i * 7 % 4,
            response_due_at=due,
            resolution_due_at=due + dt.timedelta(hours=i % 2) if due and i % 4 else None,
        )

    def shown(tickets):
        def whole(row):
            return row and {
                f.attname: getattr(row, f.attname) for f in row._meta.get_fields() if f.concrete
            }

        return [
            (
                whole(t),
                t.ficha and t.ficha.name,
                t.assignee and (t.assignee.first_name, t.assignee.last_name, t.assignee.username),
                whole(t.sla_policy),
            )
            for t in tickets
        ]

    listed = with_names(Ticket.objects.all(), "assignee", "ficha").select_related("sla_policy")
    by_priority = (F("urgency") * F("impact")).desc()
    dated = listed.filter(next_breach_at__isnull=False)
    undated = listed.filter(state__in=Ticket.WAITING_FOR_US, next_breach_at__isnull=True)
    expected = [
        *dated.order_by("next_breach_at", by_priority, "pk"),
        *undated.order_by(by_priority, "pk"),
    ]
    assert len(dated) > 4 and len(undated) > 1  # both parts, and a page that straddles them
    pages = [sla_queue.waiting_queue(page, size=4) for page in range(1, 8)]
    assert shown(row["ticket"] for rows, _ in pages for row in rows) == shown(expected)
    assert [more for _, more in pages] == [len(expected) > 4 * page for page in range(1, 8)]

    for user in (carla, diego):
        mine = dated.filter(assignee=user, state__in=Ticket.WAITING_FOR_US)
        risk = [row["ticket"] for row in selectors.support_home(user)["risk"]]
        assert shown(risk) == shown(mine.order_by("next_breach_at", "pk")[:5]) != []


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


def test_ficha_page_reads_in_sql_agree_with_the_orm(people, products, make_user, clock):
    """The ficha page's reads written in SQL (the ficha with who inactivated it, its boletos,
    the products on sale, its latest movimentações with authors and products) are the rows,
    order and names the ORM reads, in one query each."""
    from tickets import selectors as ticket_selectors
    from tickets.models import RoutineCheck
    from workflows import selectors
    from workflows.models import Product, with_names

    ficha, other = make_ficha(), make_ficha()
    Ficha.objects.filter(pk=ficha.pk).update(inactivated_by=people["gestor"])
    Product.objects.filter(code="pesquisa").update(active=False)
    for i in range(6):
        for f in (ficha, other):
            baker.make(
                Boleto,
                ficha=f,
                amount=Decimal("10.55") * (i + 1),
                due_date=dt.date(2027, 5, 9 - i % 3),
                number=f"B{f.pk}-{i}",
            )
            baker.make(
                Movimentacao,
                ficha=f,
                author=(people["ana"], None, people["bruno"])[i % 3],
                product=(products["intimacao"], None)[i % 2],
                at=clock.now() - dt.timedelta(hours=i % 4),
                channel="phone",
                reason="usage",
                outcome="talked",
                text=f"Contato {i}",
            )

    def one_query(fn):
        with CaptureQueriesContext(connection) as captured:
            rows = fn()
        assert len(captured) == 1
        return rows

    def person(user):
        return user and (user.get_full_name() or user.username)

    read = one_query(lambda: selectors.ficha_for_page(ficha.pk))
    assert person(read.inactivated_by) == "Gestor" and read.name == ficha.name
    assert read.status == ficha.status and read.version == Ficha.objects.get(pk=ficha.pk).version
    assert one_query(lambda: selectors.ficha_for_page(0)) is None
    boletos = one_query(lambda: selectors.ficha_boletos(ficha))
    expected = Boleto.objects.filter(ficha=ficha).order_by("due_date", "pk")
    assert [(b.pk, b.amount, b.due_date) for b in boletos] == [
        (b.pk, b.amount, b.due_date) for b in expected
    ]
    assert all(isinstance(b.amount, Decimal) for b in boletos) and len(boletos) == 6
    on_sale = one_query(selectors.active_products)
    assert [p.pk for p in on_sale] == [p.pk for p in Product.objects.filter(active=True)]
    assert "pesquisa" not in {p.code for p in on_sale} and on_sale
    for limit in (4, 50):
        rows = one_query(lambda limit=limit: selectors.ficha_movimentacoes(ficha, limit=limit))
        expected = with_names(Movimentacao.objects.filter(ficha=ficha), "author", "product")
        assert [(m.pk, person(m.author), m.product and str(m.product)) for m in rows] == [
            (m.pk, person(m.author), m.product and str(m.product))
            for m in expected.order_by("-at", "-pk")[:limit]
        ]
    assert None in {m.author for m in rows} and None in {m.product for m in rows}

    ana, today = people["ana"], clock.today()
    for item in (1, 3):
        baker.make(RoutineCheck, user=ana, day=today, item=item)
    baker.make(RoutineCheck, user=ana, day=today - dt.timedelta(days=1), item=2)
    baker.make(RoutineCheck, user=people["bruno"], day=today, item=4)
    checks = one_query(lambda: ticket_selectors.routine_checks(ana, today))
    assert sorted(c.pk for c in checks) == sorted(
        RoutineCheck.objects.filter(user=ana, day=today).values_list("pk", flat=True)
    )
    assert {c.item for c in checks} == {1, 3}


def test_S2_S8_home_lists_in_sql_agree_with_the_orm(people, products, clock):
    """The home's lists written in SQL (its live and recently expired agendamentos, the
    clients offered to the seller and the team queue) are the rows, order and names the ORM
    reads, in one query each."""
    from workflows import selectors
    from workflows.models import Agendamento, Triage, with_names

    ana, bruno = people["ana"], people["bruno"]
    today = clock.today()
    product_list = list(products.values())
    for i, state in enumerate(Agendamento.State.values * 4):
        baker.make(
            Agendamento,
            ficha=make_ficha(name=f"Cliente {i}"),
            owner=(ana, bruno)[i % 2],
            product=product_list[i % len(product_list)],
            state=state,
            due_date=today - dt.timedelta(days=i % 11 - 3),
        )
    for i, state in enumerate(Triage.State.values * 3):
        baker.make(
            Triage,
            ficha=make_ficha(name=f"Cliente na fila {i}"),
            product=product_list[i % len(product_list)],
            started_by=(ana, bruno)[i % 2],
            offered_to=(ana, bruno, None)[i % 3],
            started_at=clock.now() - dt.timedelta(minutes=i * 7 % 17),
            state=state,
        )

    def shown(rows, *names):
        return [
            (row.pk, *(str(getattr(row, name)) for name in names), row.ficha.name) for row in rows
        ]

    def one_query(fn):
        with CaptureQueriesContext(connection) as captured:
            rows = fn()
        assert len(captured) == 1
        return rows

    live = Agendamento.objects.filter(owner=ana, state__in=Agendamento.LIVE)
    expected = with_names(live, "ficha", "product", "owner").order_by("due_date", "pk")
    for limit in (3, 50):
        rows = one_query(lambda limit=limit: selectors.live_agendamentos_owned_by(ana, limit=limit))
        assert shown(rows, "product", "owner") == shown(expected[:limit], "product", "owner")
    assert len(rows) == live.count() > 3
    since = today - dt.timedelta(days=4)
    expired = Agendamento.objects.filter(owner=ana, state="expired", due_date__gte=since)
    rows = one_query(lambda: selectors.expired_agendamentos_owned_by(ana, since))
    assert shown(rows, "product", "owner") == shown(
        expired.order_by("due_date", "pk"), "product", "owner"
    )
    assert 0 < len(rows) < Agendamento.objects.filter(owner=ana, state="expired").count()

    wait = ("started_at", "pk")
    offered = Triage.objects.filter(state=Triage.State.OFFERED_TO_OWNER, offered_to=ana)
    queue = Triage.objects.filter(state__in=selectors.TEAM_QUEUE_STATES)
    for team in (False, True):
        mine, team_queue = one_query(lambda team=team: selectors.offers_for(ana, team=team))
        assert shown(mine, "product", "started_by") == shown(
            offered.order_by(*wait), "product", "started_by"
        )
        assert shown(team_queue, "product", "started_by") == (
            shown(queue.order_by(*wait), "product", "started_by") if team else []
        )
    assert mine and team_queue


def test_S2_S8_M1_console_lists_in_sql_agree_with_the_orm(people, products, clock):
    """The console's lists written in SQL are the rows, order and names of the querysets they
    stand for, on the console (first rows) and on every page of "ver todos"."""
    from django.core.paginator import Paginator

    from workflows import selectors, timers
    from workflows.models import Agendamento, Override, Sale, Timer, Triage, with_names

    ana, bruno, gestor = people["ana"], people["bruno"], people["gestor"]
    today, product_list = clock.today(), list(products.values())
    for i in range(14):
        ficha = make_ficha(name=f"Cliente {i}")
        baker.make(
            Agendamento,
            ficha=ficha,
            owner=(ana, bruno)[i % 2],
            product=product_list[i % 3],
            state=Agendamento.State.values[i % 5],
            kind=("venda_com_contato", "venda_sem_contato")[i % 3 == 0],
            scheduled_for=today + dt.timedelta(days=10 + i % 4),
            due_date=today + dt.timedelta(days=(i % 7) - 3),
            manager_validated=i % 4 == 0,
        )
        baker.make(
            Triage,
            ficha=ficha,
            product=product_list[i % 3],
            started_by=(ana, bruno)[i % 2],
            state=Triage.State.values[i % len(Triage.State.values)],
            started_at=clock.now() - dt.timedelta(minutes=i * 7 % 11),
        )
        baker.make(
            Sale,
            ficha=ficha,
            product=product_list[i % 3],
            seller=(ana, bruno)[i % 2],
            state=Sale.State.values[i % len(Sale.State.values)],
            at=clock.now() - dt.timedelta(hours=i % 5),
        )
        baker.make(
            Override,
            ficha=ficha,
            manager=gestor,
            at=clock.now() - dt.timedelta(hours=i % 6),
            target=ficha,
            rule_id="S5",
        )
        baker.make(
            Timer,
            target=ficha,
            key=f"k{i}",
            due_at=clock.now(),
            outcome=("failed", "fired")[i % 2],
            fired_at=clock.now() - dt.timedelta(minutes=i % 4),
        )

    def shown(rows, *names):
        return [(row.pk, *(str(getattr(row, name)) for name in names)) for row in rows]

    since = today - dt.timedelta(days=2)
    expected = {
        "waiting": (
            selectors.waiting_for_seller(),
            with_names(
                Triage.objects.filter(state__in=selectors.TEAM_QUEUE_STATES),
                "ficha",
                "product",
                "started_by",
            ).order_by("started_at", "pk"),
            ("ficha", "product", "started_by"),
        ),
        "to settle": (
            selectors.commissions_to_settle(),
            with_names(Sale.objects.filter(state="to_settle"), "ficha", "product", "seller"),
            ("ficha", "product", "seller"),
        ),
        "expired": (
            selectors.expired_since(since),
            with_names(
                Agendamento.objects.filter(state="expired", due_date__gte=since),
                "ficha",
                "product",
                "owner",
            ).order_by("-due_date", "-pk"),
            ("ficha", "product", "owner"),
        ),
        "overrides": (
            selectors.recent_overrides(),
            Override.objects.select_related("manager", "content_type").order_by("-at", "-pk"),
            ("manager", "content_type"),
        ),
        "failed timers": (
            timers.failed(),
            Timer.objects.filter(outcome="failed")
            .select_related("content_type")
            .order_by("-fired_at", "-pk"),
            ("content_type",),
        ),
    }
    for name, (raw, orm, names) in expected.items():
        assert 0 < orm.count() == raw.count(), name
        assert shown(raw[:3], *names) == shown(orm[:3], *names), name
        for number in (1, 2):
            page, orm_page = Paginator(raw, 3).get_page(number), Paginator(orm, 3).get_page(number)
            assert shown(page, *names) == shown(orm_page, *names), (name, number)
        assert shown(raw, *names) == shown(orm, *names), name
    far = with_names(
        Agendamento.objects.filter(
            state__in=Agendamento.LIVE, kind="venda_com_contato", awaiting_validation=True
        ),
        "ficha",
        "product",
        "owner",
    )
    with CaptureQueriesContext(connection) as captured:
        rows = selectors.awaiting_validation(limit=2)
    assert len(captured) == 1
    names = ("ficha", "product", "owner")
    assert shown(rows, *names) == shown(far[:2], *names) and rows
    assert shown(selectors.awaiting_validation(limit=50), *names) == shown(far, *names)

    from django.db.models import Sum

    from workflows.availability import availability, set_availability

    set_availability(bruno, "absent")
    with CaptureQueriesContext(connection) as captured:
        team = [(u.pk, availability(u)) for u in selectors.team_with_availability()]
    assert len(captured) == 1
    assert team == [(u.pk, availability(u)) for u in selectors.attendants()]
    assert (bruno.pk, "absent") in team and (ana.pk, "available") in team
    start, end = clock.day_span(today)
    Sale.objects.filter(pk=Sale.objects.first().pk).update(total=Decimal("1234.56"))
    orm_total = Sale.objects.filter(at__gte=start, at__lt=end).aggregate(t=Sum("total"))["t"]
    assert selectors.sales_total_between(start, end) == orm_total
    assert orm_total > 1234 and selectors.sales_total_between(end, end) is None


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


def test_S9_signed_in_user_is_read_with_their_availability(make_user, django_assert_num_queries):
    from workflows.availability import availability, set_availability
    from workflows.models import AgentProfile

    away, never_set, back = make_user(SELLER), make_user(SELLER), make_user(SELLER)
    set_availability(away, "vacation", dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    set_availability(back, "absent")
    set_availability(back, "available")
    backend, profiles = RolesBackend(), AgentProfile.objects.count()
    for user, expected in ((away, "vacation"), (never_set, "available"), (back, "available")):
        with django_assert_num_queries(1):
            read = backend.get_user(user.pk)
            assert availability(read, dt.date(2027, 4, 19)) == expected
        assert availability(read, dt.date(2027, 5, 3)) == "available"
    assert AgentProfile.objects.count() == profiles  # reading saves no availability
    set_availability(never_set, "absent")
    assert availability(backend.get_user(never_set.pk)) == "absent"


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

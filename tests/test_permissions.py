"""Who may do what, over every URL pattern: a user without the role writes nothing through
any endpoint (403, or 404 for a record they may not reach), and ownership refusals are 403
with the same message the machine gives (the machine decides, the views ask)."""

import io

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.sales_fixtures import contact
from workflows.agendamentos import agendamento_open
from workflows.models import Agendamento, AuditEntry, Ficha, Triage
from workflows.ownership import may_sell
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT
from workflows.selling import ficha_inactivate, ficha_inactivation_answer
from workflows.triage import triage_start

# URLs anyone may use: signing in and out, the holder's signed link (S1), GitHub's signed
# webhook (T7). Their own tests cover them.
PUBLIC = {"login", "logout", "holder_validation", "tickets:github_webhook", "favicon"}


def every_pattern(resolver=None, prefix="", namespace=""):
    """(name, route) of every URL pattern of the project, the admin's left out."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from every_pattern(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def sample_kwargs(route: str) -> dict:
    """Values for a route's converters: record 1 of each kind (the demo data has them)."""
    kwargs = {}
    for part in route.split("<")[1:]:
        converter, name = part.split(">")[0].split(":") if ":" in part else ("str", part)
        kwargs[name] = {"int": 1, "slug": "x", "str": "1"}.get(converter, "1")
    return kwargs


def row_counts() -> dict:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def restart_id_sequences() -> None:
    """PostgreSQL's id sequences survive a test's rollback: restart the empty tables' at 1, so
    the demo's records are record 1 of each kind there too (SQLite rolls its back)."""
    if connection.vendor != "postgresql":
        return
    labels = [config.label for config in apps.get_app_configs() if config.models_module]
    sql = io.StringIO()
    call_command("sqlsequencereset", *labels, stdout=sql, stderr=io.StringIO(), no_color=True)
    with connection.cursor() as cursor:
        for statement in sql.getvalue().split(";\n"):
            if statement.strip().upper().startswith("SELECT"):
                cursor.execute(statement)


@pytest.fixture
def demo_data(db, clock):
    restart_id_sequences()
    call_command("demo_data", verbosity=0)


@pytest.mark.parametrize("who", ["no role", "support dev only"])
def test_a_user_without_the_role_writes_nothing_through_any_url(demo_data, make_user, who):
    user = make_user() if who == "no role" else make_user("support_dev")
    client = Client()
    client.force_login(user)
    before = row_counts()
    answered = {}
    for name, route in every_pattern():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=sample_kwargs(route))
        response = client.post(url, {"reason": "tentando", "text": "tentando"})
        answered[name] = response.status_code
    assert [n for n, status in answered.items() if status >= 500] == []
    answered_ok = {n for n, status in answered.items() if status < 400}
    # Pages any signed-in user reads (their home says what their roles allow; the flows).
    if who == "no role":
        assert answered_ok <= {"home", "flows", "onboarding:index"}
    assert row_counts() == before  # nothing written, whatever the answer
    assert len(answered) > 70  # every page of the project was tried


def test_an_anonymous_post_to_any_url_goes_to_login_and_writes_nothing(demo_data):
    client = Client()
    before = row_counts()
    for name, route in every_pattern():
        if name in PUBLIC:
            continue
        response = client.post(reverse(name, kwargs=sample_kwargs(route)), {"reason": "x"})
        assert response.status_code in (302, 403, 404, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name
    assert row_counts() == before


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user(AGENT, SELLER, username="ana", first_name="Ana"),
        "bruno": make_user(AGENT, SELLER, username="bruno", first_name="Bruno"),
        "carla": make_user(AGENT, SUPPORT, username="carla", first_name="Carla"),
        "gestor": make_user(MANAGER, AGENT, username="gestor", first_name="Gabi"),
        "manager_only": make_user(MANAGER, username="chefe", first_name="Chefe"),
    }


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


HX = {"HX-Request": "true"}


def test_S2_M1_a_seller_posting_manager_actions_gets_403_and_nothing_moves(
    ficha, people, products, clock
):
    ag = agendamento_open(
        ficha,
        owner=people["ana"],
        kind="venda_com_contato",
        product=products["intimacao"],
        **contact(),
    )
    for slug in ("estender", "validar", "reatribuir", "cancelar"):
        url = reverse("agendamento_action", args=[ag.pk, slug])
        response = as_user(people["ana"]).post(url, {"reason": "quero", "due_date": "2027-05-10"})
        assert response.status_code == 403, slug
        assert "Seu perfil não permite" in response.content.decode()
        htmx = as_user(people["ana"]).post(url, {"reason": "quero"}, headers=HX)
        assert htmx.status_code == 403 and 'role="alert"' in htmx.content.decode()
    assert Agendamento.objects.get(pk=ag.pk).version == ag.version


def test_S8_only_who_is_in_charge_closes_a_triage(ficha, people, products, clock, settings):
    settings.S8_OWNER_MINUTES = 5
    agendamento_open(
        ficha,
        owner=people["ana"],
        kind="venda_com_contato",
        product=products["intimacao"],
        **contact(),
    )
    triage = triage_start(
        ficha,
        agent=people["carla"],
        product=products["intimacao"],
        channel="chat",
        text="Quer contratar",
        bitrix_link=contact()["bitrix_link"],
    )
    assert triage.state == "offered_to_owner"
    url = reverse("triage_close", args=[triage.pk])
    refused = as_user(people["bruno"]).post(url, {"reason": "encerrando"}, headers=HX)
    assert refused.status_code == 403
    assert "Este atendimento está com outra pessoa." in refused.content.decode()
    assert Triage.objects.get(pk=triage.pk).state == "offered_to_owner"
    ok = as_user(people["ana"]).post(url, {"reason": "cliente desistiu"}, headers=HX)
    assert ok.status_code == 200 and Triage.objects.get(pk=triage.pk).state == "closed"


def test_a_manager_searches_fichas_as_they_open_them(ficha, people):
    client = as_user(people["manager_only"])
    assert client.get(reverse("ficha_detail", args=[ficha.pk])).status_code == 200
    assert client.get(reverse("ficha_search"), {"q": ficha.name[:5]}).status_code == 200
    assert "Fichas" in client.get(reverse("home")).content.decode()


def test_history_only_for_flow_records_and_for_who_may_see_them(ficha, people, clock):
    ficha_ct = ContentType.objects.get_for_model(Ficha)
    url = reverse("history", args=[ficha_ct.pk, ficha.pk])
    assert as_user(people["carla"]).get(url).status_code == 200
    support_dev = Client()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    dev = get_user_model().objects.create_user("dev", password="x")
    dev.groups.set(Group.objects.filter(name="support_dev"))
    support_dev.force_login(dev)
    assert support_dev.get(url).status_code == 403
    user_ct = ContentType.objects.get_for_model(get_user_model())
    assert (
        as_user(people["gestor"])
        .get(reverse("history", args=[user_ct.pk, people["ana"].pk]))
        .status_code
        == 404
    )
    audit_ct = ContentType.objects.get_for_model(AuditEntry)
    assert (
        as_user(people["gestor"]).get(reverse("history", args=[audit_ct.pk, 1])).status_code == 404
    )


def test_M1_S5_a_managers_exception_releases_the_hold_and_the_decision_says_so(
    ficha, people, products, clock
):
    ana, bruno, gestor = people["ana"], people["bruno"], people["gestor"]
    ficha_inactivate(ficha, actor=ana, reason="cliente pediu para cancelar")
    ficha_inactivation_answer(ficha, actor=ana, answer="não tenho interesse neste momento")
    ficha.refresh_from_db()
    held = may_sell(ficha, products["intimacao"], bruno)
    assert not held and held.rule_ids == ("S5",) and held.route_to == ana

    ct = ContentType.objects.get_for_model(Ficha)
    history = as_user(gestor).get(reverse("history", args=[ct.pk, ficha.pk])).content.decode()
    assert 'value="S5"' in history and "Libera a recontratação" in history
    assert 'value="G1"' not in history  # only rules an exception changes here
    url = reverse("add_override", args=[ct.pk, ficha.pk])
    wrong = as_user(gestor).post(url, {"rule_id": "G1", "reason": "teste"}, headers=HX)
    assert wrong.status_code == 422
    seller = as_user(bruno).post(url, {"rule_id": "S5", "reason": "quero vender"}, headers=HX)
    assert seller.status_code == 403
    ok = as_user(gestor).post(
        url, {"rule_id": "S5", "reason": "Ana de licença, cliente com pressa"}, headers=HX
    )
    assert ok.status_code == 200

    ficha.refresh_from_db()
    released = may_sell(ficha, products["intimacao"], bruno)
    assert released and released.rule_ids == ("S5", "M1")
    assert "Ana de licença, cliente com pressa" in released.reason
    page = as_user(bruno).get(reverse("ficha_detail", args=[ficha.pk])).content.decode()
    assert "passe para Ana" not in page and "exceção do gestor Gabi" in page


def test_a_posted_next_goes_only_to_a_page_of_this_site(ficha, people, clock):
    """After a write, `next` is followed only when it is a URL of this site: an outside
    address or a `javascript:` one goes to the form's own page (and never a 500)."""
    url = reverse("add_movimentacao", args=[ficha.pk])
    typed = {"channel": "phone", "reason": "sale", "outcome": "no_answer", "text": "Não atendeu"}
    back = reverse("ficha_detail", args=[ficha.pk])
    for target, expected in [
        ("https://evil.example/x", back),
        ("//evil.example/x", back),
        ("javascript:alert(1)", back),
        (reverse("home"), reverse("home")),
    ]:
        response = as_user(people["ana"]).post(url, {**typed, "next": target})
        assert (response.status_code, response["Location"]) == (302, expected), target


@pytest.mark.parametrize("pk", ["9" * 19, "99999999999999999999999999", "１２"])
def test_a_huge_or_odd_id_in_a_url_is_a_404_before_the_database(people, pk):
    client = as_user(people["gestor"])
    for path in (f"/fichas/{pk}/", f"/orcamentos/{pk}/", f"/suporte/chamados/{pk}/"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/fichas/{'9' * 18}/").status_code == 404  # 18 digits: looked up


def test_the_ficha_search_refuses_nul_and_over_long_terms_in_portuguese(ficha, people):
    client = as_user(people["ana"])
    for term in ("ab\x00cd", "x" * 101):
        response = client.get(reverse("ficha_search"), {"q": term})
        assert response.status_code == 400
        assert "Busca inválida" in response.content.decode()
    assert client.get(reverse("ficha_search"), {"q": ficha.name[:5]}).status_code == 200


@pytest.mark.parametrize("reason", ["cliente com pressa\x00", "x" * 10_001])
def test_M1_an_exception_with_a_nul_byte_or_over_long_reason_is_refused_unwritten(
    ficha, people, clock, reason
):
    from workflows.models import Override

    ficha_inactivate(ficha, actor=people["ana"], reason="cliente pediu para cancelar")
    ficha_inactivation_answer(ficha, actor=people["ana"], answer="não tenho interesse agora")
    url = reverse("add_override", args=[ContentType.objects.get_for_model(Ficha).pk, ficha.pk])
    response = as_user(people["gestor"]).post(url, {"rule_id": "S5", "reason": reason}, headers=HX)
    assert response.status_code == 422
    assert "justificativa" in response.content.decode()
    assert not Override.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "31/02/2026"])
def test_S2_an_agendamento_date_out_of_range_is_a_422_in_portuguese(ficha, people, clock, day):
    url = reverse("add_agendamento", args=[ficha.pk])
    typed = {"kind": "venda_com_contato", "channel": "phone", "outcome": "talked"}
    typed |= {"text": "Cliente vai decidir", "bitrix_link": contact()["bitrix_link"]}
    from workflows.models import Product

    product = Product.objects.create(code="p", name="P", unit_price=1)
    response = as_user(people["ana"]).post(
        url, {**typed, "product": product.pk, "scheduled_for": day}, headers=HX
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Data fora do intervalo aceito" in page or "Informe uma data válida" in page
    assert not Agendamento.objects.exists()

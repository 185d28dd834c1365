"""The web shell: login, home per role, search, history with M1 overrides over HTMX + CSRF."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from workflows.models import Boleto, Ficha, Override
from workflows.overrides import override_record
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT
from workflows.validators import is_valid_cnpj, is_valid_cpf

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("demo_data", verbosity=0)


def login(client, user):
    client.force_login(user)
    return client


def history_url(obj, name="history"):
    ct = ContentType.objects.get_for_model(obj)
    return reverse(name, args=[ct.pk, obj.pk])


def test_login_page_is_pt_br_and_demo_user_can_log_in(client, demo):
    page = client.get(reverse("login"))
    assert "Entrar no Balcão" in page.content.decode()
    bad = client.post(reverse("login"), {"username": "ana", "password": "errada"})
    assert "Usuário ou senha incorretos" in bad.content.decode()
    ok = client.post(reverse("login"), {"username": "ana", "password": "balcao123"})
    assert ok.status_code == 302 and ok.url == reverse("home")


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_home_differs_per_role(client, make_user):
    agent_page = login(client, make_user(AGENT)).get(reverse("home")).content.decode()
    assert "Cliente entrou em contato?" in agent_page
    assert "Abrir o painel do gestor" not in agent_page

    manager_page = login(Client(), make_user(MANAGER)).get(reverse("home")).content.decode()
    assert "Abrir o painel do gestor" in manager_page
    assert "Cliente entrou em contato?" not in manager_page

    nobody = login(Client(), make_user()).get(reverse("home")).content.decode()
    assert "ainda não tem perfil" in nobody


def test_menu_links_are_the_pages_urls_under_any_script_prefix(make_user):
    """The menu's links, reversed once per process, are what reverse() gives, also when the
    app is served under a path (SCRIPT_NAME) and after it."""
    import re

    from django.urls import set_script_prefix

    client = login(Client(), make_user(MANAGER, AGENT, SUPPORT))
    names = ["home", "ficha_search", "tickets:list", "manager_console", "flows", "logout"]

    def menu():
        page = client.get("/").content.decode().split('id="main-nav"')[1]
        return set(re.findall(r'<a href="([^"]+)"', page)) | set(
            re.findall(r'action="([^"]+)"', page)
        )

    expected = {reverse(name) for name in names}
    assert expected <= menu()
    try:
        set_script_prefix("/balcao/")  # what the WSGI handler does for SCRIPT_NAME=/balcao
        assert {f"/balcao{url}" for url in expected} <= menu()
    finally:
        set_script_prefix("/")
    assert expected <= menu()


def test_search_finds_fichas_by_name_document_email_and_phone(client, demo, make_user):
    login(client, make_user(SELLER))
    ficha = Ficha.objects.get(email="juliana.castro@outlook.com")
    for term in [
        "juliana",
        "castro jul",  # word prefixes, any order
        ficha.document_display,
        "JULIANA.CASTRO@outlook.com",
        "(21) 99812-3456",
        "+55 21 99812 3456",
        ficha.document[:5],
    ]:
        page = client.get(reverse("ficha_search"), {"q": term}, headers={"HX-Request": "true"})
        assert "Dra. Juliana Castro" in page.content.decode(), term
    for term in ("ninguém assim", "juliana castrx", "castro dra juliana xy"):
        empty = client.get(reverse("ficha_search"), {"q": term})
        assert "Nenhuma ficha encontrada" in empty.content.decode(), term
    local = client.get(reverse("ficha_search"), {"q": "99812-3456"}).content.decode()
    assert "informe o DDD" in local


def test_search_and_ficha_are_refused_for_roles_that_do_not_attend(client, demo, make_user):
    login(client, make_user("support_dev"))
    assert client.get(reverse("ficha_search"), {"q": "juliana"}).status_code == 403
    assert client.get(reverse("ficha_detail", args=[Ficha.objects.first().pk])).status_code == 403


def test_ficha_page_shows_overdue_boleto(client, demo, make_user):
    login(client, make_user(SUPPORT))
    overdue = Boleto.objects.get(number="34191.0002")
    page = client.get(reverse("ficha_detail", args=[overdue.ficha_id])).content.decode()
    assert "Vencido" in page and "34191.0002" in page


def held_ficha(make_user):
    """A ficha under the S5 hold (inactivated by an agent, the client answered): the one
    kind of record where a manager's exception changes something."""
    from workflows.selling import ficha_inactivate, ficha_inactivation_answer

    ficha = Ficha.objects.filter(status="active").first()
    agent = make_user(AGENT)
    ficha_inactivate(ficha, actor=agent, reason="cliente pediu")
    ficha_inactivation_answer(ficha, actor=agent, answer="não tenho interesse agora")
    return ficha


def test_M1_manager_override_over_htmx_with_csrf_header_is_recorded_and_shown(make_user, demo):
    manager = make_user(MANAGER)
    ficha = held_ficha(make_user)
    client = login(Client(enforce_csrf_checks=True), manager)
    page = client.get(history_url(ficha))
    token = page.cookies["csrftoken"].value
    assert 'hx-headers=\'{"X-CSRFToken": ' in page.content.decode()

    url = history_url(ficha, "add_override")
    data = {"rule_id": "S5", "reason": "Cliente viajando, liberado a pedido do gestor"}
    assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 403  # no token
    response = client.post(url, data, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    override = Override.for_object(ficha).get()
    assert (override.manager, override.rule_id) == (manager, "S5")
    assert "Cliente viajando" in client.get(history_url(ficha)).content.decode()


def test_M1_override_refused_for_non_manager_and_for_placeholder_reason(client, make_user, demo):
    ficha = held_ficha(make_user)
    url = history_url(ficha, "add_override")
    login(client, make_user(SELLER))
    denied = client.post(url, {"rule_id": "S5", "reason": "quero vender"})
    assert denied.status_code == 403
    assert "Seu perfil não permite" in denied.content.decode()

    login(client, make_user(MANAGER))
    for data in [
        {"rule_id": "S5", "reason": "..."},
        {"rule_id": "X9", "reason": "motivo real"},
        {"rule_id": "S2", "reason": "nada a liberar com S2 aqui"},
    ]:
        refused = client.post(url, data)
        assert refused.status_code == 422
        assert data["reason"] in refused.content.decode()  # nothing typed is lost
    assert not Override.objects.exists()


def test_M1_record_override_service_checks_role_and_reason(make_user, demo):
    ficha = Ficha.objects.first()
    with pytest.raises(TransitionRefused) as refused:
        override_record(ficha, manager=make_user(AGENT), rule_id="S2", reason="motivo claro")
    assert refused.value.rule_ids == ("M1",)
    with pytest.raises(TransitionRefused):
        override_record(ficha, manager=make_user(MANAGER), rule_id="S2", reason="[...]")
    assert not Override.objects.exists()


def test_demo_data_is_realistic_and_idempotent(demo):
    counts = (Ficha.objects.count(), Boleto.objects.count())
    call_command("demo_data", verbosity=0)
    # 10 sales clients + the duplicate registration waiting in the central queue (G7)
    assert (Ficha.objects.count(), Boleto.objects.count()) == counts == (11, 7)
    assert all(
        is_valid_cpf(d) or is_valid_cnpj(d)
        for d in Ficha.objects.values_list("document", flat=True)
    )
    assert (
        Client().post("/entrar/", {"username": "gabriel", "password": "balcao123"}).status_code
        == 302
    )


def test_admin_lists_every_project_model(client, make_user):
    from django.apps import apps
    from django.contrib import admin

    project_models = [
        m
        for app in ("workflows", "tickets", "onboarding")
        for m in apps.get_app_config(app).get_models()
    ]
    assert project_models
    assert [m for m in project_models if m not in admin.site._registry] == []


def test_flows_page_draws_every_machine_in_pt_br_with_rule_ids(client, make_user):
    from workflows.diagrams import flow_models

    login(client, make_user(AGENT))
    page = client.get(reverse("flows")).content.decode()
    for model in flow_models():
        assert f'id="{model.machine_class().__name__}"' in page
    assert page.count("<svg width=") == len(flow_models())  # graphviz output
    assert "Renovar (+4 dias úteis)" in page and '<span class="rule">S2</span>' in page
    assert "Ativo → Renovado" in page  # state labels, not ids
    assert "Só o responsável pelo agendamento" in page  # conditions in the users' words
    for code in ("AgendamentoFlow</", "is_owner_or_manager", "renewed", "check_"):
        assert code not in page


def test_history_links_to_the_records_flow(client, make_user, demo):
    login(client, make_user(MANAGER))
    page = client.get(history_url(Ficha.objects.first())).content.decode()
    assert reverse("flows") + "#FichaFlow" in page


def test_name_search_matches_word_prefixes_in_any_order_without_accents(make_user):
    from onboarding.duplicates import ficha_keys_update
    from onboarding.search import search_fichas
    from tests.sales_fixtures import make_ficha

    luisa = make_ficha(name="Dra. Ana Luísa Conceição")
    make_ficha(name="Dr. Anselmo Souza")
    zeca = make_ficha(name="Zé Zuzu 2099")
    assert list(search_fichas("conceicao luis")) == [luisa]
    assert {f.name for f in search_fichas("an")} == {luisa.name, "Dr. Anselmo Souza"}
    assert list(search_fichas("zuzu 209")) == [zeca]  # bounds past "z" and "9"
    assert list(search_fichas("uisa")) == []  # word prefixes, not substrings
    luisa.name = "Dra. Ana Luísa Prado"
    luisa.save()
    ficha_keys_update(luisa, changed={"name"})  # what a write of the name calls (S1, merge)
    assert list(search_fichas("conceicao")) == [] and list(search_fichas("prado")) == [luisa]


def test_prefix_upper_bound_covers_exactly_the_words_with_the_prefix():
    from onboarding.keys import prefix_upper_bound

    assert prefix_upper_bound("silva") == "silvb"
    assert prefix_upper_bound("ab9") == "aba"
    assert prefix_upper_bound("azz") == "b"
    assert prefix_upper_bound("zz") is None
    for word in ["silva", "silvaz", "silva99", "silvb", "silv", "silu"]:
        inside = "silva" <= word < prefix_upper_bound("silva")
        assert inside == word.startswith("silva")


def test_refusals_by_role_and_missing_pages_answer_in_portuguese(client, make_user):
    login(client, make_user(SUPPORT, AGENT))
    page = client.get(reverse("manager_console"))
    assert page.status_code == 403 and "Seu perfil não permite esta ação." in page.content.decode()
    assert "<nav" in page.content.decode()  # a whole page, with the navigation
    fragment = client.get(reverse("manager_console"), headers={"HX-Request": "true"})
    assert fragment.status_code == 403 and "<nav" not in fragment.content.decode()
    assert 'role="alert"' in fragment.content.decode()
    missing = client.get("/fichas/999999/")
    assert missing.status_code == 404 and "Página não encontrada" in missing.content.decode()


def test_date_filters_print_local_day_and_time_like_the_date_filter():
    import datetime as dt

    from django.template import engines

    render = engines["django"].from_string(
        "{{ d|dmy }}|{{ t|dmy_hm }}|{{ t|dmy }}|{{ none|dmy }}|{{ t|dm_hm }}"
    )
    utc_late = dt.datetime(2027, 1, 1, 1, 30, tzinfo=dt.UTC)  # still 31/12 in São Paulo
    assert render.render({"d": dt.date(2027, 3, 9), "t": utc_late, "none": None}) == (
        "09/03/2027|31/12/2026 22:30|31/12/2026||31/12 22:30"
    )
    same = engines["django"].from_string('{{ t|date:"d/m/Y H:i" }}').render({"t": utc_late})
    assert same == "31/12/2026 22:30"


def test_a_logout_ends_the_session_in_every_web_process(make_user, settings, tmp_path):
    """Without Redis, sessions are read through files every web process of the machine shares
    (cached_db over FileBasedCache, as web/settings.py sets it): another process finds the
    session there, and no longer once its user logged out."""
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache.backends.filebased import FileBasedCache

    from web import settings as production

    settings.CACHES = {
        **settings.CACHES,
        "sessions": {**production.CACHES["sessions"], "LOCATION": str(tmp_path)},
    }
    assert production.SESSION_ENGINE == settings.SESSION_ENGINE
    assert production.CACHES["sessions"]["BACKEND"].endswith("FileBasedCache")
    other_process = FileBasedCache(str(tmp_path), {})
    client = Client()
    client.force_login(make_user(AGENT, first_name="Ana"))
    key = KEY_PREFIX + client.session.session_key
    assert "Ana" in client.get(reverse("home")).content.decode()
    assert other_process.get(key)["_auth_user_id"] == str(client.session["_auth_user_id"])
    client.post(reverse("logout"))
    assert other_process.get(key) is None
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_each_client_has_its_own_session_until_it_logs_out(make_user):
    """Sessions live in the database and are read through a cache (cached_db)."""
    client = Client()
    client.force_login(make_user(AGENT, first_name="Ana"))
    assert "Ana" in client.get(reverse("home")).content.decode()
    other = Client()
    other.force_login(make_user(AGENT, first_name="Bia"))
    assert "Bia" in other.get(reverse("home")).content.decode()  # each its own session
    client.post(reverse("logout"))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "Bia" in other.get(reverse("home")).content.decode()

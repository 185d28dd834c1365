"""The sales pages: ficha, actions over HTMX, agent home, manager console."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from model_bakery import baker

from tests.sales_fixtures import BITRIX, contact, make_ficha
from workflows.agendamentos import agendamento_open
from workflows.models import Agendamento, AgentProfile, Boleto, Movimentacao, Sale, Triage
from workflows.roles import AGENT, MANAGER, SUPPORT_DEV
from workflows.selling import ficha_sell

HX = {"HX-Request": "true"}


@pytest.fixture
def gestor(make_user):
    return make_user(MANAGER, AGENT, username="gestor", first_name="Gestor")


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def ficha_page(client, ficha):
    return client.get(reverse("ficha_detail", args=[ficha.pk])).content.decode()


def test_G4_ficha_page_alerts_open_boletos(ficha, ana, clock):
    baker.make(Boleto, ficha=ficha, amount=Decimal("89.90"), due_date=dt.date(2027, 4, 1))
    page = ficha_page(as_user(ana), ficha)
    assert "1 boleto em aberto (R$ 89,90)" in page
    assert "Vencido" in page


def test_S2_ficha_page_explains_who_may_sell_with_rule_ids(ficha, ana, bruno, products, clock):
    agendamento_open(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    page = ficha_page(as_user(bruno), ficha)
    assert "passe para Ana" in page
    assert "Ana tem agendamento com contato sobre Intimação até 22/04/2027" in page
    assert '<span class="rule">S3</span>' in page  # pesquisa is free for Bruno
    assert "vence em 2 dias úteis (22/04)" in page  # 20 and 22; 21 is Tiradentes


def test_S2_only_the_owner_sees_renew_and_conclude(ficha, ana, bruno, products, clock):
    ag = agendamento_open(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    renew = reverse("agendamento_action", args=[ag.pk, "renovar"])
    assert renew in ficha_page(as_user(ana), ficha)
    assert renew not in ficha_page(as_user(bruno), ficha)
    response = as_user(bruno).post(renew, headers=HX)  # the server refuses all the same
    assert response.status_code == 403 and "Só o responsável" in response.content.decode()
    assert Agendamento.objects.get(pk=ag.pk).state == "active"


def test_G1_placeholder_over_htmx_gives_pt_br_error_keeps_input_writes_nothing(ficha, ana):
    data = {
        "channel": "phone",
        "reason": "usage",
        "outcome": "talked",
        "text": "[...]",
        "bitrix_link": BITRIX,
    }
    response = as_user(ana).post(reverse("add_movimentacao", args=[ficha.pk]), data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 422
    assert '<span class="rule" title="Regra G1">G1</span>' in body
    assert BITRIX in body  # what was typed is still there
    assert not Movimentacao.objects.exists()


def test_G3_bad_bitrix_link_over_htmx_is_refused(ficha, ana):
    data = {
        "channel": "chat",
        "reason": "usage",
        "outcome": "talked",
        "text": "Cliente com dúvida no painel",
        "bitrix_link": "https://bitrix.example/x",
    }
    response = as_user(ana).post(reverse("add_movimentacao", args=[ficha.pk]), data, headers=HX)
    assert response.status_code == 422 and "Regra G3" in response.content.decode()
    assert not Movimentacao.objects.exists()


def test_G1_movimentacao_over_htmx_redirects_and_shows_on_the_timeline(ficha, ana, clock):
    data = {
        "channel": "whatsapp",
        "reason": "usage",
        "outcome": "resolved",
        "text": "Expliquei como cadastrar processo",
        "bitrix_link": BITRIX,
    }
    client = as_user(ana)
    response = client.post(reverse("add_movimentacao", args=[ficha.pk]), data, headers=HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("ficha_detail", args=[ficha.pk])
    page = ficha_page(client, ficha)
    assert "Movimentação registrada." in page and "Expliquei como cadastrar processo" in page


def test_S2_second_renewal_past_six_days_is_refused_on_the_page(ficha, ana, products, clock):
    ag = agendamento_open(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    client = as_user(ana)
    url = reverse("agendamento_action", args=[ag.pk, "renovar"])
    assert client.post(url, headers=HX).status_code == 200
    again = client.post(url, headers=HX)
    assert again.status_code == 422 and "Regra S2" in again.content.decode()
    assert Agendamento.objects.get(pk=ag.pk).due_date == dt.date(2027, 4, 28)


def test_S4_sale_form_records_once_even_when_double_submitted(ficha, ana, products, clock):
    data = {
        "product": products["pesquisa"].pk,
        "quantity": 2,
        "discount": "0",
        "channel": "phone",
        "data_confirmed": "on",
        "request_token": "abc123",
    }
    client = as_user(ana)
    url = reverse("add_sale", args=[ficha.pk])
    assert client.post(url, data, headers=HX).status_code == 200
    assert client.post(url, data, headers=HX).status_code == 200
    sale = Sale.objects.get()
    assert (sale.quantity, sale.total) == (2, Decimal("49.80"))


def test_S1_sale_form_without_data_confirmation_is_refused(ficha, ana, products):
    data = {"product": products["pesquisa"].pk, "quantity": 1, "channel": "phone"}
    response = as_user(ana).post(reverse("add_sale", args=[ficha.pk]), data, headers=HX)
    assert response.status_code == 422 and "Regra S1" in response.content.decode()
    assert not Sale.objects.exists()


def test_M1_console_is_for_managers_only(ana, gestor):
    assert as_user(ana).get(reverse("manager_console")).status_code == 403
    assert as_user(gestor).get(reverse("manager_console")).status_code == 200


def test_S2_console_lists_agendamentos_set_too_far_out_for_the_manager_to_validate(
    ficha, ana, gestor, products, clock
):
    far = agendamento_open(
        ficha,
        owner=ana,
        kind="venda_com_contato",
        product=products["intimacao"],
        scheduled_for=clock.today() + dt.timedelta(days=30),
        **contact(),
    )
    assert Agendamento.objects.get(pk=far.pk).awaiting_validation  # stored by the database
    client = as_user(gestor)
    page = client.get(reverse("manager_console")).content.decode()
    validate = reverse("agendamento_action", args=[far.pk, "validar"])
    assert f'hx-get="{validate}"' in page and ficha.name in page
    form = client.get(validate, headers=HX)
    assert form.status_code == 200
    data = {"reason": "cliente viaja e pediu retorno em um mês"}
    assert client.post(validate, data, headers=HX).status_code == 200
    far.refresh_from_db()
    assert far.manager_validated and not far.awaiting_validation
    assert validate not in client.get(reverse("manager_console")).content.decode()


def test_M1_manager_settles_a_flagged_commission_from_the_console(
    ficha, ana, bruno, gestor, products, clock
):
    sale = ficha_sell(
        ficha,
        products["pesquisa"],
        bruno,
        data_confirmed=True,
        commission_flag="repasse do 1º passo",
    )
    client = as_user(gestor)
    console = client.get(reverse("manager_console")).content.decode()
    assert "Comissões a definir" in console and "repasse do 1º passo" in console
    url = reverse("settle_commission", args=[sale.pk])
    assert f'hx-get="{url}"' in console  # the form is fetched when the manager opens it
    blank = client.get(url, headers=HX)
    assert blank.status_code == 200 and f'id="form-comissao-{sale.pk}"' in blank.content.decode()
    assert f'<option value="{ana.pk}">' in blank.content.decode()
    assert as_user(bruno).get(url, headers=HX).status_code == 403
    data = {f"s{sale.pk}-commission_to": ana.pk, f"s{sale.pk}-reason": "Ana iniciou a tratativa"}
    assert client.post(url, data, headers=HX).status_code == 200
    sale.refresh_from_db()
    assert (sale.state, sale.commission_to) == ("settled", ana)


def test_M1_manager_extends_without_contact_agendamento_from_the_page(
    ficha, ana, gestor, products, clock
):
    ag = agendamento_open(
        ficha,
        owner=ana,
        kind="venda_sem_contato",
        product=products["intimacao"],
        **contact(bitrix_link="", text="Liguei, não atendeu"),
        outcome="no_answer",
    )
    url = reverse("agendamento_action", args=[ag.pk, "estender"])
    refused = as_user(ana).post(url, {"due_date": "2027-04-30", "reason": "cliente viajando"})
    assert refused.status_code == 403 and "Seu perfil não permite" in refused.content.decode()
    no_reason = as_user(gestor).post(url, {"due_date": "2027-04-30", "reason": "..."}, headers=HX)
    assert no_reason.status_code == 422
    ok = as_user(gestor).post(
        url, {"due_date": "2027-04-30", "reason": "cliente viajando"}, headers=HX
    )
    assert ok.status_code == 200
    assert Agendamento.objects.get(pk=ag.pk).due_date == dt.date(2027, 4, 30)


def test_S9_agent_sets_own_availability_but_not_someone_elses(ana, bruno, clock):
    client = as_user(ana)
    data = {"status": "vacation", "vacation_from": "2027-04-19", "vacation_until": "2027-04-30"}
    assert (
        client.post(reverse("set_availability", args=[ana.pk]), data, headers=HX).status_code == 200
    )
    assert AgentProfile.objects.get(user=ana).status_on(dt.date(2027, 4, 20)) == "vacation"
    other = client.post(
        reverse("set_availability", args=[bruno.pk]), {f"u{bruno.pk}-status": "absent"}
    )
    assert other.status_code == 403
    assert not AgentProfile.objects.filter(user=bruno).exists()


def test_S9_manager_opens_a_team_members_availability_form_and_sets_it(
    ana, bruno, make_user, clock
):
    gestor = make_user(MANAGER, AGENT)
    form = as_user(gestor).get(reverse("set_availability", args=[bruno.pk]), headers=HX)
    assert f'name="u{bruno.pk}-status"' in form.content.decode()
    assert as_user(ana).get(reverse("set_availability", args=[bruno.pk])).status_code == 403
    done = as_user(gestor).post(
        reverse("set_availability", args=[bruno.pk]), {f"u{bruno.pk}-status": "absent"}, headers=HX
    )
    assert done.status_code == 200
    assert AgentProfile.objects.get(user=bruno).status_on(clock.today()) == "absent"


def test_S2_agent_home_lists_my_agendamentos_by_deadline(ficha, ana, products, clock):
    agendamento_open(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    page = as_user(ana).get(reverse("home")).content.decode()
    assert "Mais adiante" in page and ficha.name in page
    assert "Nada vence hoje." in page


def test_M1_overrides_on_a_fichas_agendamentos_show_on_the_ficha(
    ficha, ana, gestor, products, clock
):
    from workflows.agendamentos import agendamento_extend

    ag = agendamento_open(
        ficha,
        owner=ana,
        kind="venda_sem_contato",
        product=products["intimacao"],
        **contact(bitrix_link="", text="Liguei, não atendeu"),
        outcome="no_answer",
    )
    agendamento_extend(
        ag,
        manager=gestor,
        due_date=dt.date(2027, 4, 30),
        reason="Cliente em audiência a semana toda",
    )
    page = ficha_page(as_user(ana), ficha)
    assert "Cliente em audiência a semana toda" in page
    assert '<span class="rule">S2</span> agendamento: Cliente em audiência' in page
    other = ficha_page(as_user(ana), make_ficha())
    assert "Cliente em audiência" not in other and "Nenhuma exceção aberta" in other


def test_G7_ficha_page_warns_of_a_suspected_duplicate(ana, clock):
    from tests.onboarding_fixtures import register

    first = make_ficha(name="Dra. Original", email="mesmo@adv.br")
    second = register(name="Dra. Repetida", email="MESMO@adv.br")  # registration detects
    page = ficha_page(as_user(ana), second)
    assert "Possível cadastro duplicado" in page and first.name in page


@pytest.mark.parametrize(
    "view, form_id",
    [("add_movimentacao", "form-movimentacao"), ("triage_start", "form-atendimento")],
)
def test_G1_ficha_action_forms_load_when_opened_and_change_nothing(
    ficha, ana, make_user, clock, view, form_id
):
    page = as_user(ana).get(reverse("ficha_detail", args=[ficha.pk])).content.decode()
    url = reverse(view, args=[ficha.pk])
    assert f'hx-get="{url}"' in page and f'id="{form_id}"' not in page
    blank = as_user(ana).get(url, headers=HX)
    assert blank.status_code == 200 and f'id="{form_id}"' in blank.content.decode()
    assert "obrigatório" not in blank.content.decode()  # shown blank, not as a failed submit
    assert as_user(make_user(SUPPORT_DEV)).get(url, headers=HX).status_code == 403
    assert not Movimentacao.objects.filter(ficha=ficha).exists()
    assert not Triage.objects.exists()


def expire_agendamentos(n, owner, product, clock):
    """n expired agendamentos, the one for "Cliente 0" the latest to have expired."""
    for i in range(n):
        ag = agendamento_open(
            make_ficha(name=f"Cliente {i}"),
            owner=owner,
            kind="venda_com_contato",
            product=product,
            **contact(),
        )
        Agendamento.objects.filter(pk=ag.pk).update(
            state=Agendamento.State.EXPIRED, due_date=clock.today() - dt.timedelta(days=i % 29 + 1)
        )


def test_console_lists_say_when_they_were_cut(ana, gestor, products, clock, monkeypatch):
    from web import console_views

    expire_agendamentos(3, ana, products["intimacao"], clock)
    client = as_user(gestor)
    page = client.get(reverse("manager_console")).content.decode()
    assert "Cliente 2" in page and "Ver todos" not in page
    monkeypatch.setattr(console_views, "CONSOLE_LIMIT", 2)
    page = client.get(reverse("manager_console")).content.decode()
    assert "Cliente 0" in page and "Cliente 1" in page and "Cliente 2" not in page  # latest first
    all_url = reverse("console_list", args=["expirados"])
    assert f'Mostrando os 2 primeiros. <a href="{all_url}">Ver todos</a>' in page


def test_M1_console_ver_todos_pages_through_a_whole_list(ana, gestor, products, clock, monkeypatch):
    from web import console_views

    monkeypatch.setattr(console_views, "LIST_PAGE_SIZE", 2)
    expire_agendamentos(5, ana, products["intimacao"], clock)
    client = as_user(gestor)
    url = reverse("console_list", args=["expirados"])
    first = client.get(url).content.decode()
    assert "1–2 de 5" in first and "Página 1 de 3" in first
    assert "Cliente 0" in first and "Cliente 1" in first and "Cliente 2" not in first
    last = client.get(url, {"pagina": 3}).content.decode()
    assert "5–5 de 5" in last and "Cliente 4" in last and "Cliente 0" not in last
    # A page past the end or not a number shows the nearest real page, not an error.
    assert "Página 3 de 3" in client.get(url, {"pagina": 99}).content.decode()
    assert "Página 1 de 3" in client.get(url, {"pagina": "x"}).content.decode()


def test_M1_console_ver_todos_is_for_managers_and_known_lists_only(ana, gestor):
    url = reverse("console_list", args=["excecoes"])
    assert as_user(ana).get(url).status_code == 403
    page = as_user(gestor).get(url)
    assert page.status_code == 200 and "Nenhuma exceção registrada ainda." in page.content.decode()
    assert as_user(gestor).get(reverse("console_list", args=["outra"])).status_code == 404


def test_S8_console_lists_the_client_waiting_longest_first(gestor, products, clock):
    for name, minutes in (("Cliente Recente", 5), ("Cliente Antigo", 40), ("Cliente Meio", 20)):
        baker.make(
            Triage,
            ficha=make_ficha(name=name),
            product=products["intimacao"],
            state=Triage.State.OFFERED_TO_TEAM,
            started_at=clock.now() - dt.timedelta(minutes=minutes),
        )
    page = as_user(gestor).get(reverse("manager_console")).content.decode()
    positions = [page.index(name) for name in ("Cliente Antigo", "Cliente Meio", "Cliente Recente")]
    assert positions == sorted(positions)

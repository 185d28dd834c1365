"""Issue 20: CPF and CNPJ through python-stdnum, the alphanumeric CNPJ (issued since July 2026)
included: registration (G7), duplicate keys (G7), search by the first characters, the holder's
change (S1) and the merge (G7)."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from onboarding.duplicates import duplicate_case_choose_kept, duplicate_case_inform_client
from onboarding.merge import conflicting_fields, duplicate_case_merge
from onboarding.models import DuplicateCase, FichaKeys
from onboarding.registration import RegistrationInvalid, ficha_register
from onboarding.search import search_fichas
from tests.onboarding_fixtures import holder_confirms, register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import DataChangeRequest, Ficha, Movimentacao
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, SELLER
from workflows.third_party import data_change_propose
from workflows.validators import cnpj_with_check_digits, cpf_with_check_digits

pytestmark = pytest.mark.django_db

ALNUM = "12ABC34501DE35"  # Receita Federal's example of an alphanumeric CNPJ
ALNUM_TYPED = "12.abc.345/01de-35"
ALNUM_SHOWN = "12.ABC.345/01DE-35"
OTHER_ALNUM = cnpj_with_check_digits("9XYZ87650001")
CPF = cpf_with_check_digits("529982247")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_user):
    return make_user(AGENT, SELLER)


def test_G7_registration_page_accepts_an_alphanumeric_cnpj(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("onboarding:register"),
        {
            "name": "Lima & Ramos Advogados",
            "document": ALNUM_TYPED,
            "email": "adm@limaramos.adv.br",
        },
        follow=True,
    )
    ficha = Ficha.objects.get(name="Lima & Ramos Advogados")
    assert ficha.document == ALNUM and ficha.is_company
    assert response.redirect_chain[-1][0] == reverse("ficha_detail", args=[ficha.pk])
    assert ALNUM_SHOWN in response.content.decode()  # the ficha page shows it punctuated
    assert FichaKeys.objects.get(ficha=ficha).document == ALNUM


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("12.ABC.345/01DE-36", "os dígitos verificadores não conferem"),
        ("12.ABD.345/01DE-35", "os dígitos verificadores não conferem"),
        ("12.ABC.345/01DE-3X", "os 2 últimos sempre números"),
        ("12.ABC.345/01D-35", "o CNPJ tem 14 caracteres"),
    ],
)
def test_G7_alphanumeric_cnpj_with_wrong_check_digits_is_refused_in_portuguese(
    client, agent, typed, says
):
    client.force_login(agent)
    response = client.post(
        reverse("onboarding:register"), {"name": "Lima & Ramos", "document": typed}, **HTMX
    )
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" role="alert">([^<]*)</p>', response.content.decode())
    assert "CPF ou CNPJ inválido" in error.group(1) and says in error.group(1)
    assert 'value="Lima &amp; Ramos"' in response.content.decode()  # what was typed stays
    assert not Ficha.objects.exists()


def test_G7_the_same_alphanumeric_cnpj_typed_another_way_is_not_registered_twice(agent):
    existing = make_ficha(name="Lima & Ramos", document=ALNUM)
    with pytest.raises(RegistrationInvalid) as refused:
        ficha_register({"name": "Lima e Ramos", "document": "12 ABC 345 01DE 35"}, actor=agent)
    assert existing.name in refused.value.errors["document"]
    assert list(Ficha.objects.all()) == [existing]


def test_G7_duplicate_detection_matches_an_alphanumeric_cnpj_across_formats():
    """The column is unique, but an import may store it in lowercase: the key matches."""
    old = make_ficha(document=ALNUM)
    fresh = register(document=ALNUM.lower(), email="outro@adv.com.br")
    case = DuplicateCase.objects.get()
    assert (case.ficha_a, case.ficha_b) == (old, fresh)
    assert case.matched_keys == ["document"]
    assert FichaKeys.objects.get(ficha=fresh).document == ALNUM


def test_G7_different_alphanumeric_cnpjs_are_no_duplicate():
    make_ficha(document=ALNUM)
    register(document=OTHER_ALNUM)
    assert not DuplicateCase.objects.exists()


@pytest.mark.parametrize("typed", ["12ABC", "12.ABC", "12.abc.345", "12.ABC.345/01DE-35", ALNUM])
def test_search_by_the_first_characters_finds_an_alphanumeric_cnpj(typed):
    ficha = make_ficha(name="Lima & Ramos", document=ALNUM)
    make_ficha(name="Outra", document=cnpj_with_check_digits("123456780001"))
    make_ficha(name="Mais uma", document=cnpj_with_check_digits("12ABD3450001"))
    assert list(search_fichas(typed)) == [ficha]


def test_search_by_a_cpf_prefix_and_by_name_still_work():
    person = make_ficha(name="Dra. Ana Silva", document=CPF)
    company = make_ficha(name="Lima & Ramos", document=ALNUM)
    assert list(search_fichas("529.982")) == [person]
    assert list(search_fichas("52998224725")) == [person]
    assert list(search_fichas("silva")) == [person]  # a word is a name
    assert list(search_fichas("Lima Ramos")) == [company]
    assert list(search_fichas("12ABD")) == []


def test_search_page_finds_an_alphanumeric_cnpj_and_shows_it_punctuated(client, agent):
    ficha = make_ficha(name="Lima & Ramos", document=ALNUM)
    client.force_login(agent)
    page = client.get(reverse("ficha_search"), {"q": "12.ABC"}, **HTMX).content.decode()
    assert reverse("ficha_detail", args=[ficha.pk]) in page and ALNUM_SHOWN in page


def test_S1_holder_change_to_an_alphanumeric_cnpj(agent, django_capture_on_commit_callbacks):
    ficha = make_ficha(name="Lima & Ramos", document=CPF, email="adm@limaramos.adv.br")
    with django_capture_on_commit_callbacks(execute=True):
        change = data_change_propose(
            ficha, actor=agent, field="document", new_value=ALNUM_TYPED, third_party="Sócio Jorge"
        )
    assert change.new_value == ALNUM
    assert Ficha.objects.get(pk=ficha.pk).document == CPF  # nothing changes before the holder
    (message,) = mail.outbox
    assert ALNUM_SHOWN in message.body and "529.982.247-25" in message.body
    holder = holder_confirms(ficha, "document", ALNUM_SHOWN, actor=agent)
    assert holder.state == DataChangeRequest.State.CONFIRMED
    assert Ficha.objects.get(pk=ficha.pk).document == ALNUM
    assert FichaKeys.objects.get(ficha=ficha).document == ALNUM
    assert list(search_fichas("12ABC")) == [ficha]


def test_S1_holder_change_refuses_a_wrong_or_taken_alphanumeric_cnpj(agent):
    ficha = make_ficha(document=CPF, email="adm@limaramos.adv.br")
    with pytest.raises(TransitionRefused, match="CPF ou CNPJ inválido") as refused:
        data_change_propose(
            ficha,
            actor=agent,
            field="document",
            new_value="12.ABC.345/01DE-36",
            third_party="Sócio Jorge",
        )
    assert "S1" in refused.value.rule_ids
    make_ficha(document=ALNUM)
    with pytest.raises(TransitionRefused, match="Outra ficha já tem este CPF/CNPJ"):
        data_change_propose(
            ficha, actor=agent, field="document", new_value=ALNUM_TYPED, third_party="Sócio Jorge"
        )
    assert not DataChangeRequest.objects.exists()


def test_G7_merge_keeps_the_alphanumeric_cnpj_of_the_kept_ficha(client, make_user):
    central = make_user(CENTRAL)
    kept = register(name="Lima & Ramos", document=ALNUM, email="adm@limaramos.adv.br")
    other = register(name="Lima e Ramos", document=CPF, email="ADM@limaramos.adv.br")
    case = DuplicateCase.objects.get()
    client.force_login(central)
    page = client.get(reverse("onboarding:case", args=[case.pk])).content.decode()
    assert ALNUM_SHOWN in page  # the side-by-side page shows it as the client knows it
    duplicate_case_inform_client(
        case,
        actor=central,
        channel=Movimentacao.Channel.PHONE,
        outcome=Movimentacao.Outcome.TALKED,
        text="Informei a cliente que ela tem duas fichas no CP",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    case = duplicate_case_choose_kept(
        case, actor=central, kept=kept, answer="Quer manter a do CNPJ"
    )
    choices = dict.fromkeys(conflicting_fields(kept, other), "kept")
    duplicate_case_merge(case, actor=central, choices=choices)
    kept.refresh_from_db()
    other.refresh_from_db()
    assert other.status == Ficha.Status.MERGED and other.merged_into == kept
    assert kept.document == ALNUM
    assert kept in search_fichas("12ABC")


def test_demo_data_has_a_ficha_with_an_alphanumeric_cnpj():
    call_command("demo_data", verbosity=0)
    ficha = Ficha.objects.get(name="Pereira Lopes Advocacia Empresarial")
    assert ficha.document == cnpj_with_check_digits("66ABC778PL01")
    assert re.search(r"[A-Z]", ficha.document) and ficha.document_display.startswith("66.ABC")

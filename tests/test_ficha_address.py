"""Issue 20, item 6: the holder's address with CEP on the ficha (registration, edit, ficha page,
the quote document, the G7 merge, the admin); and the dates of the onboarding pages shown
dd/mm/aaaa (item 5)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding.duplicates import duplicate_case_choose_kept, duplicate_case_inform_client
from onboarding.merge import duplicate_case_merge
from onboarding.models import DuplicateCase, MergeRecord
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import Ficha, Movimentacao
from workflows.orcamento import orcamento_create, orcamento_item_set, render_orcamento_html
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, SELLER, SUPPORT
from workflows.validators import (
    CEP_MALFORMED,
    CEP_NONEXISTENT,
    cpf_with_check_digits,
    format_cep,
    format_document,
    normalize_cep,
    normalize_uf,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PAULISTA = {
    "address": "Av. Paulista, 1578, conj. 52",
    "district": "Bela Vista",
    "city": "São Paulo",
    "state_uf": "SP",
    "cep": "01310200",
}
FARIA_LIMA = {
    "address": "Av. Brigadeiro Faria Lima, 3477",
    "district": "Itaim Bibi",
    "city": "São Paulo",
    "state_uf": "SP",
    "cep": "04538133",
}


def field_error(body: str, field_id: str) -> str:
    """The error paragraph drawn right after the field with this id ("" when none)."""
    match = re.search(
        rf'id="{field_id}"[^>]*>(?:\s*</select>)?\s*'
        r'<p class="field-error" role="alert">([^<]*)</p>',
        re.sub(r"<option[^>]*>[^<]*</option>", "", body),
    )
    return match.group(1) if match else ""


# --- the validator ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["01310-100", "01310100", "01.310-100", " 01310 100 "])
def test_cep_typed_with_or_without_punctuation_is_stored_as_8_digits(typed):
    assert normalize_cep(typed) == "01310100"
    assert format_cep(normalize_cep(typed)) == "01310-100"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("00000-000", CEP_NONEXISTENT),
        ("00999-999", CEP_NONEXISTENT),
        ("0131-0100", CEP_MALFORMED),
        ("1310-100", CEP_MALFORMED),  # 7 digits
        ("013101000", CEP_MALFORMED),  # 9 digits
        ("01310-10A", CEP_MALFORMED),
        ("01.310.100", CEP_MALFORMED),
        ("٠١٣١٠١٠٠", CEP_MALFORMED),  # digits, but not the ones a CEP is written with
    ],
)
def test_cep_malformed_or_nonexistent_is_refused_in_pt_br(typed, message):
    with pytest.raises(ValidationError) as refused:
        normalize_cep(typed)
    assert refused.value.messages == [message] and message.startswith("CEP inválido")


def test_empty_cep_and_uf_are_allowed_and_uf_is_one_of_the_27():
    assert normalize_cep("  ") == "" and normalize_uf("") == ""
    assert normalize_uf(" sp ") == "SP"
    with pytest.raises(ValidationError, match="UF inválida"):
        normalize_uf("XX")
    assert format_cep("") == "" and format_cep("123") == "123"


def test_address_lines_print_what_there_is():
    ficha = Ficha(**PAULISTA)
    assert ficha.cep_display == "01310-200"
    assert ficha.address_lines == [
        "Av. Paulista, 1578, conj. 52 – Bela Vista",
        "São Paulo/SP · CEP 01310-200",
    ]
    assert Ficha(cep="01310200").address_lines == ["CEP 01310-200"]
    assert Ficha().address_lines == [] and Ficha().address_display == ""


# --- registration and edit pages -------------------------------------------------------------


def registration(**address):
    doc = format_document(cpf_with_check_digits("987654321"))
    return {"name": "Ana Souza", "document": doc, "email": "", "phone": "", **address}


def test_registration_page_takes_the_address_and_the_ficha_page_shows_it(client, make_user):
    client.force_login(make_user(AGENT, SELLER))
    page = client.get(reverse("onboarding:register")).content.decode()
    assert 'name="cep"' in page and "São Paulo (SP)" in page
    response = client.post(
        reverse("onboarding:register"),
        registration(
            **PAULISTA | {"cep": "01.310-200", "address": "  Av. Paulista,  1578, conj. 52"}
        ),
        follow=True,
    )
    ficha = Ficha.objects.get(name="Ana Souza")
    assert response.redirect_chain[-1][0] == reverse("ficha_detail", args=[ficha.pk])
    assert ficha.cep == "01310200"  # 8 digits
    assert (ficha.address, ficha.district, ficha.city, ficha.state_uf) == (
        "Av. Paulista, 1578, conj. 52",
        "Bela Vista",
        "São Paulo",
        "SP",
    )
    body = response.content.decode()
    assert "Av. Paulista, 1578, conj. 52 – Bela Vista · São Paulo/SP · CEP 01310-200" in body


def test_registration_without_an_address_is_fine_and_the_ficha_page_says_so(client, make_user):
    client.force_login(make_user(AGENT))
    response = client.post(reverse("onboarding:register"), registration(), follow=True)
    ficha = Ficha.objects.get()
    assert (ficha.cep, ficha.state_uf, ficha.address) == ("", "", "")
    assert "sem endereço" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("cep", "00000-000", CEP_NONEXISTENT),
        ("cep", "01310-10", CEP_MALFORMED),
        ("state_uf", "XX", "UF inválida"),
        ("city", "x" * 81, "no máximo 80 caracteres"),
    ],
)
def test_registration_page_refuses_a_bad_address_on_its_field_and_saves_nothing(
    client, make_user, field, typed, message
):
    client.force_login(make_user(AGENT))
    response = client.post(
        reverse("onboarding:register"), registration(**PAULISTA | {field: typed}), **HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert message in field_error(body, f"registrationform-{field}")
    assert 'value="Ana Souza"' in body and 'value="Av. Paulista, 1578, conj. 52"' in body
    if field != "state_uf":
        assert f'value="{typed}"' in body  # what was typed is kept
    assert not Ficha.objects.exists()


def test_edit_page_changes_the_address_and_shows_the_cep_formatted(client, make_user):
    ficha = make_ficha(name="Dr. Caio", phone="+5511987651234", **PAULISTA)
    client.force_login(make_user(AGENT))
    page = client.get(reverse("onboarding:edit", args=[ficha.pk])).content.decode()
    assert 'value="01310-200"' in page and 'value="(11) 98765-1234"' in page
    response = client.post(
        reverse("onboarding:edit", args=[ficha.pk]),
        {"phone": "(11) 98765-1234", **FARIA_LIMA, "cep": "04538-133"},
        follow=True,
    )
    assert "Ficha atualizada" in response.content.decode()
    ficha.refresh_from_db()
    assert {f: getattr(ficha, f) for f in FARIA_LIMA} == FARIA_LIMA
    assert ficha.phone == "+5511987651234"
    assert not DuplicateCase.objects.exists()  # the address is no G7 key


def test_edit_page_refuses_a_bad_cep_on_its_field_and_saves_nothing(client, make_user):
    ficha = make_ficha(name="Dr. Caio", phone="+5511987651234", **PAULISTA)
    client.force_login(make_user(AGENT))
    response = client.post(
        reverse("onboarding:edit", args=[ficha.pk]),
        {"phone": "(21) 3456-7890", **FARIA_LIMA, "cep": "04538-13"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert CEP_MALFORMED in field_error(body, "editform-cep")
    assert 'value="04538-13"' in body and 'value="Itaim Bibi"' in body
    ficha.refresh_from_db()
    assert {f: getattr(ficha, f) for f in PAULISTA} == PAULISTA
    assert ficha.phone == "+5511987651234"  # the valid new phone is not saved either


# --- the quote document ----------------------------------------------------------------------


@pytest.fixture
def quote(make_user, products, clock):
    ana = make_user(AGENT, SELLER, first_name="Ana")
    ficha = make_ficha(name="Mariana Albuquerque Advocacia", **PAULISTA)
    orc = orcamento_create(ficha, author=ana, demand="Escritório quer monitorar publicações")
    orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=3)
    return orc, ana


def test_G8_quote_document_prints_the_address_with_the_cep_under_the_clients_name(client, quote):
    orc, ana = quote
    client.force_login(ana)
    doc = client.get(reverse("orcamento_document", args=[orc.pk])).content.decode()
    assert re.search(
        r"<strong>Mariana Albuquerque Advocacia</strong><br>"
        r'<span class="address">Av. Paulista, 1578, conj. 52 – Bela Vista</span><br>'
        r'<span class="address">São Paulo/SP · CEP 01310-200</span><br>',
        doc,
    )
    pdf = client.get(reverse("orcamento_pdf", args=[orc.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_G8_quote_document_without_an_address_prints_none(quote):
    orc, _ = quote
    Ficha.objects.filter(pk=orc.ficha_id).update(**dict.fromkeys(PAULISTA, ""))
    orc.ficha.refresh_from_db()
    html = render_orcamento_html(orc)
    assert 'class="address"' not in html and "CEP" not in html


# --- the G7 merge ----------------------------------------------------------------------------


def address_case(central, *, kept_address, new_address):
    old = register(name="Dra. Ana Souza", email="ana@adv.com.br", **kept_address)
    new = register(name="Dra. Ana Souza", email="ANA@adv.com.br", **new_address)
    case = DuplicateCase.objects.get()
    duplicate_case_inform_client(
        case,
        actor=central,
        channel=Movimentacao.Channel.PHONE,
        outcome=Movimentacao.Outcome.TALKED,
        text="Informei a cliente que ela tem duas fichas no CP",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    case = duplicate_case_choose_kept(case, actor=central, kept=old, answer="Quer manter a antiga")
    return old, new, case


@pytest.fixture
def central(make_user):
    return make_user(CENTRAL, first_name="Elisa")


def test_G7_merge_takes_the_discarded_fichas_whole_address_and_records_both(central):
    old, new, case = address_case(
        central, kept_address=PAULISTA, new_address=FARIA_LIMA | {"city": "São Paulo"}
    )
    with pytest.raises(TransitionRefused, match="“endereço”"):
        duplicate_case_merge(case, actor=central, choices={"email": "kept"})
    record = duplicate_case_merge(
        case, actor=central, choices={"email": "kept", "address": "discarded"}
    )
    old.refresh_from_db()
    assert {f: getattr(old, f) for f in FARIA_LIMA} == FARIA_LIMA
    # nothing lost: each differing address field with both fichas' values
    assert record.fields["cep"] == {
        "kept_before": "01310200",
        "discarded": "04538133",
        "after": "04538133",
        "choice": "discarded",
    }
    assert record.fields["address"]["kept_before"] == PAULISTA["address"]
    assert "city" not in record.fields  # the same on both


def test_G7_merge_page_offers_the_address_as_one_choice(client, central):
    old, new, case = address_case(central, kept_address={}, new_address=FARIA_LIMA)
    client.force_login(central)
    url = reverse("onboarding:case", args=[case.pk])
    page = client.get(url).content.decode()
    assert page.count('name="choice_address"') == 2
    assert 'name="choice_cep"' not in page and 'name="choice_district"' not in page
    # the kept ficha has none: the other's address is pre-selected
    assert (
        'name="choice_address" value="discarded" aria-describedby="campo-address" checked' in page
    )
    assert "Av. Brigadeiro Faria Lima, 3477 – Itaim Bibi · São Paulo/SP · CEP 04538-133" in page
    response = client.post(
        reverse("onboarding:case_merge", args=[case.pk]),
        {"choice_email": "kept", "choice_address": "discarded"},
        follow=True,
    )
    assert "Fichas unificadas" in response.content.decode()
    old.refresh_from_db()
    assert old.cep == "04538133" and old.district == "Itaim Bibi"
    assert MergeRecord.objects.get().fields["cep"]["after"] == "04538133"
    assert "<strong>04538-133</strong>" in response.content.decode()  # the record, as shown


# --- the admin -------------------------------------------------------------------------------


def test_admin_takes_the_cep_with_its_hyphen(client, django_user_model, clock):
    from tests.test_onboarding_admin import admin_data

    client.force_login(django_user_model.objects.create_superuser("root", "r@x.com.br", "x"))
    ficha = make_ficha(name="Dra. Nova Cliente")
    url = reverse("admin:workflows_ficha_change", args=[ficha.pk])
    refused = client.post(url, admin_data(ficha, cep="00000-000", state_uf="SP"))
    assert refused.status_code == 200 and CEP_NONEXISTENT in refused.content.decode()
    ficha.refresh_from_db()
    assert ficha.cep == "" and ficha.state_uf == ""
    response = client.post(url, admin_data(ficha, cep="01.310-200", state_uf="SP"))
    assert response.status_code == 302
    ficha.refresh_from_db()
    assert (ficha.cep, ficha.state_uf) == ("01310200", "SP")
    assert 'value="01310-200"' in client.get(url).content.decode()


# --- dates dd/mm/aaaa (item 5) ---------------------------------------------------------------


def test_training_slots_page_shows_the_day_dd_mm_aaaa(client, make_user, clock):
    from onboarding.training import training_slot_publish

    carla = make_user(SUPPORT, first_name="Carla")
    training_slot_publish(
        actor=carla, date=dt.date(2027, 4, 22), shift="manha", attendant=carla, capacity=2
    )
    client.force_login(carla)
    page = client.get(reverse("onboarding:slots")).content.decode()
    assert '<td>22/04/2027 <span class="muted">quinta-feira</span></td>' in page
    assert "Qui 22/04/2027" not in page

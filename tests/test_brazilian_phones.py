"""Issue 20: phones parsed and validated with phonenumbers (region BR), stored in E.164 on the
ficha, shown "(11) 98765-4321" by the `phone` filter, found however they are typed (G7)."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from model_bakery import baker

from onboarding.keys import normalize_phone_key
from onboarding.models import FichaKeys
from onboarding.registration import RegistrationInvalid, ficha_edit, ficha_register
from onboarding.search import search_fichas
from tests.sales_fixtures import make_ficha
from workflows.models import Ficha
from workflows.roles import AGENT, SELLER, SUPPORT
from workflows.validators import cpf_with_check_digits, format_document, normalize_phone

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# Area codes (DDD) that do not exist, a digit missing, a digit too many, a 9-digit landline.
IMPOSSIBLE = [
    "(23) 98765-4321",
    "(25) 98765-4321",
    "(26) 3456-7890",
    "(29) 98765-4321",
    "(36) 3456-7890",
    "(11) 98765-432",
    "(11) 98765-43210",
    "(11) 6345-6789",
]
TYPED_FORMS = [
    "11987654321",
    "(11) 98765-4321",
    "+55 11 98765 4321",
    "011 98765-4321",
    "0xx11 98765-4321",
]


@pytest.fixture
def agent(make_user):
    return make_user(AGENT, SELLER)


def field_error(body: str) -> str:
    """The message the registration page put under a field."""
    match = re.search(r'<p class="field-error" role="alert">([^<]*)</p>', body)
    return match.group(1) if match else ""


@pytest.mark.parametrize("typed", IMPOSSIBLE)
def test_G7_registration_page_refuses_a_phone_that_cannot_exist(client, agent, typed):
    client.force_login(agent)
    document = format_document(cpf_with_check_digits("529982247"))
    response = client.post(
        reverse("onboarding:register"),
        {"name": "Ana Souza", "document": document, "phone": typed},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert field_error(body).startswith("Telefone inválido")
    assert body.index('id="registrationform-phone"') < body.index("Telefone inválido")
    assert not Ficha.objects.exists()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("98765-4321", "informe DDD e número"),
        ("(11) 3456-ABCD", "informe DDD e número"),  # not read as a vanity number
        ("(11) 3456-7890 x12", "informe DDD e número"),  # E.164 has no extension
        ("+1 415 555 0100", "telefone do Brasil"),
        ("(23) 98765-4321", "confira o DDD e a quantidade de dígitos"),
    ],
)
def test_G7_each_phone_refusal_says_what_to_fix(typed, says):
    with pytest.raises(ValidationError, match=says):
        normalize_phone(typed)
    assert normalize_phone_key(typed) == ""  # no G7 key either


def test_G7_edit_page_refuses_an_impossible_phone_and_changes_nothing(client, agent):
    ficha = make_ficha(phone="+5511987654321")
    client.force_login(agent)
    response = client.post(
        reverse("onboarding:edit", args=[ficha.pk]), {"phone": "(25) 98765-4321"}, **HTMX
    )
    assert response.status_code == 422
    assert field_error(response.content.decode()).startswith("Telefone inválido")
    ficha.refresh_from_db()
    assert ficha.phone == "+5511987654321"
    assert FichaKeys.objects.get(ficha=ficha).phone == "+5511987654321"


def test_G7_registration_stores_e164_and_the_ficha_page_shows_the_national_form(client, agent):
    ficha, _ = ficha_register(
        {
            "name": "Ana Souza",
            "document": cpf_with_check_digits("529982247"),
            "phone": "+55 11 98765 4321",
        },
        actor=agent,
    )
    assert ficha.phone == "+5511987654321"
    client.force_login(agent)
    page = client.get(reverse("ficha_detail", args=[ficha.pk])).content.decode()
    assert "(11) 98765-4321" in page and "+5511987654321" not in page
    edit = client.get(reverse("onboarding:edit", args=[ficha.pk])).content.decode()
    assert 'value="(11) 98765-4321"' in edit  # the edit form shows it as users write it


def test_G7_edit_stores_e164_and_a_landline_is_shown_with_eight_digits(agent):
    ficha = make_ficha()
    ficha, _ = ficha_edit(ficha, {"phone": "11 3456 7890"}, actor=agent)
    assert ficha.phone == "+551134567890"
    rendered = Template("{% load brazil %}{{ f.phone|phone }}").render(Context({"f": ficha}))
    assert rendered == "(11) 3456-7890"


def test_G7_registration_refuses_together_a_bad_document_and_an_impossible_phone(agent):
    with pytest.raises(RegistrationInvalid) as refused:
        ficha_register(
            {"name": "Ana Souza", "document": "111.222.333-00", "phone": "(36) 3456-7890"},
            actor=agent,
        )
    assert set(refused.value.errors) == {"document", "phone"}
    assert not Ficha.objects.exists()


@pytest.mark.parametrize("typed", TYPED_FORMS)
def test_search_finds_a_phone_typed_any_common_way(typed):
    ficha = make_ficha(name="Dra. Ana Souza", phone="+5511987654321")
    make_ficha(name="Outra", phone="+5511987654320")
    assert list(search_fichas(typed)) == [ficha]


def test_search_page_finds_a_phone_stored_before_e164(client, agent):
    ficha = make_ficha(name="Dra. Ana Souza", phone="(11) 98765-4321")
    client.force_login(agent)
    for typed in TYPED_FORMS:
        page = client.get(reverse("ficha_search"), {"q": typed}, **HTMX).content.decode()
        assert reverse("ficha_detail", args=[ficha.pk]) in page
        assert "(11) 98765-4321" in page


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+5511987654321", "(11) 98765-4321"),
        ("+552134567890", "(21) 3456-7890"),
        ("11 98765 4321", "(11) 98765-4321"),
        ("+14155550100", "+1 415-555-0100"),
        ("ramal 12", "ramal 12"),  # no number: shown as typed
        ("", ""),
        (None, ""),
    ],
)
def test_the_phone_filter_shows_the_national_form(stored, shown):
    template = Template("{% load brazil %}{{ value|phone }}")
    assert template.render(Context({"value": stored})) == shown


def test_the_document_filter_punctuates_cpf_and_cnpj():
    template = Template("{% load brazil %}{{ a|document }} {{ b|document }} [{{ c|document }}]")
    context = {"a": "52998224725", "b": "12ABC34501DE35", "c": ""}
    assert template.render(Context(context)) == "529.982.247-25 12.ABC.345/01DE-35 []"


def test_the_textura_architects_list_shows_phones_in_the_national_form(client, make_user):
    baker.make("tickets.Architect", name="Arq. Rui Campos", phone="+5511987654321")
    client.force_login(make_user(SUPPORT))
    page = client.get(reverse("tickets:architects")).content.decode()
    assert "Arq. Rui Campos" in page and "(11) 98765-4321" in page


def test_the_admin_check_of_a_ficha_refuses_an_impossible_phone():
    ficha = Ficha(name="Ana Souza", document="529.982.247-25", phone="(29) 98765-4321")
    with pytest.raises(ValidationError) as error:
        ficha.clean()
    assert list(error.value.message_dict) == ["phone"]
    ficha.phone = "(11) 98765-4321"
    ficha.clean()
    assert (ficha.document, ficha.phone) == ("52998224725", "+5511987654321")


def test_migration_converts_stored_phones_that_parse_and_leaves_the_others():
    migration = importlib.import_module("workflows.migrations.0020_phone_e164")
    rows = {
        "(11) 98765-4321": "+5511987654321",
        "011 3456 7890": "+551134567890",
        "+5521998123456": "+5521998123456",
        "(23) 98765-4321": "(23) 98765-4321",  # cannot exist: left as typed
        "98765-4321": "98765-4321",  # no area code
        "11 3456-7890 r.12": "11 3456-7890 r.12",  # an extension in letters: kept (20 chars max)
        "": "",
    }
    fichas = {typed: make_ficha(phone=typed) for typed in rows}
    migration.phones_to_e164(apps, None)
    for typed, expected in rows.items():
        assert Ficha.objects.get(pk=fichas[typed].pk).phone == expected

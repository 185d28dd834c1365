"""G7: duplicate detection on every key (formatting variants), run by the code paths that write a
ficha (registration, edit, the holder's confirmed change) and only when a compared field changed;
the central queue, the scan."""

import io

import pytest
from django.core.management import call_command

from onboarding.duplicates import (
    MAX_SHARED_KEY,
    central_queue,
    duplicates_scan,
    ficha_detect_duplicates,
    ficha_keys_update,
)
from onboarding.keys import (
    normalize_document_key,
    normalize_email_key,
    normalize_oab_key,
    normalize_phone_key,
)
from onboarding.models import DuplicateCase, FichaKeys
from onboarding.registration import RegistrationInvalid, ficha_edit, ficha_register
from onboarding.search import search_fichas
from tests.onboarding_fixtures import holder_confirms, register
from tests.sales_fixtures import make_ficha
from workflows import third_party
from workflows.models import DataChangeRequest, Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL
from workflows.validators import cpf_with_check_digits, format_document

pytestmark = pytest.mark.django_db

CPF_A = cpf_with_check_digits("529982247")
CPF_B = cpf_with_check_digits("111444777")


@pytest.mark.parametrize(
    "raw",
    ["(11) 98765-1234", "11987651234", "+55 11 98765-1234", "011 98765 1234", "0 21 11 98765-1234"],
)
def test_G7_phone_variants_normalise_to_e164(raw):
    assert normalize_phone_key(raw) == "+5511987651234"


@pytest.mark.parametrize("raw", ["(11) 3456-7890", "1134567890", "+55 (11) 3456-7890"])
def test_G7_landline_with_eight_digits_normalises_too(raw):
    assert normalize_phone_key(raw) == "+551134567890"


@pytest.mark.parametrize("raw", ["", "98765-1234", "+1 415 555 0100", "(11) 8765-12345", "abc"])
def test_G7_phone_without_area_code_or_foreign_is_no_key(raw):
    assert normalize_phone_key(raw) == ""


@pytest.mark.parametrize(
    "raw", ["(23) 98765-1234", "(25) 3456-7890", "(36) 98765-1234", "(11) 6345-6789"]
)
def test_G7_phone_that_cannot_exist_is_no_key(raw):
    """phonenumbers (region BR): area codes that do not exist, an old 8-digit mobile."""
    assert normalize_phone_key(raw) == ""


@pytest.mark.parametrize("raw", ["12.ABC.345/01DE-35", "12abc34501de35", " 12 ABC 345 01DE 35 "])
def test_G7_alphanumeric_cnpj_key_is_uppercase_with_letters_kept(raw):
    assert normalize_document_key(raw) == "12ABC34501DE35"


@pytest.mark.parametrize("raw", ["SP 234.567", "234567/SP", "OAB/SP 234567", "oab sp 234567"])
def test_G7_oab_variants_normalise_to_uf_and_number(raw):
    assert normalize_oab_key(raw) == "SP234567"


def test_G7_oab_without_uf_and_email_and_document_keys():
    assert normalize_oab_key("234567") == ""
    assert normalize_email_key("  Dra.Ana@Escritorio.COM.br ") == "dra.ana@escritorio.com.br"
    assert normalize_email_key("sem-arroba") == ""
    assert normalize_document_key(format_document(CPF_A)) == CPF_A
    assert normalize_document_key("123") == ""


@pytest.mark.parametrize(
    ("existing", "new", "key"),
    [
        ({"email": "ana@adv.com.br"}, {"email": "  ANA@Adv.com.BR "}, "email"),
        ({"phone": "(11) 98765-1234"}, {"phone": "+55 11 98765-1234"}, "phone"),
        ({"phone": "011 98765 1234"}, {"phone": "11987651234"}, "phone"),
        ({"oab": "OAB/SP 234567"}, {"oab": "234.567/SP"}, "oab"),
    ],
)
def test_G7_detection_on_create_matches_each_key_across_formats(existing, new, key):
    old = make_ficha(**existing)
    fresh = register(**new)
    case = DuplicateCase.objects.get()
    assert (case.ficha_a, case.ficha_b) == (old, fresh)
    assert case.matched_keys == [key]
    assert case.source == DuplicateCase.Source.REGISTRATION
    assert case.state == DuplicateCase.State.OPEN


def test_G7_detection_on_document_formatting_variant():
    """The CPF column is unique, but an import may store it formatted: same digits match."""
    make_ficha(document=CPF_A)
    register(document=format_document(CPF_A))
    assert DuplicateCase.objects.get().matched_keys == ["document"]


def test_G7_no_case_for_different_keys_or_empty_values():
    register(email="", phone="", oab="")
    register(email="", phone="", oab="")
    register(email="b@x.com.br", phone="(11) 3456-7890")
    assert not DuplicateCase.objects.exists()


def test_G7_detection_on_edit_and_idempotent(make_user):
    agent = make_user(AGENT)
    a = register(email="a@x.com.br", phone="(21) 99999-0000")
    b = register(email="b@x.com.br")
    assert not DuplicateCase.objects.exists()
    holder_confirms(b, "email", "A@X.com.br", actor=agent)
    case = DuplicateCase.objects.get()
    assert (case.ficha_a, case.ficha_b, case.source) == (a, b, DuplicateCase.Source.EDIT)
    ficha_edit(b, {"phone": "21999990000"}, actor=agent)
    ficha_edit(b, {"phone": "21999990000"}, actor=agent)  # unchanged: nothing to compare
    case.refresh_from_db()
    assert DuplicateCase.objects.count() == 1
    assert case.matched_keys == ["email", "phone"]


def test_G7_three_fichas_sharing_a_key_give_one_case_per_pair():
    for _ in range(3):
        register(oab="SP 100.200")
    assert DuplicateCase.objects.count() == 3


def test_G7_merged_ficha_is_not_matched(make_user):
    a = make_ficha(email="a@x.com.br")
    Ficha.objects.filter(pk=a.pk).update(status=Ficha.Status.MERGED)
    register(email="a@x.com.br")
    assert not DuplicateCase.objects.exists()


def test_G7_registration_routes_duplicate_to_central_not_to_agent(make_user):
    agent = make_user(AGENT)
    old = make_ficha(phone="(11) 98765-1234")
    ficha, cases = ficha_register(
        {"name": "Dra. Ana Souza", "document": format_document(CPF_B), "phone": "11987651234"},
        actor=agent,
    )
    assert ficha.document == CPF_B
    assert ficha.onboardings.get().registered_by == agent
    assert [(c.ficha_a, c.ficha_b) for c in cases] == [(old, ficha)]
    assert list(central_queue()) == cases
    # the case belongs to the team queue: nobody in particular, never the creating agent
    assert not [f.name for f in DuplicateCase._meta.fields if f.related_model is type(agent)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "document": CPF_B}, "name"),
        ({"name": "Dra. Ana", "document": "123.456.789-00"}, "document"),
        ({"name": "Dra. Ana", "document": CPF_B, "email": "ana@"}, "email"),
        ({"name": "Dra. Ana", "document": CPF_B, "phone": "9876-1234"}, "phone"),
        ({"name": "Dra. Ana", "document": CPF_B, "oab": "123456"}, "oab"),
    ],
)
def test_G7_bad_registration_input_writes_nothing(make_user, data, field):
    with pytest.raises(RegistrationInvalid) as refused:
        ficha_register(data, actor=make_user(AGENT))
    assert field in refused.value.errors
    assert not Ficha.objects.exists()


def test_G7_registration_with_existing_document_points_to_the_ficha(make_user):
    old = make_ficha(document=CPF_A, name="Dr. Carlos")
    with pytest.raises(RegistrationInvalid) as refused:
        ficha_register(
            {"name": "Carlos", "document": format_document(CPF_A)}, actor=make_user(AGENT)
        )
    assert "Dr. Carlos" in refused.value.errors["document"]
    assert list(Ficha.objects.all()) == [old]


def test_G7_edit_runs_detection_and_refuses_merged_ficha(make_user):
    agent = make_user(CENTRAL)
    a = make_ficha(phone="(11) 3456-7890")
    b = make_ficha()
    _, cases = ficha_edit(b, {"phone": " 11 3456 7890"}, actor=agent)
    assert [c.matched_keys for c in cases] == [["phone"]]
    Ficha.objects.filter(pk=a.pk).update(status=Ficha.Status.MERGED)
    with pytest.raises(TransitionRefused, match="unificada"):
        ficha_edit(a, {"phone": "(11) 91234-5678"}, actor=agent)
    assert Ficha.objects.get(pk=a.pk).phone == "(11) 3456-7890"


def test_G7_edit_leaves_sensitive_data_to_the_holder_S1(make_user):
    ficha = make_ficha(email="a@x.com.br")
    agent = make_user(AGENT)
    with pytest.raises(TransitionRefused) as refused:
        ficha_edit(ficha, {"email": "b@x.com.br", "phone": "(11) 3456-7890"}, actor=agent)
    assert refused.value.rule_ids == ("S1",)
    with pytest.raises(RegistrationInvalid):
        ficha_edit(ficha, {"phone": "3456-7890"}, actor=agent)
    with pytest.raises(TransitionRefused, match="não edita"):
        ficha_edit(ficha, {"phone": "(11) 3456-7890"}, actor=make_user())
    ficha.refresh_from_db()
    assert (ficha.email, ficha.phone) == ("a@x.com.br", "")


def test_G7_scan_fills_the_queue_idempotently_with_progress():
    fichas = [make_ficha() for _ in range(5)]
    # rows written around the services (e.g. a bulk import): stale or no keys, no cases yet
    Ficha.objects.filter(pk=fichas[0].pk).update(email="x@y.com.br", phone="(11) 3456-7890")
    Ficha.objects.filter(pk=fichas[3].pk).update(email="X@Y.com.br")
    Ficha.objects.filter(pk=fichas[4].pk).update(phone="+55 11 3456-7890", oab="SP 1234")
    Ficha.objects.filter(pk=fichas[1].pk).update(oab="1234/SP")
    FichaKeys.objects.filter(ficha_id=fichas[2].pk).delete()
    assert not DuplicateCase.objects.exists()

    seen = []
    summary = duplicates_scan(progress=lambda done, total: seen.append((done, total)), every=2)
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert summary == {"fichas": 5, "pairs": 3, "created": 3, "shared": []}
    pairs = {(c.ficha_a_id, c.ficha_b_id): c.matched_keys for c in DuplicateCase.objects.all()}
    f = [x.pk for x in fichas]
    assert pairs == {(f[0], f[3]): ["email"], (f[0], f[4]): ["phone"], (f[1], f[4]): ["oab"]}
    assert FichaKeys.objects.count() == 5
    assert all(c.source == DuplicateCase.Source.SCAN for c in DuplicateCase.objects.all())

    assert duplicates_scan()["created"] == 0
    assert DuplicateCase.objects.count() == 3


def test_G7_scan_without_duplicates_costs_constant_queries(django_assert_max_num_queries):
    for n in range(30):
        make_ficha(email=f"cliente{n}@adv.com.br", phone=f"(11) 3456-{n:04d}")
    with django_assert_max_num_queries(8):
        assert duplicates_scan()["pairs"] == 0


def test_G7_scan_command_prints_progress_and_summary(django_assert_max_num_queries):
    for _ in range(4):
        make_ficha(email="mesmo@adv.com.br")  # stored, never compared: no cases yet
    assert not DuplicateCase.objects.exists()
    out = io.StringIO()
    # a handful of queries for the scan plus a few per case it creates
    with django_assert_max_num_queries(8 + 6 * 6):
        call_command("scan_duplicates", "--every", "2", stdout=out)
    text = out.getvalue()
    assert "2/4 fichas verificadas" in text and "4/4 fichas verificadas" in text
    assert "3 casos novos" in text  # each with the oldest ficha of the group
    first = Ficha.objects.order_by("pk").first()
    assert DuplicateCase.objects.filter(ficha_a=first).count() == 3 == DuplicateCase.objects.count()


def test_G7_value_shared_by_many_fichas_is_a_shared_contact_not_a_duplicate():
    Ficha.objects.bulk_create(  # imported: no keys stored until the scan
        [
            Ficha(
                name=f"Advogado {n}",
                document=cpf_with_check_digits(f"4440000{n:02d}"),
                phone="(11) 4002-8922",
            )
            for n in range(MAX_SHARED_KEY + 2)
        ]
    )
    out = io.StringIO()
    call_command("scan_duplicates", stdout=out)
    assert "0 casos novos" in out.getvalue()
    assert "telefone +551140028922 aparece em 22 fichas" in out.getvalue()
    assert not DuplicateCase.objects.exists()
    register(phone="11 4002 8922", email="novo@adv.com.br")
    assert not DuplicateCase.objects.exists()


# --- G7: which writes run detection -------------------------------------------------------------


def undetected_pair(**shared):
    """Two fichas with the same e-mail whose keys are stored but were never compared: any
    detection on the second opens a case, so "no case" proves detection did not run."""
    first = make_ficha(name="Dra. Ana Souza", email="ana@adv.com.br", **shared)
    second = make_ficha(name="Ana Souza", email="ANA@adv.com.br", phone="(11) 3456-7890")
    assert not DuplicateCase.objects.exists()
    return first, second


def test_G7_registration_starts_onboarding_and_detects(make_user):
    agent = make_user(AGENT)
    old = make_ficha(email="ana@adv.com.br")
    ficha, cases = ficha_register(
        {"name": "Dra. Ana Souza", "document": CPF_B, "email": "Ana@Adv.com.br"}, actor=agent
    )
    onboarding = ficha.onboardings.get()
    assert (onboarding.origin, onboarding.registered_by) == (ficha, agent)
    assert onboarding.steps.count() == 5
    case = DuplicateCase.objects.get()
    assert cases == [case] and (case.ficha_a, case.ficha_b) == (old, ficha)
    assert case.source == DuplicateCase.Source.REGISTRATION


def test_G7_a_bare_save_starts_nothing():
    """No receiver: writing a ficha row runs neither onboarding nor detection."""
    first, second = undetected_pair()
    second.email = "ana@adv.com.br"
    second.save()
    assert not DuplicateCase.objects.exists() and not second.onboardings.exists()


def test_G7_holder_change_of_a_name_only_runs_no_detection(make_user):
    first, second = undetected_pair()
    holder_confirms(second, "name", "Dra. Ana Prado", actor=make_user(AGENT))
    second.refresh_from_db()
    assert second.name == "Dra. Ana Prado"
    assert not DuplicateCase.objects.exists()  # the shared e-mail was not compared
    assert list(search_fichas("prado")) == [second]  # the name search follows the new name
    assert list(search_fichas("souza")) == [first]
    assert [c.matched_keys for c in ficha_detect_duplicates(second)] == [
        ["email"]
    ]  # it would match


def test_G7_edit_with_the_same_phone_runs_no_detection(make_user):
    first, second = undetected_pair()
    _, cases = ficha_edit(second, {"phone": "(11) 3456-7890"}, actor=make_user(AGENT))
    assert cases == [] and not DuplicateCase.objects.exists()


def test_G7_write_of_a_field_not_compared_costs_no_query(django_assert_num_queries):
    first, second = undetected_pair()
    with django_assert_num_queries(0):
        assert ficha_keys_update(second, changed={"lawyers", "states"}) == []


def test_G7_edit_of_the_phone_detects(make_user):
    first, second = undetected_pair(phone="(21) 3456-7890")
    _, cases = ficha_edit(second, {"phone": "21 3456 7890"}, actor=make_user(AGENT))
    case = DuplicateCase.objects.get()
    assert cases == [case] and case.source == DuplicateCase.Source.EDIT
    assert case.matched_keys == ["email", "phone"]  # the e-mail was compared along with it


def test_G7_holder_confirmed_change_of_a_compared_field_detects(client, make_user, clock):
    other = make_ficha(oab="SP 234.567")
    ficha = make_ficha(email="helena@prado.adv.br", oab="RJ 111.222")
    change = third_party.data_change_propose(
        ficha, actor=make_user(AGENT), field="oab", new_value="234567/SP", third_party="Sócio"
    )
    assert not DuplicateCase.objects.exists()
    url = f"/validar/{third_party.holder_token(change)}/"
    page = client.post(url, {"decision": "confirm"}).content.decode()
    assert "Seus dados foram atualizados" in page
    assert DataChangeRequest.objects.get().state == DataChangeRequest.State.CONFIRMED
    case = DuplicateCase.objects.get()
    assert (case.ficha_a, case.ficha_b, case.matched_keys) == (other, ficha, ["oab"])
    assert case.source == DuplicateCase.Source.EDIT


def test_G7_holder_rejected_change_runs_no_detection(client, make_user, clock):
    make_ficha(oab="SP 234.567")
    ficha = make_ficha(email="helena@prado.adv.br", oab="RJ 111.222")
    change = third_party.data_change_propose(
        ficha, actor=make_user(AGENT), field="oab", new_value="234567/SP", third_party="Sócio"
    )
    client.post(f"/validar/{third_party.holder_token(change)}/", {"decision": "reject"})
    assert not DuplicateCase.objects.exists()

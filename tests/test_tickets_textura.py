"""Textura: the architects list (T3) and romaneios pendente → digitado → conferido (T5)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tickets import textura
from tickets.models import Architect, ArchitectChange, Romaneio, RomaneioItem
from workflows.engine import transition
from workflows.models import AuditEntry
from workflows.refusals import TransitionRefused
from workflows.roles import SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, first_name="Carla")


def login(user):
    client = Client()
    client.force_login(user)
    return client


def architect_data(**overrides):
    data = {
        "name": "Helena Prado",
        "office": "Prado Arquitetura",
        "email": "helena@pradoarq.com.br",
        "phone": "(11) 98888-1234",
        "city": "São Paulo/SP",
        "links": "Loja Textura Moema\nCliente Condomínio Jardins",
        "notes": "Prefere contato por WhatsApp.",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_T3_add_and_update_an_architect_keeps_who_when_and_old_new(support, clock):
    client = login(support)
    response = client.post(reverse("tickets:architect_create"), architect_data())
    assert response.status_code == 302
    helena = Architect.objects.get()
    assert helena.link_list == ["Loja Textura Moema", "Cliente Condomínio Jardins"]
    clock.advance(dt.timedelta(days=2))
    client.post(
        reverse("tickets:architect", args=[helena.pk]),
        architect_data(phone="(11) 97777-0000", links="Loja Textura Moema\nLoja Pinheiros"),
    )
    added, updated = ArchitectChange.objects.order_by("at")
    assert added.created and added.author == support
    assert updated.at == clock.now() and not updated.created
    assert updated.changes == {
        "phone": ["(11) 98888-1234", "(11) 97777-0000"],
        "links": [
            "Loja Textura Moema\nCliente Condomínio Jardins",
            "Loja Textura Moema\nLoja Pinheiros",
        ],
    }
    page = client.get(reverse("tickets:architect", args=[helena.pk])).content.decode()
    assert "(11) 97777-0000" in page and "atualizado" in page and "Carla" in page
    # Saving with no change writes no history row.
    textura.save_architect({"name": "Helena Prado"}, actor=support, architect=helena)
    assert ArchitectChange.objects.count() == 2


def test_T3_search_finds_architects_by_name_contact_vinculo_and_note(support):
    textura.save_architect(architect_data(active=True), actor=support)
    textura.save_architect(
        {"name": "Rui Tavares", "email": "rui@tavares.arq.br", "notes": "Obra em Campinas"},
        actor=support,
    )
    client = login(support)
    url = reverse("tickets:architects")
    for term, expected, absent in [
        ("helena", "Helena Prado", "Rui Tavares"),
        ("98888", "Helena Prado", "Rui Tavares"),
        ("pinheiros moema", None, "Helena Prado"),
        ("moema", "Helena Prado", "Rui Tavares"),
        ("campinas", "Rui Tavares", "Helena Prado"),
    ]:
        html = client.get(url, {"q": term}, headers={"HX-Request": "true"}).content.decode()
        if expected:
            assert expected in html, term
        assert absent not in html, term
    assert (
        "<html" not in client.get(url, {"q": "x"}, headers={"HX-Request": "true"}).content.decode()
    )


def test_T3_bad_architect_input_is_refused_in_pt_br_and_nothing_written(support):
    client = login(support)
    textura.save_architect(architect_data(active=True), actor=support)
    no_contact = client.post(
        reverse("tickets:architect_create"), architect_data(name="Nova", email="", phone="")
    )
    assert no_contact.status_code == 422
    assert "Informe ao menos um contato" in no_contact.content.decode()
    duplicate = client.post(
        reverse("tickets:architect_create"),
        architect_data(name="Outra", email="HELENA@pradoarq.com.br"),
    )
    assert "Já existe um arquiteto com este e-mail" in duplicate.content.decode()
    placeholder = client.post(reverse("tickets:architect_create"), architect_data(name="..."))
    assert placeholder.status_code == 422
    assert Architect.objects.count() == 1 and ArchitectChange.objects.count() == 1


def test_T3_only_support_and_managers_edit_the_list(support, make_user):
    helena = textura.save_architect(architect_data(active=True), actor=support)
    dev = login(make_user(SUPPORT_DEV))
    assert dev.get(reverse("tickets:architects")).status_code == 200
    assert (
        dev.post(reverse("tickets:architect", args=[helena.pk]), architect_data()).status_code
        == 403
    )
    seller = login(make_user(SELLER))
    assert seller.get(reverse("tickets:architects")).status_code == 403


# -- romaneios --------------------------------------------------------------------------------


@pytest.fixture
def helena(support):
    return textura.save_architect(architect_data(active=True), actor=support)


def romaneio_post(helena, action="digitado", items=None, **header):
    data = {
        "number": "tx-1001",
        "date": "2027-04-16",
        "store": "Textura Moema",
        "architect": helena.pk,
        "client": "Condomínio Jardins",
        "itens-TOTAL_FORMS": "3",
        "itens-INITIAL_FORMS": "0",
        "itens-MIN_NUM_FORMS": "0",
        "itens-MAX_NUM_FORMS": "1000",
        action: "1",
    }
    data.update(header)
    rows = (
        items
        if items is not None
        else [("Piso vinílico Carvalho", "42.5", "m2"), ("Rodapé", "30", "m")]
    )
    for i, (product, quantity, unit) in enumerate(rows):
        data.update(
            {
                f"itens-{i}-product": product,
                f"itens-{i}-quantity": quantity,
                f"itens-{i}-unit": unit,
            }
        )
    return data


def test_T5_entry_form_saves_header_and_items_and_marks_typed(support, helena, clock):
    client = login(support)
    response = client.post(reverse("tickets:romaneio_create"), romaneio_post(helena))
    romaneio = Romaneio.objects.get()
    assert response.status_code == 302
    assert (romaneio.number, romaneio.state, romaneio.typed_by) == ("TX-1001", "digitado", support)
    assert [(i.product, i.quantity, i.unit) for i in romaneio.items.all()] == [
        ("Piso vinílico Carvalho", Decimal("42.50"), "m2"),
        ("Rodapé", Decimal("30.00"), "m"),
    ]
    entry = AuditEntry.for_object(romaneio).get()
    assert (entry.event, entry.from_state, entry.to_state, entry.rule_ids) == (
        "type_in",
        "pendente",
        "digitado",
        ["T5"],
    )


def test_T5_romaneio_walks_pendente_digitado_conferido_with_audit(support, helena, clock):
    client = login(support)
    client.post(reverse("tickets:romaneio_create"), romaneio_post(helena, action="pendente"))
    romaneio = Romaneio.objects.get()
    assert romaneio.state == "pendente"
    pending_list = client.get(reverse("tickets:romaneios")).content.decode()
    assert "TX-1001" in pending_list and "Pendente (1)" in pending_list
    transition(romaneio, "type_in", actor=support)
    with pytest.raises(TransitionRefused, match="justificativa"):
        transition(romaneio, "back_to_typing", actor=support, reason="")
    transition(romaneio, "back_to_typing", actor=support, reason="faltou a linha do rodapé")
    transition(romaneio, "type_in", actor=support)
    clock.advance(dt.timedelta(hours=1))
    url = reverse("tickets:romaneio_action", args=[romaneio.pk, "confirm"])
    assert client.post(url, {"reason": ""}).status_code == 302
    romaneio.refresh_from_db()
    assert (romaneio.state, romaneio.checked_by, romaneio.checked_at) == (
        "conferido",
        support,
        clock.now(),
    )
    assert [(a.from_state, a.to_state) for a in AuditEntry.for_object(romaneio)] == [
        ("pendente", "digitado"),
        ("digitado", "pendente"),
        ("pendente", "digitado"),
        ("digitado", "conferido"),
    ]
    page = client.get(reverse("tickets:romaneio", args=[romaneio.pk])).content.decode()
    assert "faltou a linha do rodapé" in page and "Digitado → Conferido" in page


def test_T5_type_in_without_items_is_refused(support, helena):
    romaneio = Romaneio.objects.create(
        number="TX-9",
        date=dt.date(2027, 4, 16),
        store="Moema",
        architect=helena,
        created_by=support,
    )
    with pytest.raises(TransitionRefused, match="ao menos um item") as refused:
        transition(romaneio, "type_in", actor=support)
    assert refused.value.rule_ids == ("T5",)
    assert Romaneio.objects.get(pk=romaneio.pk).state == "pendente"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"date": "2027-04-30"}, "não pode estar no futuro"),
        ({"store": ""}, "Este campo é obrigatório"),
        ({"architect": "", "client": ""}, "Informe o arquiteto ou o cliente"),
        ({"items": [("Piso", "0", "m2")]}, "A quantidade mínima é 0,01."),
        ({"items": [("Piso", "2", "tonelada")]}, "Faça uma escolha válida"),
        ({"items": [("...", "2", "m2")]}, "texto vazio ou reticências"),
        ({"items": []}, "Digite ao menos um item"),
    ],
)
def test_T5_entry_form_refuses_bad_input_and_writes_nothing(
    support, helena, clock, change, message
):
    items = change.pop("items", None)
    data = romaneio_post(helena, items=items, **change)
    response = login(support).post(reverse("tickets:romaneio_create"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Romaneio.objects.exists() and not RomaneioItem.objects.exists()


def test_T5_duplicate_number_and_editing_a_typed_romaneio_are_refused(support, helena, clock):
    client = login(support)
    client.post(reverse("tickets:romaneio_create"), romaneio_post(helena))
    again = client.post(reverse("tickets:romaneio_create"), romaneio_post(helena, number="TX-1001"))
    assert again.status_code == 422 and "já existe" in again.content.decode()
    romaneio = Romaneio.objects.get()
    edit = client.get(reverse("tickets:romaneio_edit", args=[romaneio.pk]))
    assert edit.status_code == 302
    assert (
        login(support)
        .post(
            reverse("tickets:romaneio_edit", args=[romaneio.pk]),
            romaneio_post(helena, store="Outra"),
        )
        .status_code
        == 302
    )
    assert Romaneio.objects.get().store == "Textura Moema"


def test_T5_pages_are_refused_outside_support(support, helena, make_user, clock):
    seller = login(make_user(SELLER))
    assert seller.get(reverse("tickets:romaneios")).status_code == 403
    assert seller.post(reverse("tickets:romaneio_create"), romaneio_post(helena)).status_code == 403
    assert not Romaneio.objects.exists()


@pytest.mark.parametrize(
    "typed, stored",
    [("35,5", Decimal("35.50")), ("1.234,5", Decimal("1234.50")), ("42.5", Decimal("42.50"))],
)
def test_T5_item_quantity_typed_the_pt_br_way(support, helena, clock, typed, stored):
    """Issue 20: "35,5" used to be saved as 355."""
    data = romaneio_post(helena, items=[("Piso vinílico", typed, "m2")])
    response = login(support).post(reverse("tickets:romaneio_create"), data)
    assert response.status_code == 302
    assert RomaneioItem.objects.get().quantity == stored


@pytest.mark.parametrize("typed", ["1.234", "1,234,5", "12.34,5", "35,5,5"])
def test_T5_ambiguous_quantity_is_refused_on_the_field_as_typed(support, helena, clock, typed):
    data = romaneio_post(helena, items=[("Piso vinílico", typed, "m2")])
    response = login(support).post(reverse("tickets:romaneio_create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "lido de dois jeitos" in html and f'value="{typed}"' in html
    assert not Romaneio.objects.exists() and not RomaneioItem.objects.exists()


def test_T5_saved_quantity_is_shown_back_pt_br(support, helena, clock):
    client = login(support)
    data = romaneio_post(helena, action="pendente", items=[("Piso vinílico", "35,5", "m2")])
    client.post(reverse("tickets:romaneio_create"), data)
    romaneio = Romaneio.objects.get()
    page = client.get(reverse("tickets:romaneio_edit", args=[romaneio.pk])).content.decode()
    assert 'value="35,5"' in page and 'inputmode="decimal"' in page

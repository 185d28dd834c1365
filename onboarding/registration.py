"""G7: the writes that create or change a ficha's identifying data, each saying what follows.

A new registration starts its onboarding checklist and is compared with the whole base; an
edit or a holder-confirmed change (S1) is compared again only when it changed a compared
field (CPF/CNPJ, e-mail, phone, OAB: `duplicates.COMPARED_FIELDS`). Nothing runs on a bare
`Ficha.save()`: code that writes fichas another way calls `ficha_onboard` /
`duplicates.ficha_keys_update` itself (the demo data does); for bulk imports and the Django
admin's Ficha page, `start_onboardings` and `duplicates_scan` catch up.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from workflows import clock
from workflows.models import DataChangeRequest, Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from workflows.third_party import data_change_record_answer
from workflows.validators import normalize_cep, normalize_document, normalize_phone, normalize_uf

from .checklist import onboarding_start
from .duplicates import ficha_detect_duplicates, ficha_keys_update, live_cases_of
from .keys import NORMALIZERS
from .models import DuplicateCase

EDITABLE_FIELDS = ("name", "document", "email", "phone", "oab")
# The holder's address (printed on the quote document): typed at registration and edited
# directly; neither S1 sensitive data nor a G7 duplicate key.
ADDRESS_FIELDS = Ficha.ADDRESS_FIELDS
ADDRESS_NORMALIZERS = {"state_uf": normalize_uf, "cep": normalize_cep}


class RegistrationInvalid(TransitionRefused):
    """Bad registration input: one pt-BR message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Corrija os campos indicados.", "G7")
        self.errors = errors


def clean_address(data: dict) -> tuple[dict, dict]:
    """The address fields present in `data`, trimmed, bounded, the UF checked and the CEP in
    its 8 digits; returns (values, pt-BR errors per field)."""
    values, errors = {}, {}
    for name in ADDRESS_FIELDS:
        if name not in data:
            continue
        text = " ".join((data[name] or "").split())
        limit = Ficha._meta.get_field(name).max_length
        try:
            text = ADDRESS_NORMALIZERS.get(name, str)(text)
        except ValidationError as error:
            errors[name] = error.messages[0]
            continue
        if len(text) > limit:
            errors[name] = f"Use no máximo {limit} caracteres."
            continue
        values[name] = text
    return values, errors


def _clean_registration(data: dict) -> dict:
    values = {f: (data.get(f) or "").strip() for f in EDITABLE_FIELDS}
    address, errors = clean_address({f: data.get(f) for f in ADDRESS_FIELDS})
    values |= address
    if len(values["name"]) < 3:
        errors["name"] = "Informe o nome do titular."
    # CPF or CNPJ (alphanumeric CNPJ included) and the phone, in their stored forms
    for field, normalize in (("document", normalize_document), ("phone", normalize_phone)):
        try:
            values[field] = normalize(values[field])
        except ValidationError as error:
            errors[field] = error.messages[0]
    if values["email"]:
        if not NORMALIZERS["email"](values["email"]):
            errors["email"] = "E-mail inválido."
        values["email"] = values["email"].lower()
    if values["oab"] and not NORMALIZERS["oab"](values["oab"]):
        errors["oab"] = "OAB inválida: informe UF e número, ex.: SP 123.456."
    if errors:
        raise RegistrationInvalid(errors)
    return values


def ficha_onboard(ficha: Ficha, *, registered_by=None) -> list[DuplicateCase]:
    """G7: what every new ficha gets, once its row is written: the onboarding checklist
    (idempotent) and a comparison with the whole base. Returns the live duplicate cases."""
    onboarding_start(ficha, registered_by=registered_by)
    return ficha_detect_duplicates(ficha, source=DuplicateCase.Source.REGISTRATION)


def ficha_register(data: dict, *, actor):
    """G7: a new registration. The ficha and its onboarding are created in one transaction;
    then duplicate detection runs, and suspected duplicates go to the central team's queue,
    not to the creating agent. Returns (ficha, open duplicate cases)."""
    values = _clean_registration(data)
    existing = Ficha.objects.filter(document=values["document"]).first()
    if existing is not None:
        raise RegistrationInvalid(
            {
                "document": f"Já existe a ficha “{existing.name}” com este CPF/CNPJ: "
                "abra-a em vez de cadastrar de novo."
            }
        )
    try:
        with transaction.atomic():
            ficha = Ficha.objects.create(**values, created_at=clock.now())
            onboarding_start(ficha, registered_by=actor)
    except IntegrityError:  # the same CPF/CNPJ registered at the same instant
        raise RegistrationInvalid(
            {"document": "Outra ficha acabou de ser cadastrada com este CPF/CNPJ."}
        ) from None
    ficha_detect_duplicates(ficha, source=DuplicateCase.Source.REGISTRATION)
    return ficha, live_cases_of(ficha)


# S1: holder CPF/CNPJ, holder name, administrator e-mail and OAB change only with the holder's
# validation (`data_change_propose`, then `data_change_decide`); the phone and the
# address are edited directly.
DIRECT_EDIT_FIELDS = ("phone", *ADDRESS_FIELDS)


def ficha_edit(ficha: Ficha, data: dict, *, actor) -> tuple[Ficha, list]:
    """Edit the ficha's phone and address (the fields present in `data`) under its row lock
    (a merged ficha is frozen); every problem is refused at once, on its field, and nothing
    is saved. A new phone is compared with the base again once saved (G7); the address is no
    key. Sensitive data is refused here: it goes through S1."""
    if not has_role(actor, AGENT, SELLER, SUPPORT, CENTRAL, MANAGER):
        raise TransitionRefused("Seu perfil não edita fichas.", "G7")
    sensitive = [
        f
        for f in EDITABLE_FIELDS
        if f not in DIRECT_EDIT_FIELDS
        and f in data
        and (data[f] or "").strip() != getattr(ficha, f)
    ]
    if sensitive:
        labels = ", ".join(str(Ficha._meta.get_field(f).verbose_name) for f in sensitive)
        raise TransitionRefused(
            f"{labels}: dado sensível, só muda com a validação do titular (pela ficha).", "S1"
        )
    values, errors = clean_address(data)
    if "phone" in data:
        try:  # E.164; a number that cannot exist refused
            values["phone"] = normalize_phone(data["phone"])
        except ValidationError as error:
            errors["phone"] = error.messages[0]
    if errors:
        raise RegistrationInvalid(errors)
    with transaction.atomic():
        row = Ficha.objects.select_for_update().get(pk=ficha.pk)
        if row.status == Ficha.Status.MERGED:
            raise TransitionRefused(
                "Esta ficha foi unificada em outra: edite a ficha mantida.", "G7"
            )
        # the same valid number typed another way (or stored before E.164) is saved in E.164
        # but is no new key: nothing to compare
        changed = set()
        if "phone" in values:
            key = NORMALIZERS["phone"](values["phone"])
            if row.phone != values["phone"] and not (
                key and key == NORMALIZERS["phone"](row.phone)
            ):
                changed.add("phone")
        updated = [name for name, value in values.items() if getattr(row, name) != value]
        for name in updated:
            setattr(row, name, values[name])
        if updated:
            row.save(update_fields=updated)
    ficha.refresh_from_db()
    ficha_keys_update(ficha, changed=changed)
    return ficha, live_cases_of(ficha)


def data_change_decide(change: DataChangeRequest, *, confirm: bool) -> DataChangeRequest:
    """S1 + G7: the holder's answer to a third party's change (the sales domain's
    `data_change_record_answer`). A confirmed change of a compared field (CPF/CNPJ, e-mail, OAB) is
    compared with the base once applied; a confirmed new name refreshes the name search."""
    change = data_change_record_answer(change, confirm=confirm)
    if change.state == DataChangeRequest.State.CONFIRMED:
        ficha = Ficha.objects.get(pk=change.ficha_id)
        ficha_keys_update(ficha, changed={change.field})
    return change

"""S1: a third party's change of sensitive data waits for the holder's signed link."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse

from . import clock, timers
from .engine import transition
from .models import (
    DataChangeRequest,
    Ficha,
)
from .refusals import TransitionRefused
from .roles import ATTENDANTS, has_role
from .validators import (
    format_document,
    is_placeholder,
    normalize_document,
    only_digits,
)

HOLDER_LINK_SALT = "workflows.s1.holder"

HOLDER_LINK_HOURS = 72
SUPERSEDED = (
    "Este pedido foi substituído por um pedido mais novo de alteração do mesmo dado: nada foi "
    "alterado por ele. Use o link do e-mail mais recente."
)
DOCUMENT_TAKEN = (
    "Outra ficha já tem este CPF/CNPJ: a alteração não pode ser feita assim. Fale com o "
    "atendimento, que verifica se as fichas são do mesmo cliente."
)


def _clean_sensitive(field: str, value: str) -> str:
    value = (value or "").strip()
    try:
        if field == "document":  # CPF or CNPJ, alphanumeric CNPJ included (python-stdnum)
            return normalize_document(value)
        if field == "email":
            validate_email(value)
            return value.lower()
    except ValidationError as error:
        raise TransitionRefused(error.messages[0], "S1") from None
    if field == "oab" and len(only_digits(value)) < 3:
        raise TransitionRefused("Informe a OAB com número e UF (ex.: SP 123.456).", "S1")
    if is_placeholder(value):
        raise TransitionRefused("Informe o novo valor.", "S1")
    return value


def data_change_propose(ficha: Ficha, *, field: str, new_value: str, actor, third_party: str):
    """S1: a third party's change of data that shifts responsibility waits for the holder, who
    gets a signed link that expires in 72 h; nothing on the ficha changes until then."""
    if field not in DataChangeRequest.SENSITIVE_FIELDS:
        raise TransitionRefused("Escolha qual dado sensível o terceiro quer alterar.", "S1")
    if is_placeholder(third_party):
        raise TransitionRefused("Informe quem (o terceiro) pediu a alteração.", "S1")
    if not has_role(actor, *ATTENDANTS):
        raise TransitionRefused("Seu perfil não permite registrar alterações.", "S1")
    if not ficha.email:
        raise TransitionRefused(
            "A ficha não tem e-mail do titular para validar: a alteração precisa ser feita "
            "com o titular.",
            "S1",
        )
    new_value = _clean_sensitive(field, new_value)
    now = clock.now()
    with transaction.atomic():
        # Lock order: the ficha, then its changes (as the holder's answer): a newer change of
        # the same field and a confirmation of the older one queue up on the ficha.
        ficha = Ficha.objects.select_for_update().get(pk=ficha.pk)
        old_value = getattr(ficha, field)
        if new_value == old_value:
            raise TransitionRefused("O valor proposto é igual ao atual.", "S1")
        if field == "document" and _document_taken(ficha, new_value):
            raise TransitionRefused(DOCUMENT_TAKEN, "S1", "G7")
        change = DataChangeRequest.objects.create(
            ficha=ficha,
            field=field,
            old_value=old_value,
            new_value=new_value,
            proposed_by=actor,
            third_party=third_party.strip(),
            sent_to=ficha.email,
            created_at=now,
            expires_at=now + dt.timedelta(hours=HOLDER_LINK_HOURS),
        )
        older = DataChangeRequest.objects.filter(
            ficha=ficha, field=field, state=DataChangeRequest.State.PENDING
        ).exclude(pk=change.pk)
        for previous in older:
            data_change_supersede(previous, by=change)
        timers.arm(change, "expiry", change.expires_at, "workflows.third_party.expire_data_change")
        transaction.on_commit(lambda: _mail_holder(change))
    return change


def data_change_supersede(change: DataChangeRequest, *, by: DataChangeRequest) -> None:
    """S1: a newer pending change of the same field replaces `change`: it ends superseded, with
    the newer one named, so the holder's older link can no longer confirm it."""
    transition(
        change,
        "supersede",
        actor=None,
        reason=f"substituída pelo pedido #{by.pk}, mais novo, do mesmo dado",
    )
    DataChangeRequest.objects.filter(pk=change.pk).update(superseded_by=by)
    timers.disarm(change, "expiry")


def _document_taken(ficha: Ficha, document: str) -> bool:
    return Ficha.objects.filter(document=document).exclude(pk=ficha.pk).exists()


def holder_token(change: DataChangeRequest) -> str:
    return signing.dumps(change.pk, salt=HOLDER_LINK_SALT)


def change_from_token(token: str) -> DataChangeRequest:
    """The request a holder's link points to, or TransitionRefused if forged or too old."""
    try:
        pk = signing.loads(token, salt=HOLDER_LINK_SALT, max_age=HOLDER_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise TransitionRefused("Este link expirou. Peça um novo ao atendimento.", "S1") from None
    except signing.BadSignature:
        raise TransitionRefused("Link inválido.", "S1") from None
    change = DataChangeRequest.objects.filter(pk=pk).select_related("ficha").first()
    if change is None:
        raise TransitionRefused("Link inválido.", "S1")
    if change.superseded:
        raise TransitionRefused(SUPERSEDED, "S1")
    return change


def _shown(change: DataChangeRequest, value: str) -> str:
    """A value as the holder knows it: a CPF/CNPJ with its punctuation."""
    return format_document(value) if change.field == "document" and value else value


def _mail_holder(change: DataChangeRequest) -> None:
    url = settings.SITE_URL + reverse("holder_validation", args=[holder_token(change)])
    old, new = _shown(change, change.old_value), _shown(change, change.new_value)
    send_mail(
        "Confirme a alteração dos seus dados",
        f"Olá, {change.ficha.name}.\n\n{change.third_party} pediu para alterar "
        f"{change.get_field_display()} de “{old}” para “{new}”.\n"
        f"Só fazemos a alteração com a sua confirmação. Confirme ou recuse em até "
        f"{HOLDER_LINK_HOURS} horas:\n{url}\n\nSe você não reconhece este pedido, recuse.",
        None,
        [change.sent_to],
    )


def data_change_record_answer(change: DataChangeRequest, *, confirm: bool) -> DataChangeRequest:
    """S1: the holder's answer; confirming applies the change to the ficha. A change a newer
    one superseded, or a CPF/CNPJ another ficha has meanwhile, is refused and writes nothing."""
    with transaction.atomic():
        ficha = Ficha.objects.select_for_update().get(pk=change.ficha_id)
        change = DataChangeRequest.objects.get(pk=change.pk)
        if change.superseded:
            raise TransitionRefused(SUPERSEDED, "S1")
        if change_expired(change):
            raise TransitionRefused("Este pedido expirou. Peça um novo ao atendimento.", "S1")
        if confirm and change.field == "document" and _document_taken(ficha, change.new_value):
            raise TransitionRefused(DOCUMENT_TAKEN, "S1", "G7")
        event = "confirm" if confirm else "reject"
        change = transition(change, event, actor=None, reason="resposta do titular pelo link")
        if confirm:
            setattr(ficha, change.field, change.new_value)
            try:
                with transaction.atomic():
                    ficha.save(update_fields=[change.field])
            except IntegrityError:  # a unique value taken since the check above
                raise TransitionRefused(DOCUMENT_TAKEN, "S1", "G7") from None
        timers.disarm(change, "expiry")
    return change


def change_expired(change: DataChangeRequest) -> bool:
    return change.expires_at <= clock.now()


# S1 timer handler: the holder did not confirm the change in time.
expire_data_change = timers.event_handler("expire", "titular não respondeu em 72 horas")

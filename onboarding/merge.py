"""G7: the lossless merge of two fichas the client confirmed are one, chosen field by field
on the side-by-side page. Detection runs again on the kept ficha once the merge commits."""

from collections import defaultdict

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from workflows import clock
from workflows.engine import transition
from workflows.models import Agendamento, AgendamentoKind, Ficha
from workflows.refusals import TransitionRefused

from .duplicates import ficha_detect_duplicates, require_central
from .models import DuplicateCase, MergeRecord, TrainingBooking

# The address is chosen whole, from one ficha or the other (a street of one with the CEP of
# the other is no address): one choice, `choices["address"]`, decides all its fields, and the
# merge record keeps each field's values from both fichas.
ADDRESS_GROUP = "address"
ADDRESS_FIELDS = Ficha.ADDRESS_FIELDS

# Fields of the ficha chosen on the side-by-side page (the CPF/CNPJ identifies the ficha:
# to keep the other document, keep the other ficha).
MERGE_FIELDS = (
    "name",
    "email",
    "phone",
    "oab",
    *ADDRESS_FIELDS,
    "lawyers",
    "states",
    "beneficiaries",
    "seller_of_record",
)


def conflicting_fields(kept: Ficha, discarded: Ficha) -> list[str]:
    return [f for f in MERGE_FIELDS if _field_value(kept, f) != _field_value(discarded, f)]


def choice_key(name: str) -> str:
    """The choice that decides a field: its own, or the address's for an address field."""
    return ADDRESS_GROUP if name in ADDRESS_FIELDS else name


def choice_label(name: str) -> str:
    """What the refusal of a missing choice names: the field, or "endereço" for the address."""
    if name in ADDRESS_FIELDS:
        return "endereço"
    return str(Ficha._meta.get_field(name).verbose_name)


def _field_value(ficha: Ficha, name: str):
    field = Ficha._meta.get_field(name)
    return getattr(ficha, field.attname)


def _jsonable(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _keeps_in_place(model, field_name: str) -> bool:
    return field_name in getattr(model, "merge_keeps_in_place", ())


def _label(model) -> str:
    return model._meta.label


def move_relations(kept: Ficha, discarded: Ficha) -> tuple[dict, dict, list]:
    """G7: re-point EVERY row that refers to `discarded` to `kept`, generically: every
    foreign key to Ficha in any installed app (movimentações, agendamentos, boletos, sales,
    onboarding rows, fichas merged earlier...), reverse many-to-many links (added, never
    removed), the `products` union, and generic rows (audit trail, overrides, timers) with
    the Ficha content type. Returns (moved ids per model, rows left in place, products added).
    Nothing is deleted. Fields a model lists in `merge_keeps_in_place` describe history
    (e.g. a case's two fichas) and stay."""
    moved: dict[str, list] = {}
    left: dict[str, list] = {}
    for field in Ficha._meta.get_fields(include_hidden=True):
        if not field.is_relation or not field.auto_created or field.concrete:
            continue  # only reverse relations: rows of other models pointing at a ficha
        model, remote = field.related_model, field.remote_field
        if model._meta.auto_created or _keeps_in_place(model, remote.name):
            continue  # many-to-many link tables are handled with their relation below
        if field.many_to_many:
            through = remote.remote_field.through
            src = through._meta.get_field(remote.m2m_field_name()).attname
            dst = through._meta.get_field(remote.m2m_reverse_field_name()).attname
            added = []
            for owner_id in through.objects.filter(**{dst: discarded.pk}).values_list(
                src, flat=True
            ):
                _, created = through.objects.get_or_create(**{src: owner_id, dst: kept.pk})
                if created:
                    added.append(owner_id)
            if added:  # links are added to the kept ficha, never removed from the other
                moved[f"{_label(model)}.{remote.name}"] = added
            continue
        qs = model._base_manager.filter(**{remote.name: discarded})
        ids = list(qs.values_list("pk", flat=True))
        if not ids:
            continue
        if field.one_to_one and model._base_manager.filter(**{remote.name: kept}).exists():
            left[f"{_label(model)}.{remote.name}"] = ids  # the kept ficha already has one
            continue
        model._base_manager.filter(pk__in=ids).update(**{remote.name: kept})
        moved[f"{_label(model)}.{remote.name}"] = ids
    _move_generic_rows(kept, discarded, moved)
    products_added = sorted(
        set(discarded.products.values_list("pk", flat=True))
        - set(kept.products.values_list("pk", flat=True))
    )
    kept.products.add(*products_added)
    return moved, left, products_added


def _move_generic_rows(kept: Ficha, discarded: Ficha, moved: dict) -> None:
    """Rows attached by content type + object id (AuditEntry, Override, Timer, and any other
    model with a GenericForeignKey) follow the ficha. A timer key the kept ficha already uses
    gets a `@ficha<pk>` suffix so both survive (unique per row and key)."""
    ficha_ct = ContentType.objects.get_for_model(Ficha)
    for model in apps.get_models():
        for gfk in model._meta.private_fields:
            if not isinstance(gfk, GenericForeignKey):
                continue
            base = {gfk.ct_field: ficha_ct, gfk.fk_field: str(discarded.pk)}
            ids = list(model._base_manager.filter(**base).values_list("pk", flat=True))
            if not ids:
                continue
            if model._meta.label == "workflows.Timer":
                used = set(
                    model._base_manager.filter(
                        **{gfk.ct_field: ficha_ct, gfk.fk_field: str(kept.pk)}
                    ).values_list("key", flat=True)
                )
                for timer in model._base_manager.filter(pk__in=ids, key__in=used):
                    timer.key = f"{timer.key}@ficha{discarded.pk}"[:40]
                    timer.save(update_fields=["key"])
            model._base_manager.filter(pk__in=ids).update(**{gfk.fk_field: str(kept.pk)})
            moved[f"{_label(model)}.{gfk.name}"] = ids


def duplicate_case_merge(
    case: DuplicateCase, *, actor, choices: dict[str, str], reason: str = ""
) -> MergeRecord:
    """G7: the lossless merge, in ONE transaction. Locks both fichas in pk order, then the
    case (no deadlock between two merges touching the same fichas), moves every related row
    of the discarded ficha to the kept one, applies the field choices made on the side-by-side
    page (`choices[field]` is "kept" or "discarded" for every conflicting field; one
    `choices["address"]` for the whole address), closes the
    discarded ficha as merged (FichaFlow `merge`, central/manager only) and records it all in
    a MergeRecord. Nothing is deleted. Once the merge commits, detection runs again on the
    kept ficha (it may now share a key with a ficha of the cases this merge superseded); not
    before: opening a case locks the matched ficha's key, and that ficha may be locked by
    another merge waiting for ours."""
    require_central(actor)
    with transaction.atomic():
        # Lock order: fichas (pk order), then cases. Besides the pair, the fichas of the other
        # live cases of the pair are locked too: closing those cases re-checks their foreign
        # keys (PostgreSQL), so two merges of overlapping cases queue up on the first ficha
        # instead of deadlocking.
        pair_ids = {case.ficha_a_id, case.ficha_b_id}
        lock_ids = set(pair_ids)
        for ids in DuplicateCase.objects.filter(
            Q(ficha_a__in=pair_ids) | Q(ficha_b__in=pair_ids), state__in=DuplicateCase.LIVE
        ).values_list("ficha_a_id", "ficha_b_id"):
            lock_ids.update(ids)
        fichas = {
            f.pk: f
            for f in Ficha.objects.select_for_update().filter(pk__in=lock_ids).order_by("pk")
        }
        case = DuplicateCase.objects.select_for_update().get(pk=case.pk)
        if case.state != DuplicateCase.State.KEPT_CHOSEN:
            raise TransitionRefused(
                f"O caso está “{case.get_state_display()}”: informe o cliente e registre qual "
                "ficha ele quer manter antes de unificar.",
                "G7",
            )
        kept = fichas[case.kept_id]
        discarded = fichas[case.ficha_b_id if case.kept_id == case.ficha_a_id else case.ficha_a_id]
        if Ficha.Status.MERGED in (kept.status, discarded.status):
            raise TransitionRefused("Uma das fichas já foi unificada em outro caso.", "G7")
        live_bookings = TrainingBooking.objects.filter(state=TrainingBooking.State.BOOKED)
        if all(live_bookings.filter(ficha=f).exists() for f in (kept, discarded)):
            raise TransitionRefused(
                "As duas fichas têm treinamento agendado e um cliente tem um só: cancele um "
                "dos treinamentos antes de unificar.",
                "G5",
                "G7",
            )
        field_log = {}
        for name in conflicting_fields(kept, discarded):
            choice = choices.get(choice_key(name))
            if choice not in ("kept", "discarded"):
                raise TransitionRefused(
                    f"Escolha qual valor manter em “{choice_label(name)}”.", "G7"
                )
            before = _field_value(kept, name)
            after = before if choice == "kept" else _field_value(discarded, name)
            field_log[name] = {
                "kept_before": _jsonable(before),
                "discarded": _jsonable(_field_value(discarded, name)),
                "after": _jsonable(after),
                "choice": choice,
            }
        moved, left, products_added = move_relations(kept, discarded)
        text = reason.strip() or f"unificada na ficha {kept.pk} a pedido do cliente"
        transition(discarded, "merge", actor=actor, reason=text, into=kept)
        kept = Ficha.objects.get(pk=kept.pk)
        for name, entry in field_log.items():
            setattr(kept, Ficha._meta.get_field(name).attname, entry["after"])
        if field_log:
            kept.save(update_fields=list(field_log))
        record = MergeRecord.objects.create(
            case=case,
            kept=kept,
            discarded=discarded,
            actor=actor,
            at=clock.now(),
            moved=moved,
            left_in_place=left,
            products_added=products_added,
            fields=field_log,
            warnings=_reservation_clashes(kept),
        )
        transition(case, "merge", actor=actor, reason=text)
        _supersede_other_cases(discarded, case)
        transaction.on_commit(lambda: _detect_on_kept(kept.pk))
    return record


def _detect_on_kept(pk: int) -> None:
    kept = Ficha.objects.filter(pk=pk).first()
    if kept is not None:
        ficha_detect_duplicates(kept, source=DuplicateCase.Source.EDIT)


def _reservation_clashes(kept: Ficha) -> list[str]:
    """S2 after a merge: each ficha may have brought a live `com contato` agendamento about
    the same product, owned by different attendants. Both are kept (nothing is lost); the
    clash is written on the record for a manager to settle (M1: reassign or cancel)."""
    owners = defaultdict(set)
    live = kept.agendamentos.filter(
        state__in=Agendamento.LIVE, kind=AgendamentoKind.SALE_WITH_CONTACT
    ).select_related("owner", "product")
    for ag in live:
        owners[ag.product].add(ag.owner.get_full_name() or ag.owner.username)
    return [
        f"Dois agendamentos com contato sobre {product} ({', '.join(sorted(names))}): "
        "o gestor decide quem fica com o cliente (S2, M1)."
        for product, names in owners.items()
        if len(names) > 1
    ]


def _supersede_other_cases(discarded: Ficha, merged_case: DuplicateCase) -> None:
    """Other live cases of the merged ficha are closed; detection runs again on the kept
    ficha after the commit, so any remaining duplicate shows up as a case of its own."""
    others = DuplicateCase.objects.filter(
        Q(ficha_a=discarded) | Q(ficha_b=discarded), state__in=DuplicateCase.LIVE
    ).exclude(pk=merged_case.pk)
    for other in others:
        transition(
            other,
            "supersede",
            actor=None,
            reason=f"ficha {discarded.pk} unificada no caso #{merged_case.pk}",
        )

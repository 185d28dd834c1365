"""New registrations (G7): duplicate detection, the central team's cases and the lossless merge.

Views call these; every refusal is a `TransitionRefused` with a pt-BR message and rule IDs.
"""

import datetime as dt
from collections import defaultdict

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from workflows import clock, timers
from workflows.engine import TransitionRefused, transition
from workflows.models import Agendamento, AgendamentoKind, Ficha, Movimentacao
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from workflows.services import (
    conclude_agendamento,
    create_orcamento,
    log_movimentacao,
    open_agendamento,
)
from workflows.validators import is_placeholder, normalize_document

from .keys import NORMALIZERS, keys_of, name_words
from .models import (
    DuplicateCase,
    FichaKeys,
    MergeRecord,
    NameWord,
    Onboarding,
    OnboardingStep,
    TrainingBooking,
    TrainingSlot,
    UpsellAnswer,
)
from .signals import detection_after_commit

CENTRAL_TEAM = (CENTRAL, MANAGER)

# --- G7: duplicate detection -----------------------------------------------------------------


def refresh_keys(ficha: Ficha) -> FichaKeys:
    """Store the normalised keys and the name's search words of `ficha` (on every save)."""
    keys, _ = FichaKeys.objects.update_or_create(ficha=ficha, defaults=keys_of(vars(ficha)))
    words = name_words(ficha.name)
    stored = set(NameWord.objects.filter(ficha=ficha).values_list("word", flat=True))
    if words != stored:
        NameWord.objects.filter(ficha=ficha).exclude(word__in=words).delete()
        NameWord.objects.bulk_create([NameWord(ficha=ficha, word=w) for w in words - stored])
    return keys


def _pair(x: int, y: int) -> tuple[int, int]:
    return (x, y) if x < y else (y, x)


def open_case(ficha_a_id: int, ficha_b_id: int, matched: list[str], source: str):
    """G7: idempotent — one case per pair; a live case learns new matching keys, a closed one
    (dismissed or merged) is never reopened. Returns (case, created)."""
    a, b = _pair(ficha_a_id, ficha_b_id)
    defaults = {"matched_keys": sorted(matched), "source": source, "detected_at": clock.now()}
    try:
        with transaction.atomic():
            case, created = DuplicateCase.objects.get_or_create(
                ficha_a_id=a, ficha_b_id=b, defaults=defaults
            )
    except IntegrityError:  # a concurrent detection created it first
        case, created = DuplicateCase.objects.get(ficha_a_id=a, ficha_b_id=b), False
    if not created and case.is_live and not set(matched) <= set(case.matched_keys):
        keys = sorted(set(case.matched_keys) | set(matched))
        DuplicateCase.objects.filter(pk=case.pk).update(matched_keys=keys)
        case.matched_keys = keys
    return case, created


# G7 reading: a value shared by more fichas than this (an office switchboard, a firm's
# generic e-mail) says "same office", not "same client": it opens no cases, and the scan
# reports it. It also keeps the work linear on a large base.
MAX_SHARED_KEY = 20


def detect_duplicates(ficha: Ficha, *, source: str = DuplicateCase.Source.EDIT):
    """G7: on create and on edit, compare the ficha's normalised keys (CPF/CNPJ, e-mail,
    phone, OAB) with every other ficha not already merged; each match becomes a case in the
    central team's queue. Returns the cases that involve this ficha and are still open."""
    keys = refresh_keys(ficha)
    if ficha.status == Ficha.Status.MERGED:
        return []
    others = FichaKeys.objects.exclude(ficha_id=ficha.pk).exclude(ficha__status=Ficha.Status.MERGED)
    matched: dict[int, list[str]] = defaultdict(list)
    for name in NORMALIZERS:
        value = getattr(keys, name)
        if not value:
            continue
        ids = list(
            others.filter(**{name: value})
            .order_by("ficha_id")
            .values_list("ficha_id", flat=True)[: MAX_SHARED_KEY + 1]
        )
        if len(ids) > MAX_SHARED_KEY:
            continue  # a shared contact, not a duplicate
        for other_id in ids:
            matched[other_id].append(name)
    cases = []
    for other_id, names in matched.items():
        case, _ = open_case(ficha.pk, other_id, names, source)
        if case.is_live:
            cases.append(case)
    return cases


def scan_duplicates(*, progress=None, every: int = 1000) -> dict:
    """G7: scan the whole base. One pass over `values_list` computes every ficha's keys in
    Python and groups fichas by key (no query per ficha or pair); the keys table is refreshed
    in bulk. In each group every ficha gets a case with the oldest one (idempotent; a merge
    re-runs detection on the kept ficha, so the rest of a group follows). Values shared by
    more than MAX_SHARED_KEY fichas are reported, not queued. `progress(done, total)` is
    called every `every` fichas. Returns a summary."""
    fields = ("pk", "status", "name", *NORMALIZERS)
    rows = Ficha.objects.order_by("pk").values_list(*fields)
    total = rows.count()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    existing = {k.ficha_id: k for k in FichaKeys.objects.all()}
    to_create, to_update, words = [], [], []
    done = 0
    for pk, status, name, *raw in rows.iterator(chunk_size=2000):
        keys = keys_of(dict(zip(NORMALIZERS, raw, strict=True)))
        row = existing.get(pk)
        if row is None:  # imported in bulk (no save signal): its name words are missing too
            to_create.append(FichaKeys(ficha_id=pk, **keys))
            words += [NameWord(ficha_id=pk, word=w) for w in name_words(name)]
        elif any(getattr(row, n) != v for n, v in keys.items()):
            for n, v in keys.items():
                setattr(row, n, v)
            to_update.append(row)
        if status != Ficha.Status.MERGED:
            for name, value in keys.items():
                if value:
                    groups[(name, value)].append(pk)
        done += 1
        if progress and done % every == 0:
            progress(done, total)
    FichaKeys.objects.bulk_create(to_create, batch_size=1000)
    NameWord.objects.bulk_create(words, batch_size=1000, ignore_conflicts=True)
    FichaKeys.objects.bulk_update(to_update, list(NORMALIZERS), batch_size=1000)
    pairs: dict[tuple[int, int], set[str]] = defaultdict(set)
    shared = []
    for (name, value), pks in groups.items():
        if len(pks) > MAX_SHARED_KEY + 1:
            shared.append((name, value, len(pks)))
            continue
        oldest, *rest = pks  # rows came in pk order
        for other in rest:
            pairs[(oldest, other)].add(name)
    created = 0
    for (a, b), matched in sorted(pairs.items()):
        _, was_created = open_case(a, b, sorted(matched), DuplicateCase.Source.SCAN)
        created += was_created
    if progress and done % every:
        progress(done, total)
    return {
        "fichas": total,
        "pairs": len(pairs),
        "created": created,
        "shared": sorted(shared, key=lambda s: -s[2]),
    }


# --- G7: registration -------------------------------------------------------------------------

EDITABLE_FIELDS = ("name", "document", "email", "phone", "oab")


def _clean_registration(data: dict) -> dict:
    errors = {}
    values = {f: (data.get(f) or "").strip() for f in EDITABLE_FIELDS}
    if len(values["name"]) < 3:
        errors["name"] = "Informe o nome do titular."
    try:
        values["document"] = normalize_document(values["document"])
    except ValidationError as error:
        errors["document"] = error.messages[0]
    if values["email"]:
        if not NORMALIZERS["email"](values["email"]):
            errors["email"] = "E-mail inválido."
        values["email"] = values["email"].lower()
    if values["phone"] and not NORMALIZERS["phone"](values["phone"]):
        errors["phone"] = "Telefone inválido: informe DDD e número, ex.: (11) 98765-1234."
    if values["oab"] and not NORMALIZERS["oab"](values["oab"]):
        errors["oab"] = "OAB inválida: informe UF e número, ex.: SP 123.456."
    if errors:
        raise RegistrationInvalid(errors)
    return values


class RegistrationInvalid(TransitionRefused):
    """Bad registration input: one pt-BR message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Corrija os campos indicados.", "G7")
        self.errors = errors


def register_ficha(data: dict, *, actor):
    """G7: a new registration. The ficha is created (the post_save receiver starts its
    onboarding and runs duplicate detection); suspected duplicates go to the central team's
    queue, not to the creating agent. Returns (ficha, open duplicate cases)."""
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
            ficha = Ficha(**values, created_at=clock.now())
            ficha._registered_by = actor  # read by the post_save receiver (onboarding)
            ficha.save()
    except IntegrityError:  # the same CPF/CNPJ registered at the same instant
        raise RegistrationInvalid(
            {"document": "Outra ficha acabou de ser cadastrada com este CPF/CNPJ."}
        ) from None
    return ficha, live_cases_of(ficha)


# S1: holder CPF/CNPJ, holder name, administrator e-mail and OAB change only with the holder's
# validation (the sales domain's `propose_sensitive_change`); the phone is edited directly.
DIRECT_EDIT_FIELDS = ("phone",)


def edit_ficha(ficha: Ficha, data: dict, *, actor) -> tuple[Ficha, list]:
    """Edit the ficha's phone under its row lock (a merged ficha is frozen); detection runs
    again on save (G7). Sensitive data is refused here: it goes through S1."""
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
    phone = (data.get("phone") or "").strip()
    if phone and not NORMALIZERS["phone"](phone):
        raise RegistrationInvalid(
            {"phone": "Telefone inválido: informe DDD e número, ex.: (11) 98765-1234."}
        )
    with transaction.atomic():
        row = Ficha.objects.select_for_update().get(pk=ficha.pk)
        if row.status == Ficha.Status.MERGED:
            raise TransitionRefused(
                "Esta ficha foi unificada em outra: edite a ficha mantida.", "G7"
            )
        row.phone = phone
        row.save()
    ficha.refresh_from_db()
    return ficha, live_cases_of(ficha)


def live_cases_of(ficha: Ficha):
    return list(
        DuplicateCase.objects.filter(
            Q(ficha_a=ficha) | Q(ficha_b=ficha), state__in=DuplicateCase.LIVE
        )
    )


def central_queue():
    """G7: the central team's queue: live cases, oldest first."""
    return DuplicateCase.objects.filter(state__in=DuplicateCase.LIVE).select_related(
        "ficha_a", "ficha_b", "kept"
    )


# --- G7: the central flow -------------------------------------------------------------------


def _require_central(actor):
    if not has_role(actor, *CENTRAL_TEAM):
        raise TransitionRefused(
            "Só a central de cadastros (ou um gestor) trata cadastros duplicados.", "G7"
        )


def inform_client(
    case: DuplicateCase,
    *,
    actor,
    channel: str,
    outcome: str,
    text: str,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> DuplicateCase:
    """G7: tell the client about the duplicate (a movimentação on the newer ficha, G1/G3).
    A failed attempt is logged and the case stays open; a contact that reached the client
    moves it to “cliente informado”."""
    _require_central(actor)
    with transaction.atomic():
        mov = log_movimentacao(
            case.ficha_b,
            author=actor,
            channel=channel,
            reason=Movimentacao.Reason.REGISTRATION,
            outcome=outcome,
            text=text,
            bitrix_link=bitrix_link,
            boleto_alert_given=boleto_alert_given,
            starts_tratativa=True,
        )
        if outcome != Movimentacao.Outcome.NO_ANSWER:
            case = transition(
                case,
                "inform_client",
                actor=actor,
                reason=f"cliente informado da duplicidade: {text.strip()}",
                movimentacao=mov,
            )
    return case


def choose_kept(case: DuplicateCase, *, actor, kept: Ficha, answer: str) -> DuplicateCase:
    """G7: record which ficha the client wants to keep, with the client's answer."""
    _require_central(actor)
    return transition(case, "choose_kept", actor=actor, reason=answer, kept=kept)


def dismiss_case(case: DuplicateCase, *, actor, reason: str) -> DuplicateCase:
    """G7: not a duplicate (e.g. two lawyers of one office sharing the office phone)."""
    _require_central(actor)
    return transition(case, "dismiss", actor=actor, reason=reason)


# Fields of the ficha chosen on the side-by-side page (the CPF/CNPJ identifies the ficha:
# to keep the other document, keep the other ficha).
MERGE_FIELDS = (
    "name",
    "email",
    "phone",
    "oab",
    "lawyers",
    "states",
    "beneficiaries",
    "seller_of_record",
)


def conflicting_fields(kept: Ficha, discarded: Ficha) -> list[str]:
    return [f for f in MERGE_FIELDS if _field_value(kept, f) != _field_value(discarded, f)]


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


def merge_case(
    case: DuplicateCase, *, actor, choices: dict[str, str], reason: str = ""
) -> MergeRecord:
    """G7: the lossless merge, in ONE transaction. Locks both fichas in pk order, then the
    case (no deadlock between two merges touching the same fichas), moves every related row
    of the discarded ficha to the kept one, applies the field choices made on the side-by-side
    page (`choices[field]` is "kept" or "discarded" for every conflicting field), closes the
    discarded ficha as merged (FichaFlow `merge`, central/manager only) and records it all in
    a MergeRecord. Nothing is deleted."""
    _require_central(actor)
    with transaction.atomic(), detection_after_commit():
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
        field_log = {}
        for name in conflicting_fields(kept, discarded):
            choice = choices.get(name)
            if choice not in ("kept", "discarded"):
                label = Ficha._meta.get_field(name).verbose_name
                raise TransitionRefused(f"Escolha qual valor manter em “{label}”.", "G7")
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
        kept.save()
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
    return record


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
    """Other live cases of the merged ficha are closed; detection already ran again on the
    kept ficha when it was saved, so any remaining duplicate shows up as a case of its own."""
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


# --- G7: the onboarding checklist ------------------------------------------------------------

Kind = OnboardingStep.Kind
MANUAL_STEPS = (Kind.INTIMACAO, Kind.PRESENTATION)


def start_onboarding(ficha: Ficha, *, registered_by=None) -> Onboarding:
    """G7: every new registration gets the checklist; idempotent (one per registration)."""
    onboarding, created = Onboarding.objects.get_or_create(
        origin=ficha,
        defaults={"ficha": ficha, "started_at": clock.now(), "registered_by": registered_by},
    )
    if created:
        OnboardingStep.objects.bulk_create(
            [OnboardingStep(onboarding=onboarding, kind=kind) for kind in OnboardingStep.ORDER]
        )
    return onboarding


def start_missing_onboardings(*, since=None, progress=None, every: int = 1000) -> int:
    """G7 for imports: fichas written in bulk (no signals) get their onboarding. Only fichas
    created on or after `since` (a date) unless it is None; merged fichas are skipped.
    Bulk inserts, a few queries per batch. Returns how many onboardings were started."""
    fichas = Ficha.objects.exclude(status=Ficha.Status.MERGED).exclude(
        pk__in=Onboarding.objects.values("origin_id")
    )
    if since is not None:
        fichas = fichas.filter(created_at__date__gte=since)
    pks = list(fichas.order_by("pk").values_list("pk", flat=True))
    started = 0
    for i in range(0, len(pks), every):
        batch = pks[i : i + every]
        with transaction.atomic():
            now = clock.now()
            Onboarding.objects.bulk_create(
                [Onboarding(ficha_id=pk, origin_id=pk, started_at=now) for pk in batch],
                ignore_conflicts=True,  # a concurrent save may have started one already
            )
            created = Onboarding.objects.filter(origin_id__in=batch, steps__isnull=True)
            OnboardingStep.objects.bulk_create(
                [
                    OnboardingStep(onboarding_id=o, kind=kind)
                    for o in created.values_list("pk", flat=True)
                    for kind in OnboardingStep.ORDER
                ]
            )
        started += len(batch)
        if progress:
            progress(started, len(pks))
    return started


def _step(onboarding: Onboarding, kind: str) -> OnboardingStep:
    return onboarding.steps.get(kind=kind)


def _require_attendant(actor):
    if not has_role(actor, AGENT, SELLER, SUPPORT, CENTRAL, MANAGER):
        raise TransitionRefused("Seu perfil não atende clientes.", "G7")


def _require_in_progress(onboarding: Onboarding):
    if onboarding.state != Onboarding.State.IN_PROGRESS:
        raise TransitionRefused("Este onboarding já foi concluído.", "G7")


def mark_step_done(onboarding: Onboarding, kind: str, *, actor, note: str) -> OnboardingStep:
    """G7: enable intimação / present the system: done with a note saying what was done."""
    if kind not in MANUAL_STEPS:
        raise TransitionRefused(
            "Esta etapa se conclui pelo seu próprio registro (ligação, treinamento, upsell).",
            "G7",
        )
    return transition(_step(onboarding, kind), "mark_done", actor=actor, reason=note)


def skip_step(onboarding: Onboarding, kind: str, *, actor, reason: str) -> OnboardingStep:
    """G7: a step may be skipped, only with a written reason."""
    return transition(_step(onboarding, kind), "skip", actor=actor, reason=reason)


def reopen_step(onboarding: Onboarding, kind: str, *, actor, reason: str) -> OnboardingStep:
    return transition(_step(onboarding, kind), "reopen", actor=actor, reason=reason)


def log_onboarding_call(
    onboarding: Onboarding,
    *,
    actor,
    product,
    channel: str,
    outcome: str,
    text: str,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
):
    """G7: each onboarding call attempt is a movimentação. The first attempt opens the
    `#onboarding 1º contato` agendamento (G6; it never reserves a sale, S2) through
    `open_agendamento`, which logs that attempt; later attempts are logged inside it. A call
    that reaches the client marks the step done and, if the caller owns the agendamento (or
    is a manager), concludes it (G2)."""
    _require_attendant(actor)
    _require_in_progress(onboarding)
    with transaction.atomic():
        onboarding = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
        step = _step(onboarding, Kind.CALL)
        if step.state != OnboardingStep.State.PENDING:
            raise TransitionRefused("A ligação de onboarding já está registrada.", "G7")
        ag = onboarding.call_agendamento
        if ag is None:
            ag = open_agendamento(
                onboarding.ficha,
                owner=actor,
                kind=AgendamentoKind.ONBOARDING,
                product=product,
                channel=channel,
                text=f"Ligação de onboarding: {text.strip()}" if not is_placeholder(text) else text,
                bitrix_link=bitrix_link,
                outcome=outcome,
                boleto_alert_given=boleto_alert_given,
            )
            Onboarding.objects.filter(pk=onboarding.pk).update(call_agendamento=ag)
            mov = ag.movimentacoes.get()
        else:
            mov = log_movimentacao(
                onboarding.ficha,
                author=actor,
                channel=channel,
                reason=Movimentacao.Reason.ONBOARDING,
                outcome=outcome,
                text=text,
                bitrix_link=bitrix_link,
                product=ag.product,
                agendamento=ag,
                boleto_alert_given=boleto_alert_given,
                starts_tratativa=False,
            )
        if outcome != Movimentacao.Outcome.NO_ANSWER:
            transition(step, "mark_done", actor=actor, reason=mov.text, evidence=mov)
            if ag.is_live and (ag.owner_id == actor.pk or has_role(actor, MANAGER)):
                conclude_agendamento(
                    ag,
                    actor=actor,
                    text="Concluindo agendamento: onboarding feito com o cliente.",
                    channel=channel,
                )
    onboarding.refresh_from_db()
    return mov


def answer_upsell(
    onboarding: Onboarding,
    *,
    actor,
    question: str,
    yes: bool,
    details: str = "",
    follow_up_product=None,
    open_orcamento: bool = False,
    channel: str = Movimentacao.Channel.PHONE,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> UpsellAnswer:
    """G7 upsell check: record each answer (more lawyers, more states, beneficiários). A yes
    is an opportunity: it needs details and may open a `#venda/tratativas com contato`
    agendamento (S2) about the product to offer and/or an orçamento (G8) whose demand is the
    answer. When all three are answered the step is done."""
    _require_attendant(actor)
    _require_in_progress(onboarding)
    if question not in UpsellAnswer.Question.values:
        raise TransitionRefused("Escolha a pergunta do upsell.", "G7")
    if yes and is_placeholder(details):
        raise TransitionRefused(
            "Descreva a oportunidade (quantos advogados, quais estados, quais beneficiários).",
            "G7",
        )
    label = UpsellAnswer.Question(question).label
    with transaction.atomic():
        onboarding = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
        follow_up = None
        if yes and follow_up_product is not None:
            follow_up = open_agendamento(
                onboarding.ficha,
                owner=actor,
                kind=AgendamentoKind.SALE_WITH_CONTACT,
                product=follow_up_product,
                channel=channel,
                text=f"Oportunidade no onboarding — {label} {details.strip()}",
                bitrix_link=bitrix_link,
                boleto_alert_given=boleto_alert_given,
            )
        orcamento = None
        if yes and open_orcamento:
            orcamento = create_orcamento(
                onboarding.ficha,
                author=actor,
                demand=f"Oportunidade no onboarding — {label} {details.strip()}",
            )
        answer = UpsellAnswer.objects.create(
            onboarding=onboarding,
            question=question,
            yes=yes,
            details=details.strip(),
            by=actor,
            at=clock.now(),
            follow_up=follow_up,
            orcamento=orcamento,
        )
        answered = set(onboarding.answers.values_list("question", flat=True))
        step = _step(onboarding, Kind.UPSELL)
        if answered >= set(UpsellAnswer.Question.values) and step.state == "pending":
            summary = "; ".join(
                f"{a.get_question_display()} {'sim' if a.yes else 'não'}"
                for a in latest_answers(onboarding).values()
            )
            transition(step, "mark_done", actor=actor, reason=summary, evidence=answered)
    return answer


def latest_answers(onboarding: Onboarding) -> dict[str, UpsellAnswer]:
    latest = {}
    for answer in onboarding.answers.order_by("at", "pk"):
        latest[answer.question] = answer
    return latest


def complete_onboarding(onboarding: Onboarding, *, actor) -> Onboarding:
    """G7: completion needs every step done or explicitly skipped with a reason."""
    return transition(onboarding, "complete", actor=actor, reason="checklist completo")


def onboarding_queue():
    """Onboardings in progress, oldest first, with how many steps are settled."""
    settled = Q(steps__state__in=[OnboardingStep.State.DONE, OnboardingStep.State.SKIPPED])
    return (
        Onboarding.objects.filter(state=Onboarding.State.IN_PROGRESS)
        .select_related("ficha")
        .annotate(done_count=Count("steps", filter=settled), step_count=Count("steps"))
        .order_by("started_at", "pk")
    )


# --- G5: training slots ---------------------------------------------------------------------

MAX_SLOT_CAPACITY = 50
REMINDER_HANDLER = "onboarding.services.send_training_reminder"
REMINDER_HOUR = 9  # the day before, at 9h (São Paulo)
BOOKERS = (AGENT, SELLER, CENTRAL, MANAGER)


def publish_slot(*, actor, date, shift: str, attendant, capacity) -> TrainingSlot:
    """G5: support publishes a slot (day, shift, attendant, capacity)."""
    if not has_role(actor, SUPPORT, MANAGER):
        raise TransitionRefused(
            "Só o suporte (ou um gestor) publica horários de treinamento.", "G5"
        )
    if date is None or date < clock.today():
        raise TransitionRefused("Escolha um dia a partir de hoje.", "G5")
    if shift not in TrainingSlot.Shift.values:
        raise TransitionRefused("Escolha o turno: manhã ou tarde.", "G5")
    if attendant is None or not has_role(attendant, SUPPORT):
        raise TransitionRefused("Escolha um atendente do suporte para o treinamento.", "G5")
    if capacity is None or not 1 <= int(capacity) <= MAX_SLOT_CAPACITY:
        raise TransitionRefused(f"Informe de 1 a {MAX_SLOT_CAPACITY} vagas.", "G5")
    try:
        with transaction.atomic():
            return TrainingSlot.objects.create(
                date=date,
                shift=shift,
                attendant=attendant,
                capacity=int(capacity),
                published_by=actor,
                published_at=clock.now(),
            )
    except IntegrityError:
        raise TransitionRefused(
            "Este atendente já tem um horário publicado neste dia e turno: altere as vagas "
            "dele em vez de publicar outro.",
            "G5",
        ) from None


def live_bookings(slot: TrainingSlot):
    return slot.bookings.filter(state=TrainingBooking.State.BOOKED)


def upcoming_slots():
    """Slots from today on, with how many seats are taken."""
    taken = Count("bookings", filter=Q(bookings__state=TrainingBooking.State.BOOKED))
    return (
        TrainingSlot.objects.filter(date__gte=clock.today())
        .select_related("attendant")
        .annotate(taken=taken)
        .order_by("date", "shift", "pk")
    )


def reminder_due(slot: TrainingSlot):
    """The day before the training, at 9h local time."""
    day_before = slot.date - dt.timedelta(days=1)
    moment = dt.datetime.combine(day_before, dt.time(REMINDER_HOUR))
    return timezone.make_aware(moment)


def book_training(
    slot: TrainingSlot,
    ficha: Ficha,
    *,
    actor,
    channel: str,
    text: str,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
    _rebooking: "TrainingBooking | None" = None,
) -> TrainingBooking:
    """G5: sales books a client into a slot. The slot row is locked, so two bookings at the
    same instant cannot both take the last seat; the booking is a movimentação (reason
    `training`, G1/G3/G4); a timer reminds client and attendant the day before; the
    onboarding's training step is done (G7)."""
    if not has_role(actor, *BOOKERS):
        raise TransitionRefused(
            "Só o comercial e a central agendam clientes em treinamentos.", "G5"
        )
    if ficha.status == Ficha.Status.MERGED:
        raise TransitionRefused("Esta ficha foi unificada em outra: use a ficha mantida.", "G7")
    with transaction.atomic():
        slot = TrainingSlot.objects.select_for_update().select_related("attendant").get(pk=slot.pk)
        if slot.date < clock.today():
            raise TransitionRefused("Este horário já passou: escolha outro.", "G5")
        if live_bookings(slot).count() >= slot.capacity:
            raise TransitionRefused(
                "Não há mais vagas neste horário: escolha outro dia ou turno.", "G5"
            )
        other = TrainingBooking.objects.filter(ficha=ficha, state=TrainingBooking.State.BOOKED)
        if _rebooking is not None:
            other = other.exclude(pk=_rebooking.pk)
        if other.exists():
            raise TransitionRefused(
                "Este cliente já tem um treinamento agendado: remarque-o em vez de agendar outro.",
                "G5",
            )
        who = slot.attendant.get_full_name() or slot.attendant.username
        summary = (
            f"Treinamento agendado para {slot.date:%d/%m/%Y}, {slot.get_shift_display().lower()} "
            f"({slot.hours}), com {who}"
        )
        mov = log_movimentacao(
            ficha,
            author=actor,
            channel=channel,
            reason=Movimentacao.Reason.TRAINING,
            outcome=Movimentacao.Outcome.TALKED,
            text=f"{summary}: {text.strip()}" if not is_placeholder(text) else text,
            bitrix_link=bitrix_link,
            boleto_alert_given=boleto_alert_given,
        )
        booking = TrainingBooking.objects.create(
            slot=slot, ficha=ficha, booked_by=actor, booked_at=clock.now(), movimentacao=mov
        )
        timers.arm(booking, "reminder", max(reminder_due(slot), clock.now()), REMINDER_HANDLER)
        _training_step(ficha, "mark_done", actor, summary, evidence=booking)
    return booking


def _training_step(ficha: Ficha, event: str, actor, reason: str, **data) -> None:
    """G7: the onboarding's training step follows the bookings of its ficha."""
    wanted = "pending" if event == "mark_done" else "done"
    for step in OnboardingStep.objects.filter(
        onboarding__ficha=ficha,
        onboarding__state=Onboarding.State.IN_PROGRESS,
        kind=Kind.TRAINING,
        state=wanted,
    ):
        transition(step, event, actor=actor, reason=reason, **data)


def cancel_booking(
    booking: TrainingBooking,
    *,
    actor,
    reason: str,
    channel: str = Movimentacao.Channel.PHONE,
    boleto_alert_given: bool = False,
    _rebooking: bool = False,
) -> TrainingBooking:
    """G5: cancelling frees the seat, stops the reminder and is logged on the ficha."""
    with transaction.atomic():
        TrainingSlot.objects.select_for_update().get(pk=booking.slot_id)
        booking = transition(booking, "cancel", actor=actor, reason=reason)
        timers.disarm(booking, "reminder")
        log_movimentacao(
            booking.ficha,
            author=actor,
            channel=channel,
            reason=Movimentacao.Reason.TRAINING,
            outcome=Movimentacao.Outcome.RESOLVED,
            text=f"Treinamento de {booking.slot} cancelado: {reason.strip()}",
            boleto_alert_given=boleto_alert_given,
            starts_tratativa=False,
        )
        if not _rebooking:
            _training_step(booking.ficha, "reopen", actor, f"treinamento cancelado: {reason}")
    return booking


def rebook(
    booking: TrainingBooking,
    new_slot: TrainingSlot,
    *,
    actor,
    reason: str,
    channel: str = Movimentacao.Channel.PHONE,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> TrainingBooking:
    """G5: move a client to another slot in one transaction: the new seat is taken before
    the old one is released, so a full slot leaves the old booking untouched."""
    if new_slot.pk == booking.slot_id:
        raise TransitionRefused("Escolha um horário diferente do atual.", "G5")
    if is_placeholder(reason):
        raise TransitionRefused("Diga por que o treinamento foi remarcado.", "G5")
    with transaction.atomic():
        new = book_training(
            new_slot,
            booking.ficha,
            actor=actor,
            channel=channel,
            text=f"remarcado: {reason.strip()}",
            bitrix_link=bitrix_link,
            boleto_alert_given=boleto_alert_given,
            _rebooking=booking,
        )
        old = cancel_booking(
            booking,
            actor=actor,
            reason=f"remarcado para {new_slot.date:%d/%m/%Y}: {reason.strip()}",
            channel=channel,
            boleto_alert_given=boleto_alert_given,
            _rebooking=True,
        )
        TrainingBooking.objects.filter(pk=old.pk).update(rebooked_as=new)
    return new


def send_training_reminder(booking: TrainingBooking) -> None:
    """G5 timer handler: the day before, remind the client and the support attendant."""
    slot = booking.slot
    ficha = booking.ficha
    who = slot.attendant.get_full_name() or slot.attendant.username
    when = f"{slot.date:%d/%m/%Y}, {slot.get_shift_display().lower()} ({slot.hours})"
    sent = 0
    if ficha.email:
        sent += send_mail(
            f"Lembrete: seu treinamento é amanhã ({slot.date:%d/%m})",
            f"Olá, {ficha.name}.\n\nLembramos que o seu treinamento está marcado para {when}, "
            f"com {who}, da nossa equipe de suporte.\n\nSe precisar remarcar, responda este "
            "e-mail ou fale com o seu atendente.",
            None,
            [ficha.email],
        )
    if slot.attendant.email:
        sent += send_mail(
            f"Treinamento amanhã: {ficha.name}",
            f"Olá, {who}.\n\nAmanhã, {when}, você dá o treinamento de {ficha.name} "
            f"({ficha.document_display}). Telefone: {ficha.phone or 'não informado'}; "
            f"e-mail: {ficha.email or 'não informado'}.",
            None,
            [slot.attendant.email],
        )
    TrainingBooking.objects.filter(pk=booking.pk).update(reminded_at=clock.now())


def mark_training_held(booking: TrainingBooking, *, actor) -> TrainingBooking:
    """G5: support records that the training took place (on or after its day)."""
    if booking.slot.date > clock.today():
        raise TransitionRefused("O treinamento ainda não aconteceu.", "G5")
    with transaction.atomic():
        booking = transition(booking, "attend", actor=actor, reason="treinamento realizado")
        timers.disarm(booking, "reminder")
    return booking

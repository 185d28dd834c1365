"""G7: duplicate detection on the normalised keys, the central team's queue and its cases.

Nothing here runs by itself: every code path that writes a ficha calls `ficha_keys_update`
(or `ficha_detect_duplicates`) once its write has committed. Opening a case takes a key lock on the
matched ficha, which a merge may hold while it waits for the writer's lock, so detection
never runs inside the write's transaction. Every refusal is a `TransitionRefused` with a
pt-BR message and rule IDs.
"""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q

from workflows import clock
from workflows.engine import transition
from workflows.models import Ficha, Movimentacao
from workflows.movimentacoes import movimentacao_log
from workflows.refusals import TransitionRefused
from workflows.roles import CENTRAL, MANAGER, has_role

from .keys import NORMALIZERS, keys_of, name_words
from .models import DuplicateCase, FichaKeys, NameWord

CENTRAL_TEAM = (CENTRAL, MANAGER)

# The fields two fichas are compared on (keys.py): CPF/CNPJ, e-mail, phone and OAB. A write
# that changes none of them cannot make or unmake a duplicate.
COMPARED_FIELDS = frozenset(NORMALIZERS)

# --- the stored keys --------------------------------------------------------------------------


def refresh_keys(ficha: Ficha) -> FichaKeys:
    """Store the normalised keys and the name's search words of `ficha`."""
    keys, _ = FichaKeys.objects.update_or_create(ficha=ficha, defaults=keys_of(vars(ficha)))
    refresh_name_words(ficha)
    return keys


def refresh_name_words(ficha: Ficha) -> None:
    """Store the search words of the ficha's name (the name search reads only these)."""
    words = name_words(ficha.name)
    stored = set(NameWord.objects.filter(ficha=ficha).values_list("word", flat=True))
    if words != stored:
        NameWord.objects.filter(ficha=ficha).exclude(word__in=words).delete()
        NameWord.objects.bulk_create([NameWord(ficha=ficha, word=w) for w in words - stored])


def ficha_keys_update(
    ficha: Ficha, *, changed, source: str = DuplicateCase.Source.EDIT
) -> list[DuplicateCase]:
    """G7, after a committed write to the `changed` fields of `ficha`: a compared field
    (COMPARED_FIELDS) runs detection, which also stores the new keys; a new name only
    refreshes the name's search words; any other field costs nothing. Returns the live cases
    detection found (none when nothing compared changed)."""
    changed = set(changed)
    if changed & COMPARED_FIELDS:
        return ficha_detect_duplicates(ficha, source=source)
    if "name" in changed:
        refresh_name_words(ficha)
    return []


# --- detection --------------------------------------------------------------------------------


def _pair(x: int, y: int) -> tuple[int, int]:
    return (x, y) if x < y else (y, x)


def duplicate_case_open(ficha_a_id: int, ficha_b_id: int, matched: list[str], source: str):
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


def ficha_detect_duplicates(ficha: Ficha, *, source: str = DuplicateCase.Source.EDIT):
    """G7: compare the ficha's normalised keys (CPF/CNPJ, e-mail, phone, OAB) with every
    other ficha not already merged; each match becomes a case in the central team's queue.
    Returns the cases that involve this ficha and are still open."""
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
        case, _ = duplicate_case_open(ficha.pk, other_id, names, source)
        if case.is_live:
            cases.append(case)
    return cases


def duplicates_scan(*, progress=None, every: int = 1000) -> dict:
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
        if row is None:  # imported in bulk (no keys stored): its name words are missing too
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
        _, was_created = duplicate_case_open(a, b, sorted(matched), DuplicateCase.Source.SCAN)
        created += was_created
    if progress and done % every:
        progress(done, total)
    return {
        "fichas": total,
        "pairs": len(pairs),
        "created": created,
        "shared": sorted(shared, key=lambda s: -s[2]),
    }


# --- the central team's queue and cases -------------------------------------------------------


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


def require_central(actor):
    if not has_role(actor, *CENTRAL_TEAM):
        raise TransitionRefused(
            "Só a central de cadastros (ou um gestor) trata cadastros duplicados.", "G7"
        )


def duplicate_case_inform_client(
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
    require_central(actor)
    with transaction.atomic():
        mov = movimentacao_log(
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


def duplicate_case_choose_kept(
    case: DuplicateCase, *, actor, kept: Ficha, answer: str
) -> DuplicateCase:
    """G7: record which ficha the client wants to keep, with the client's answer."""
    require_central(actor)
    return transition(case, "choose_kept", actor=actor, reason=answer, kept=kept)


def duplicate_case_dismiss(case: DuplicateCase, *, actor, reason: str) -> DuplicateCase:
    """G7: not a duplicate (e.g. two lawyers of one office sharing the office phone)."""
    require_central(actor)
    return transition(case, "dismiss", actor=actor, reason=reason)

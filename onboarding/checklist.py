"""G7: the onboarding checklist every new registration gets: enable intimação, the onboarding
call (attempts logged), present the system, schedule training, the upsell check."""

from django.db import transaction
from django.db.models import Count, Q

from workflows import clock
from workflows.agendamentos import agendamento_conclude, agendamento_open
from workflows.engine import transition
from workflows.models import AgendamentoKind, Ficha, Movimentacao
from workflows.movimentacoes import movimentacao_log
from workflows.orcamento import orcamento_create
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from workflows.validators import is_placeholder

from .models import Onboarding, OnboardingStep, UpsellAnswer

Kind = OnboardingStep.Kind
MANUAL_STEPS = (Kind.INTIMACAO, Kind.PRESENTATION)


def onboarding_start(ficha: Ficha, *, registered_by=None) -> Onboarding:
    """G7: every new registration gets the checklist; idempotent (one per registration)."""
    with transaction.atomic():
        onboarding, created = Onboarding.objects.get_or_create(
            origin=ficha,
            defaults={"ficha": ficha, "started_at": clock.now(), "registered_by": registered_by},
        )
        if created:
            OnboardingStep.objects.bulk_create(
                [OnboardingStep(onboarding=onboarding, kind=kind) for kind in OnboardingStep.ORDER]
            )
    return onboarding


def onboarding_start_missing(*, since=None, progress=None, every: int = 1000) -> int:
    """G7 for imports: fichas written in bulk (not through `registration`) get their
    onboarding. Only fichas created on or after `since` (a date) unless it is None; merged
    fichas are skipped. Bulk inserts, a few queries per batch. Returns how many onboardings
    were started."""
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
                ignore_conflicts=True,  # a concurrent registration may have started one
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


def onboarding_step_done(onboarding: Onboarding, kind: str, *, actor, note: str) -> OnboardingStep:
    """G7: enable intimação / present the system: done with a note saying what was done."""
    if kind not in MANUAL_STEPS:
        raise TransitionRefused(
            "Esta etapa se conclui pelo seu próprio registro (ligação, treinamento, upsell).",
            "G7",
        )
    return transition(_step(onboarding, kind), "mark_done", actor=actor, reason=note)


def onboarding_step_skip(
    onboarding: Onboarding, kind: str, *, actor, reason: str
) -> OnboardingStep:
    """G7: a step may be skipped, only with a written reason."""
    return transition(_step(onboarding, kind), "skip", actor=actor, reason=reason)


def onboarding_step_reopen(
    onboarding: Onboarding, kind: str, *, actor, reason: str
) -> OnboardingStep:
    return transition(_step(onboarding, kind), "reopen", actor=actor, reason=reason)


def onboarding_call_log(
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
    `agendamento_open`, which logs that attempt; later attempts are logged inside it. A call
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
            ag = agendamento_open(
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
            mov = movimentacao_log(
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
                agendamento_conclude(
                    ag,
                    actor=actor,
                    text="Concluindo agendamento: onboarding feito com o cliente.",
                    channel=channel,
                )
    onboarding.refresh_from_db()
    return mov


def onboarding_upsell_answer(
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
            follow_up = agendamento_open(
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
            orcamento = orcamento_create(
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


def onboarding_complete(onboarding: Onboarding, *, actor) -> Onboarding:
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

"""G7 pages: the onboarding checklists in progress and one onboarding's steps."""

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workflows.action_views import act_in_page, history_url, require_roles
from workflows.engine import actions_for
from workflows.models import Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import ATTENDANTS

from .checklist import (
    latest_answers,
    onboarding_call_log,
    onboarding_complete,
    onboarding_queue,
    onboarding_step_done,
    onboarding_step_reopen,
    onboarding_step_skip,
    onboarding_upsell_answer,
)
from .forms import CallForm, StepNoteForm, UpsellForm
from .models import Onboarding, OnboardingStep, TrainingBooking, UpsellAnswer


@login_required
def onboarding_list(request):
    require_roles(request.user, ATTENDANTS, message="Seu perfil não atende clientes.")
    return render(request, "onboarding/onboarding_list.html", {"onboardings": onboarding_queue()})


@login_required
def ficha_onboarding(request, pk):
    """The ficha's onboarding (the latest, when a merge brought more than one)."""
    require_roles(request.user, ATTENDANTS, message="Seu perfil não atende clientes.")
    ficha = get_object_or_404(Ficha, pk=pk)
    onboarding = ficha.onboardings.order_by("-started_at", "-pk").first()
    if onboarding is None:
        raise Http404("Esta ficha não tem onboarding.")
    return redirect("onboarding:onboarding", onboarding.pk)


def _onboarding_page(request, onboarding, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    steps = list(onboarding.steps.select_related("by"))
    for step in steps:  # what the machine lets this user do on each step
        step.onboarding = onboarding
        step.actions = actions_for(step, request.user)
    ag = onboarding.call_agendamento
    context = {
        "onboarding": onboarding,
        "actions": actions_for(onboarding, request.user),
        "ficha": onboarding.ficha,
        "steps": steps,
        "pending": [s for s in steps if s.state == "pending"],
        "attempts": ag.movimentacoes.select_related("author").order_by("at", "pk") if ag else [],
        "answers": onboarding.answers.select_related("by", "follow_up", "orcamento"),
        "upsell_rows": [
            (label, latest_answers(onboarding).get(code))
            for code, label in UpsellAnswer.Question.choices
        ],
        "refusal": refusal,
        "refused_form": forms.get("kind"),
        "call_form": forms.get("call") or CallForm(),
        "upsell_form": forms.get("upsell") or UpsellForm(),
        "posted": request.POST if refusal or forms else {},
        "history_url": history_url(onboarding),
        "bookings": _bookings_of(onboarding.ficha),
    }
    return render(request, "onboarding/onboarding.html", context, status=status)


def _bookings_of(ficha):
    return ficha.training_bookings.filter(state=TrainingBooking.State.BOOKED).select_related(
        "slot__attendant"
    )


@login_required
def onboarding_detail(request, pk):
    require_roles(request.user, ATTENDANTS, message="Seu perfil não atende clientes.")
    onboarding = get_object_or_404(Onboarding.objects.select_related("ficha"), pk=pk)
    return _onboarding_page(request, onboarding)


ONBOARDING_ACTIONS = {
    "feito": "Etapa marcada como feita.",
    "dispensar": "Etapa dispensada.",
    "reabrir": "Etapa reaberta.",
    "ligacao": "Ligação registrada.",
    "upsell": "Resposta registrada.",
    "concluir": "Onboarding concluído (G7).",
}


def _first_error(form, default: str) -> str:
    """The first problem of an invalid form, with its field's label (hidden fields: `default`)."""
    for name, problems in form.errors.items():
        field = form.fields.get(name)
        if field is None or field.widget.is_hidden:
            return default
        return f"{field.label}: {problems[0]}"
    return default


@login_required
@require_POST
def onboarding_action(request, pk, action):
    if action not in ONBOARDING_ACTIONS:
        raise Http404
    require_roles(request.user, ATTENDANTS, message="Seu perfil não atende clientes.")
    onboarding = get_object_or_404(Onboarding.objects.select_related("ficha"), pk=pk)
    user = request.user
    step_services = {
        "feito": onboarding_step_done,
        "dispensar": onboarding_step_skip,
        "reabrir": onboarding_step_reopen,
    }

    def on_step(data):
        if data["kind"] not in OnboardingStep.Kind.values:
            raise TransitionRefused("Escolha a etapa.", "G7")
        service = step_services[action]
        text = {"note": data["note"]} if action == "feito" else {"reason": data["note"]}
        service(onboarding, data["kind"], actor=user, **text)

    if action in step_services:
        form, key, perform = StepNoteForm(request.POST), request.POST.get("kind", ""), on_step
    elif action == "ligacao":
        form, key = CallForm(request.POST), "call"

        def perform(data):
            onboarding_call_log(onboarding, actor=user, **data)

    elif action == "upsell":
        form, key = UpsellForm(request.POST), "upsell"

        def perform(data):
            onboarding_upsell_answer(onboarding, actor=user, **data)

    else:
        form, key = Form(request.POST), "concluir"

        def perform(data):
            onboarding_complete(onboarding, actor=user)

    def page(refusal, status):
        forms = {"kind": key}
        if key in ("call", "upsell"):
            forms[key] = form
        elif refusal is None:  # the step forms are drawn by hand: their problem as the alert
            refusal = TransitionRefused(_first_error(form, "Escolha a etapa."), "G7")
        onboarding.refresh_from_db()
        return _onboarding_page(request, onboarding, refusal=refusal, forms=forms, status=status)

    return act_in_page(
        request,
        form,
        perform=perform,
        success=ONBOARDING_ACTIONS[action],
        redirect_to=reverse("onboarding:onboarding", args=[onboarding.pk]),
        page=page,
    )

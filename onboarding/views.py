"""Thin views: read, call a service, render. Rules live in services and statemachines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from workflows import clock
from workflows.engine import TransitionRefused
from workflows.models import Ficha, Movimentacao
from workflows.roles import ATTENDANTS, CENTRAL, MANAGER, SUPPORT, SUPPORT_DEV, has_role
from workflows.validators import only_digits

from . import services
from .forms import (
    BookingForm,
    CallForm,
    CancelBookingForm,
    ChooseKeptForm,
    ContactForm,
    EditForm,
    ReasonForm,
    RebookForm,
    RegistrationForm,
    SlotForm,
    StepNoteForm,
    UpsellForm,
)
from .keys import KEY_LABELS
from .models import (
    DuplicateCase,
    Onboarding,
    OnboardingStep,
    TrainingBooking,
    TrainingSlot,
    UpsellAnswer,
)


def _require(user, *roles, message="Seu perfil não permite esta ação."):
    if not has_role(user, *roles):
        raise PermissionDenied(message)


def _done(request, url, text):
    messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _history_url(obj):
    ct = ContentType.objects.get_for_model(obj)
    return reverse("history", args=[ct.pk, obj.pk])


@login_required
def index(request):
    if has_role(request.user, CENTRAL, MANAGER):
        return redirect("onboarding:queue")
    return redirect("onboarding:register")


# --- registration (G7) ------------------------------------------------------------------------


def _registration_page(request, form, *, ficha=None, errors=None, status=200):
    context = {"form": form, "ficha": ficha, "errors": errors or {}}
    return render(request, "onboarding/register.html", context, status=status)


def _flash_cases(request, cases):
    if cases:
        messages.warning(
            request,
            f"Possível cadastro duplicado ({len(cases)} ficha{'s' if len(cases) > 1 else ''} "
            "com dados iguais): encaminhado à central de cadastros, que vai tratar a "
            "duplicidade (G7).",
        )


@login_required
def register(request):
    """G7: a new registration; suspected duplicates go to the central team's queue."""
    _require(request.user, *ATTENDANTS, message="Seu perfil não cadastra clientes.")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ficha, cases = services.register_ficha(form.cleaned_data, actor=request.user)
        except services.RegistrationInvalid as invalid:
            return _registration_page(request, form, errors=invalid.errors, status=422)
        _flash_cases(request, cases)
        return _done(request, reverse("ficha_detail", args=[ficha.pk]), "Ficha cadastrada.")
    return _registration_page(request, form)


@login_required
def edit(request, pk):
    """Edit the holder's contact data; detection runs again (G7)."""
    _require(request.user, *ATTENDANTS, message="Seu perfil não edita fichas.")
    ficha = get_object_or_404(Ficha, pk=pk)
    form = EditForm(request.POST or None, initial={"phone": ficha.phone})
    if request.method == "POST" and form.is_valid():
        try:
            ficha, cases = services.edit_ficha(ficha, form.cleaned_data, actor=request.user)
        except services.RegistrationInvalid as invalid:
            return _registration_page(request, form, ficha=ficha, errors=invalid.errors, status=422)
        except TransitionRefused as refused:
            return _registration_page(
                request, form, ficha=ficha, errors={"form": refused.message}, status=422
            )
        _flash_cases(request, cases)
        return _done(request, reverse("ficha_detail", args=[ficha.pk]), "Ficha atualizada.")
    return _registration_page(request, form, ficha=ficha)


# --- the central team's queue and cases (G7) ------------------------------------------------


def _require_central(user):
    _require(
        user,
        CENTRAL,
        MANAGER,
        message="Só a central de cadastros (ou um gestor) trata cadastros duplicados (G7).",
    )


@login_required
def queue(request):
    _require_central(request.user)
    closed = DuplicateCase.objects.exclude(state__in=DuplicateCase.LIVE).select_related(
        "ficha_a", "ficha_b", "kept"
    )
    return render(
        request,
        "onboarding/queue.html",
        {"cases": services.central_queue(), "closed": closed.order_by("-closed_at", "-pk")[:20]},
    )


def _side_by_side(case):
    """Rows of the comparison table: label, value on ficha A, value on ficha B, differs."""
    a, b = case.ficha_a, case.ficha_b
    rows = []
    for name in ("document", *services.MERGE_FIELDS, "status", "created_at"):
        field = Ficha._meta.get_field(name)
        va, vb = getattr(a, name), getattr(b, name)
        if name == "document":
            va, vb = a.document_display, b.document_display
        elif name == "status":
            va, vb = a.get_status_display(), b.get_status_display()
        rows.append({"name": name, "label": field.verbose_name, "a": va, "b": vb})
    for label, related in [
        ("movimentações", "movimentacoes"),
        ("agendamentos", "agendamentos"),
        ("boletos", "boletos"),
        ("vendas", "sales"),
    ]:
        rows.append(
            {
                "label": label,
                "a": getattr(a, related).count(),
                "b": getattr(b, related).count(),
                "count": True,
            }
        )
    rows.append(
        {
            "label": "produtos contratados",
            "a": ", ".join(map(str, a.products.all())) or "—",
            "b": ", ".join(map(str, b.products.all())) or "—",
            "count": True,
        }
    )
    for row in rows:
        row["differs"] = row["a"] != row["b"]
    return rows


def _merge_fields(case):
    """The conflicting fields with both values and the pre-selected choice."""
    kept, discarded = case.kept, case.discarded
    if kept is None:
        return []
    fields = []
    for name in services.conflicting_fields(kept, discarded):
        kept_value, other_value = getattr(kept, name), getattr(discarded, name)
        fields.append(
            {
                "name": name,
                "label": Ficha._meta.get_field(name).verbose_name,
                "kept": kept_value if kept_value not in ("", None) else "(vazio)",
                "discarded": other_value if other_value not in ("", None) else "(vazio)",
                "default": "discarded" if kept_value in ("", None) else "kept",
            }
        )
    return fields


def _model_label(key: str) -> str:
    """ "workflows.Movimentacao.ficha" → "movimentações" (the moved rows, in the users' words)."""
    from django.apps import apps

    app_label, model_name, *_ = key.split(".")
    try:
        return str(apps.get_model(app_label, model_name)._meta.verbose_name_plural)
    except LookupError:
        return key


def _record_context(record):
    if record is None:
        return {}
    return {
        "moved_rows": [(_model_label(k), k, ids) for k, ids in record.moved.items()],
        "left_rows": [(_model_label(k), k, ids) for k, ids in record.left_in_place.items()],
        "field_rows": [
            (Ficha._meta.get_field(name).verbose_name, entry)
            for name, entry in record.fields.items()
        ],
    }


def _case_page(request, case, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    record = getattr(case, "merge_record", None) if case.state == case.State.MERGED else None
    initial = {"kept": str(case.kept_id)} if case.kept_id else None
    context = {
        "case": case,
        "rows": _side_by_side(case),
        "merge_fields": _merge_fields(case),
        "record": record,
        **_record_context(record),
        "refusal": refusal,
        "key_labels": KEY_LABELS,
        "inform_form": forms.get("inform") or ContactForm(),
        "choose_form": forms.get("choose") or ChooseKeptForm(case=case, initial=initial),
        "dismiss_form": forms.get("dismiss") or ReasonForm(),
        "history_url": _history_url(case),
        "posted": request.POST if refusal else {},
    }
    return render(request, "onboarding/case.html", context, status=status)


def _get_case(pk):
    return get_object_or_404(
        DuplicateCase.objects.select_related("ficha_a", "ficha_b", "kept", "client_contact"),
        pk=pk,
    )


@login_required
def case_detail(request, pk):
    _require_central(request.user)
    return _case_page(request, _get_case(pk))


def _case_action(request, pk, form_key, form, perform, success):
    case = _get_case(pk)
    _require_central(request.user)
    if not form.is_valid():
        return _case_page(request, case, forms={form_key: form}, status=422)
    try:
        perform(case, form.cleaned_data)
    except TransitionRefused as refused:
        return _case_page(request, case, refusal=refused, forms={form_key: form}, status=422)
    return _done(request, reverse("onboarding:case", args=[case.pk]), success)


@login_required
@require_POST
def case_inform(request, pk):
    return _case_action(
        request,
        pk,
        "inform",
        ContactForm(request.POST),
        lambda case, d: services.inform_client(case, actor=request.user, **d),
        "Movimentação registrada.",
    )


@login_required
@require_POST
def case_choose(request, pk):
    case = _get_case(pk)

    def perform(case, d):
        kept = case.ficha_a if d["kept"] == str(case.ficha_a_id) else case.ficha_b
        services.choose_kept(case, actor=request.user, kept=kept, answer=d["answer"])

    return _case_action(
        request,
        pk,
        "choose",
        ChooseKeptForm(request.POST, case=case),
        perform,
        "Ficha escolhida registrada.",
    )


@login_required
@require_POST
def case_merge(request, pk):
    """G7: the side-by-side choices arrive as `choice_<field>` = kept | discarded."""
    case = _get_case(pk)
    _require_central(request.user)
    choices = {
        key.removeprefix("choice_"): value
        for key, value in request.POST.items()
        if key.startswith("choice_")
    }
    try:
        services.merge_case(case, actor=request.user, choices=choices)
    except TransitionRefused as refused:
        return _case_page(request, case, refusal=refused, status=422)
    return _done(request, reverse("onboarding:case", args=[case.pk]), "Fichas unificadas (G7).")


@login_required
@require_POST
def case_dismiss(request, pk):
    return _case_action(
        request,
        pk,
        "dismiss",
        ReasonForm(request.POST),
        lambda case, d: services.dismiss_case(case, actor=request.user, reason=d["reason"]),
        "Caso descartado: não é duplicidade.",
    )


# --- G7: the onboarding checklist -------------------------------------------------------------


@login_required
def onboarding_list(request):
    _require(request.user, *ATTENDANTS, message="Seu perfil não atende clientes.")
    return render(
        request, "onboarding/onboarding_list.html", {"onboardings": services.onboarding_queue()}
    )


@login_required
def ficha_onboarding(request, pk):
    """The ficha's onboarding (the latest, when a merge brought more than one)."""
    _require(request.user, *ATTENDANTS, message="Seu perfil não atende clientes.")
    ficha = get_object_or_404(Ficha, pk=pk)
    onboarding = ficha.onboardings.order_by("-started_at", "-pk").first()
    if onboarding is None:
        raise Http404("Esta ficha não tem onboarding.")
    return redirect("onboarding:onboarding", onboarding.pk)


def _onboarding_page(request, onboarding, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    steps = list(onboarding.steps.select_related("by"))
    ag = onboarding.call_agendamento
    context = {
        "onboarding": onboarding,
        "ficha": onboarding.ficha,
        "steps": steps,
        "pending": [s for s in steps if s.state == "pending"],
        "attempts": ag.movimentacoes.select_related("author").order_by("at", "pk") if ag else [],
        "answers": onboarding.answers.select_related("by", "follow_up", "orcamento"),
        "upsell_rows": [
            (label, services.latest_answers(onboarding).get(code))
            for code, label in UpsellAnswer.Question.choices
        ],
        "refusal": refusal,
        "refused_form": forms.get("kind"),
        "call_form": forms.get("call") or CallForm(),
        "upsell_form": forms.get("upsell") or UpsellForm(),
        "posted": request.POST if refusal or forms else {},
        "history_url": _history_url(onboarding),
        "bookings": _bookings_of(onboarding.ficha),
    }
    return render(request, "onboarding/onboarding.html", context, status=status)


def _bookings_of(ficha):
    return ficha.training_bookings.filter(state=TrainingBooking.State.BOOKED).select_related(
        "slot__attendant"
    )


@login_required
def onboarding_detail(request, pk):
    _require(request.user, *ATTENDANTS, message="Seu perfil não atende clientes.")
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


@login_required
@require_POST
def onboarding_action(request, pk, action):
    if action not in ONBOARDING_ACTIONS:
        raise Http404
    _require(request.user, *ATTENDANTS, message="Seu perfil não atende clientes.")
    onboarding = get_object_or_404(Onboarding.objects.select_related("ficha"), pk=pk)
    user = request.user
    form, key = None, action
    try:
        if action in ("feito", "dispensar", "reabrir"):
            form = StepNoteForm(request.POST)
            if not form.is_valid():
                raise TransitionRefused("Escolha a etapa.", "G7")
            kind, note = form.cleaned_data["kind"], form.cleaned_data["note"]
            key = kind
            if kind not in OnboardingStep.Kind.values:
                raise TransitionRefused("Escolha a etapa.", "G7")
            if action == "feito":
                services.mark_step_done(onboarding, kind, actor=user, note=note)
            elif action == "dispensar":
                services.skip_step(onboarding, kind, actor=user, reason=note)
            else:
                services.reopen_step(onboarding, kind, actor=user, reason=note)
        elif action == "ligacao":
            form = CallForm(request.POST)
            key = "call"
            if not form.is_valid():
                return _onboarding_page(request, onboarding, forms={"call": form}, status=422)
            services.log_onboarding_call(onboarding, actor=user, **form.cleaned_data)
        elif action == "upsell":
            form = UpsellForm(request.POST)
            key = "upsell"
            if not form.is_valid():
                return _onboarding_page(request, onboarding, forms={"upsell": form}, status=422)
            services.answer_upsell(onboarding, actor=user, **form.cleaned_data)
        else:
            services.complete_onboarding(onboarding, actor=user)
    except TransitionRefused as refused:
        forms = {"kind": key}
        if key in ("call", "upsell"):
            forms[key] = form
        onboarding.refresh_from_db()
        return _onboarding_page(request, onboarding, refusal=refused, forms=forms, status=422)
    url = reverse("onboarding:onboarding", args=[onboarding.pk])
    return _done(request, url, ONBOARDING_ACTIONS[action])


# --- G5: training slots ---------------------------------------------------------------------


def _slots_page(request, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    user = request.user
    slots = list(services.upcoming_slots())
    bookings = TrainingBooking.objects.filter(
        slot__in=slots, state=TrainingBooking.State.BOOKED
    ).select_related("ficha", "booked_by")
    by_slot = {}
    for booking in bookings:
        by_slot.setdefault(booking.slot_id, []).append(booking)
    for slot in slots:
        slot.live = by_slot.get(slot.pk, [])
        slot.free = slot.capacity - slot.taken
    ficha_hint = request.GET.get("ficha", "")
    context = {
        "slots": slots,
        "can_publish": has_role(user, SUPPORT, MANAGER),
        "can_book": has_role(user, *services.BOOKERS),
        "can_attend": has_role(user, SUPPORT, SUPPORT_DEV, MANAGER),
        "today": clock.today(),
        "slot_form": forms.get("publish") or SlotForm(),
        "booking_form": forms.get("book") or BookingForm(initial={"ficha": ficha_hint}),
        "failed_slot": forms.get("slot_pk"),
        "failed_booking": forms.get("booking_pk"),
        "cancel_form": forms.get("cancel") or CancelBookingForm(),
        "rebook_form": forms.get("rebook") or RebookForm(),
        "refusal": refusal or _form_refusal(forms),
        "ficha_hint": ficha_hint,
        "channels": Movimentacao.Channel.choices,
        "posted": request.POST if forms else {},
    }
    return render(request, "onboarding/slots.html", context, status=status)


def _form_refusal(forms):
    """Hand-rendered forms show the first field error as the page's refusal."""
    for form in forms.values():
        errors = getattr(form, "errors", None)
        if errors:
            field, messages_ = next(iter(errors.items()))
            label = form.fields[field].label if field in form.fields else ""
            return TransitionRefused(f"{label}: {messages_[0]}" if label else messages_[0], "G5")
    return None


def _require_training_user(user):
    _require(user, *ATTENDANTS, SUPPORT_DEV, message="Seu perfil não atende clientes.")


@login_required
def slots(request):
    _require_training_user(request.user)
    return _slots_page(request)


def _slots_done(request, text):
    return _done(request, reverse("onboarding:slots"), text)


@login_required
@require_POST
def slot_publish(request):
    _require(request.user, SUPPORT, MANAGER, message="Só o suporte publica horários (G5).")
    form = SlotForm(request.POST)
    if not form.is_valid():
        return _slots_page(request, forms={"publish": form}, status=422)
    try:
        services.publish_slot(actor=request.user, **form.cleaned_data)
    except TransitionRefused as refused:
        return _slots_page(request, refusal=refused, forms={"publish": form}, status=422)
    return _slots_done(request, "Horário de treinamento publicado.")


def _find_ficha(term: str) -> Ficha:
    term = (term or "").strip()
    digits = only_digits(term)
    ficha = None
    if len(digits) in (11, 14):
        ficha = Ficha.objects.filter(document=digits).first()
    elif digits and digits == term:
        ficha = Ficha.objects.filter(pk=int(digits)).first()
    if ficha is None:
        raise TransitionRefused("Ficha não encontrada: informe o número ou o CPF/CNPJ.", "G5")
    return ficha


@login_required
@require_POST
def slot_book(request, pk):
    _require(request.user, *services.BOOKERS, message="Seu perfil não agenda treinamentos.")
    slot = get_object_or_404(TrainingSlot, pk=pk)
    form = BookingForm(request.POST)
    failed = {"book": form, "slot_pk": slot.pk}
    if not form.is_valid():
        return _slots_page(request, forms=failed, status=422)
    data = dict(form.cleaned_data)
    try:
        ficha = _find_ficha(data.pop("ficha"))
        services.book_training(slot, ficha, actor=request.user, **data)
    except TransitionRefused as refused:
        return _slots_page(request, refusal=refused, forms=failed, status=422)
    return _slots_done(request, f"{ficha.name} agendado no treinamento de {slot}.")


@login_required
@require_POST
def booking_action(request, pk, action):
    if action not in ("cancelar", "remarcar", "realizado"):
        raise Http404
    _require_training_user(request.user)
    booking = get_object_or_404(TrainingBooking.objects.select_related("slot", "ficha"), pk=pk)
    if action == "realizado":
        try:
            services.mark_training_held(booking, actor=request.user)
        except TransitionRefused as refused:
            return _slots_page(request, refusal=refused, status=422)
        return _slots_done(request, "Treinamento marcado como realizado.")
    form = (CancelBookingForm if action == "cancelar" else RebookForm)(request.POST)
    failed = {"cancel" if action == "cancelar" else "rebook": form, "booking_pk": booking.pk}
    if not form.is_valid():
        return _slots_page(request, forms=failed, status=422)
    data = dict(form.cleaned_data)
    try:
        if action == "cancelar":
            services.cancel_booking(booking, actor=request.user, **data)
            text = "Treinamento cancelado: a vaga ficou livre."
        else:
            new_slot = data.pop("slot")
            services.rebook(booking, new_slot, actor=request.user, **data)
            text = f"Treinamento remarcado para {new_slot}."
    except TransitionRefused as refused:
        return _slots_page(request, refusal=refused, forms=failed, status=422)
    return _slots_done(request, text)

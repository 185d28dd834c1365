"""G5 pages: training slots (publish, book, cancel, rebook, held)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workflows import clock
from workflows.action_views import go, require_roles
from workflows.engine import actions_for
from workflows.models import Ficha, Movimentacao
from workflows.refusals import TransitionRefused
from workflows.roles import (
    MANAGER,
    STAFF,
    SUPPORT,
    SUPPORT_STAFF,
    has_role,
)
from workflows.validators import only_digits

from .forms import FICHA_TERM_LENGTH, BookingForm, CancelBookingForm, RebookForm, SlotForm
from .models import TrainingBooking, TrainingSlot
from .training import (
    BOOKERS,
    book_training,
    cancel_booking,
    mark_training_held,
    publish_slot,
    rebook,
    upcoming_slots,
)


def _slots_page(request, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    user = request.user
    slots = list(upcoming_slots())
    bookings = TrainingBooking.objects.filter(
        slot__in=slots, state=TrainingBooking.State.BOOKED
    ).select_related("ficha", "booked_by")
    by_slot = {}
    for booking in bookings:
        by_slot.setdefault(booking.slot_id, []).append(booking)
    for slot in slots:
        slot.live = by_slot.get(slot.pk, [])
        slot.free = slot.capacity - slot.taken
        for booking in slot.live:  # what the machine lets this user do on each booking
            booking.slot = slot
            booking.actions = actions_for(booking, user)
    ficha_hint = request.GET.get("ficha", "")[:FICHA_TERM_LENGTH]
    context = {
        "slots": slots,
        "can_publish": has_role(user, SUPPORT, MANAGER),
        "can_book": has_role(user, *BOOKERS),
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
    require_roles(user, STAFF, message="Seu perfil não atende clientes.")


@login_required
def slots(request):
    _require_training_user(request.user)
    return _slots_page(request)


def _slots_done(request, text):
    return go(request, reverse("onboarding:slots"), text)


@login_required
@require_POST
def slot_publish(request):
    require_roles(request.user, SUPPORT_STAFF, message="Só o suporte publica horários (G5).")
    form = SlotForm(request.POST)
    if not form.is_valid():
        return _slots_page(request, forms={"publish": form}, status=422)
    try:
        publish_slot(actor=request.user, **form.cleaned_data)
    except TransitionRefused as refused:
        return _slots_page(request, refusal=refused, forms={"publish": form}, status=422)
    return _slots_done(request, "Horário de treinamento publicado.")


MAX_FICHA_NUMBER_DIGITS = 10  # a ficha number beyond this is no ficha (and fits any int column)


def _find_ficha(term: str) -> Ficha:
    term = (term or "").strip()
    digits = only_digits(term)
    ficha = None
    if len(digits) in (11, 14):
        ficha = Ficha.objects.filter(document=digits).first()
    elif digits and digits == term and len(digits) <= MAX_FICHA_NUMBER_DIGITS:
        ficha = Ficha.objects.filter(pk=int(digits)).first()
    if ficha is None:
        raise TransitionRefused("Ficha não encontrada: informe o número ou o CPF/CNPJ.", "G5")
    return ficha


@login_required
@require_POST
def slot_book(request, pk):
    require_roles(request.user, BOOKERS, message="Seu perfil não agenda treinamentos.")
    slot = get_object_or_404(TrainingSlot, pk=pk)
    form = BookingForm(request.POST)
    failed = {"book": form, "slot_pk": slot.pk}
    if not form.is_valid():
        return _slots_page(request, forms=failed, status=422)
    data = dict(form.cleaned_data)
    try:
        ficha = _find_ficha(data.pop("ficha"))
        book_training(slot, ficha, actor=request.user, **data)
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
            mark_training_held(booking, actor=request.user)
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
            cancel_booking(booking, actor=request.user, **data)
            text = "Treinamento cancelado: a vaga ficou livre."
        else:
            new_slot = data.pop("slot")
            rebook(booking, new_slot, actor=request.user, **data)
            text = f"Treinamento remarcado para {new_slot}."
    except TransitionRefused as refused:
        return _slots_page(request, refusal=refused, forms=failed, status=422)
    return _slots_done(request, text)

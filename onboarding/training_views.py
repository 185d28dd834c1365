"""G5 pages: training slots (publish, book, cancel, rebook, held)."""

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workflows import clock
from workflows.action_views import act_in_page, require_roles
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
from workflows.validators import document_key, only_digits

from .forms import FICHA_TERM_LENGTH, BookingForm, CancelBookingForm, RebookForm, SlotForm
from .models import TrainingBooking, TrainingSlot
from .training import (
    BOOKERS,
    training_book,
    training_booking_cancel,
    training_mark_held,
    training_rebook,
    training_slot_publish,
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


@login_required
@require_POST
def slot_publish(request):
    require_roles(request.user, SUPPORT_STAFF, message="Só o suporte publica horários (G5).")
    form = SlotForm(request.POST)
    return act_in_page(
        request,
        form,
        perform=lambda data: training_slot_publish(actor=request.user, **data),
        success="Horário de treinamento publicado.",
        redirect_to=reverse("onboarding:slots"),
        page=lambda refusal, status: _slots_page(
            request, refusal=refusal, forms={"publish": form}, status=status
        ),
    )


MAX_FICHA_NUMBER_DIGITS = 10  # a ficha number beyond this is no ficha (and fits any int column)


def _find_ficha(term: str) -> Ficha:
    term = (term or "").strip()
    digits = only_digits(term)
    document = document_key(term)  # a CPF or a CNPJ, alphanumeric ones included
    ficha = None
    if document:
        ficha = Ficha.objects.filter(document=document).first()
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

    def perform(data):
        data = dict(data)
        ficha = _find_ficha(data.pop("ficha"))
        training_book(slot, ficha, actor=request.user, **data)
        return ficha

    return act_in_page(
        request,
        form,
        perform=perform,
        success=lambda ficha: f"{ficha.name} agendado no treinamento de {slot}.",
        redirect_to=reverse("onboarding:slots"),
        page=lambda refusal, status: _slots_page(
            request, refusal=refusal, forms={"book": form, "slot_pk": slot.pk}, status=status
        ),
    )


@login_required
@require_POST
def booking_action(request, pk, action):
    if action not in ("cancelar", "remarcar", "realizado"):
        raise Http404
    _require_training_user(request.user)
    booking = get_object_or_404(TrainingBooking.objects.select_related("slot", "ficha"), pk=pk)
    user = request.user

    def held(data):
        training_mark_held(booking, actor=user)

    def cancel(data):
        training_booking_cancel(booking, actor=user, **data)

    def move(data):
        data = dict(data)
        new_slot = data.pop("slot")
        training_rebook(booking, new_slot, actor=user, **data)
        return new_slot

    form, key, perform, success = {
        "realizado": (Form(request.POST), None, held, "Treinamento marcado como realizado."),
        "cancelar": (
            CancelBookingForm(request.POST),
            "cancel",
            cancel,
            "Treinamento cancelado: a vaga ficou livre.",
        ),
        "remarcar": (
            RebookForm(request.POST),
            "rebook",
            move,
            lambda new_slot: f"Treinamento remarcado para {new_slot}.",
        ),
    }[action]
    failed = {key: form, "booking_pk": booking.pk} if key else {}
    return act_in_page(
        request,
        form,
        perform=perform,
        success=success,
        redirect_to=reverse("onboarding:slots"),
        page=lambda refusal, status: _slots_page(
            request, refusal=refusal, forms=failed, status=status
        ),
    )

"""G5: training slots: support publishes them, sales books clients (a movimentação and the
onboarding's training step, G7), reminders the day before, cancel and rebook."""

import datetime as dt

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from workflows import clock, timers
from workflows.engine import transition
from workflows.models import Ficha, Movimentacao
from workflows.movimentacoes import movimentacao_log
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from workflows.validators import date_range_problem, is_placeholder

from .models import Onboarding, OnboardingStep, TrainingBooking, TrainingSlot

MAX_SLOT_CAPACITY = TrainingSlot.MAX_CAPACITY
REMINDER_HANDLER = "onboarding.training.send_training_reminder"
REMINDER_HOUR = 9  # the day before, at 9h (São Paulo)
BOOKERS = (AGENT, SELLER, CENTRAL, MANAGER)
ALREADY_BOOKED = "Este cliente já tem um treinamento agendado: remarque-o em vez de agendar outro."


def training_slot_publish(*, actor, date, shift: str, attendant, capacity) -> TrainingSlot:
    """G5: support publishes a slot (day, shift, attendant, capacity)."""
    if not has_role(actor, SUPPORT, MANAGER):
        raise TransitionRefused(
            "Só o suporte (ou um gestor) publica horários de treinamento.", "G5"
        )
    if date is None or date < clock.today():
        raise TransitionRefused("Escolha um dia a partir de hoje.", "G5")
    if problem := date_range_problem(date):
        raise TransitionRefused(problem, "G5")
    if shift not in TrainingSlot.Shift.values:
        raise TransitionRefused("Escolha o turno: manhã ou tarde.", "G5")
    if attendant is None or not has_role(attendant, SUPPORT):
        raise TransitionRefused("Escolha um atendente do suporte para o treinamento.", "G5")
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_SLOT_CAPACITY:
        raise TransitionRefused(f"Informe de 1 a {MAX_SLOT_CAPACITY} vagas.", "G5")
    try:
        with transaction.atomic():
            return TrainingSlot.objects.create(
                date=date,
                shift=shift,
                attendant=attendant,
                capacity=capacity,
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


def training_book(
    slot: TrainingSlot,
    ficha: Ficha,
    *,
    actor,
    channel: str,
    text: str,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> TrainingBooking:
    """G5: sales books a client into a slot. The slot row is locked, so two bookings at the
    same instant cannot both take the last seat, and the ficha row, so one client cannot be
    booked into two slots at once (the database refuses it too); the booking is a
    movimentação (reason `training`, G1/G3/G4); a timer reminds client and attendant the day
    before; the onboarding's training step is done (G7)."""
    if not has_role(actor, *BOOKERS):
        raise TransitionRefused(
            "Só o comercial e a central agendam clientes em treinamentos.", "G5"
        )
    if ficha.status == Ficha.Status.MERGED:
        raise TransitionRefused("Esta ficha foi unificada em outra: use a ficha mantida.", "G7")
    with transaction.atomic():
        # Lock order: the slot (seats), then the ficha (one live booking per client), so two
        # bookings of one client into two slots queue up on the ficha.
        slot = TrainingSlot.objects.select_for_update().select_related("attendant").get(pk=slot.pk)
        ficha = Ficha.objects.select_for_update().get(pk=ficha.pk)
        if ficha.status == Ficha.Status.MERGED:
            raise TransitionRefused("Esta ficha foi unificada em outra: use a ficha mantida.", "G7")
        if slot.date < clock.today():
            raise TransitionRefused("Este horário já passou: escolha outro.", "G5")
        if live_bookings(slot).count() >= slot.capacity:
            raise TransitionRefused(
                "Não há mais vagas neste horário: escolha outro dia ou turno.", "G5"
            )
        if TrainingBooking.objects.filter(ficha=ficha, state=TrainingBooking.State.BOOKED).exists():
            raise TransitionRefused(ALREADY_BOOKED, "G5")
        who = slot.attendant.get_full_name() or slot.attendant.username
        summary = (
            f"Treinamento agendado para {slot.date:%d/%m/%Y}, {slot.get_shift_display().lower()} "
            f"({slot.hours}), com {who}"
        )
        mov = movimentacao_log(
            ficha,
            author=actor,
            channel=channel,
            reason=Movimentacao.Reason.TRAINING,
            outcome=Movimentacao.Outcome.TALKED,
            text=f"{summary}: {text.strip()}" if not is_placeholder(text) else text,
            bitrix_link=bitrix_link,
            boleto_alert_given=boleto_alert_given,
        )
        try:
            with transaction.atomic():
                booking = TrainingBooking.objects.create(
                    slot=slot, ficha=ficha, booked_by=actor, booked_at=clock.now(), movimentacao=mov
                )
        except IntegrityError:  # the database's guard (one_live_booking_per_ficha)
            raise TransitionRefused(ALREADY_BOOKED, "G5") from None
        timers.arm(booking, "reminder", max(reminder_due(slot), clock.now()), REMINDER_HANDLER)
        _training_step(ficha, "mark_done", actor, summary, evidence=booking)
    return booking


def _training_step(ficha: Ficha, event: str, actor, reason: str, **data) -> None:
    """G7: the onboarding's training step follows the bookings of its ficha."""
    wanted = "pending" if event == "mark_done" else "done"
    for step in OnboardingStep.objects.filter(
        onboarding__ficha=ficha,
        onboarding__state=Onboarding.State.IN_PROGRESS,
        kind=OnboardingStep.Kind.TRAINING,
        state=wanted,
    ):
        transition(step, event, actor=actor, reason=reason, **data)


def training_booking_cancel(
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
        movimentacao_log(
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


def training_rebook(
    booking: TrainingBooking,
    new_slot: TrainingSlot,
    *,
    actor,
    reason: str,
    channel: str = Movimentacao.Channel.PHONE,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> TrainingBooking:
    """G5: move a client to another slot in one transaction: the old booking is cancelled
    and the new seat taken; a full slot refuses and undoes it all, leaving the old booking
    untouched. Both slots are locked first, in pk order (two opposite rebookings queue up)."""
    if new_slot.pk == booking.slot_id:
        raise TransitionRefused("Escolha um horário diferente do atual.", "G5")
    if is_placeholder(reason):
        raise TransitionRefused("Diga por que o treinamento foi remarcado.", "G5")
    with transaction.atomic():
        locked = TrainingSlot.objects.select_for_update().filter(
            pk__in=[booking.slot_id, new_slot.pk]
        )
        list(locked.order_by("pk").values_list("pk", flat=True))
        old = training_booking_cancel(
            booking,
            actor=actor,
            reason=f"remarcado para {new_slot.date:%d/%m/%Y}: {reason.strip()}",
            channel=channel,
            boleto_alert_given=boleto_alert_given,
            _rebooking=True,
        )
        new = training_book(
            new_slot,
            booking.ficha,
            actor=actor,
            channel=channel,
            text=f"remarcado: {reason.strip()}",
            bitrix_link=bitrix_link,
            boleto_alert_given=boleto_alert_given,
        )
        TrainingBooking.objects.filter(pk=old.pk).update(rebooked_as=new)
    return new


def send_training_reminder(booking: TrainingBooking) -> None:
    """G5 timer handler: the day before, remind the client and the support attendant. Each
    e-mail is one `timers.once` step: if the second fails, the retry sends only the second."""
    slot = booking.slot
    ficha = booking.ficha
    who = slot.attendant.get_full_name() or slot.attendant.username
    when = f"{slot.date:%d/%m/%Y}, {slot.get_shift_display().lower()} ({slot.hours})"
    if ficha.email:
        timers.once(
            f"lembrete:cliente:{ficha.email}",
            lambda: send_mail(
                f"Lembrete: seu treinamento é amanhã ({slot.date:%d/%m})",
                f"Olá, {ficha.name}.\n\nLembramos que o seu treinamento está marcado para "
                f"{when}, com {who}, da nossa equipe de suporte.\n\nSe precisar remarcar, "
                "responda este e-mail ou fale com o seu atendente.",
                None,
                [ficha.email],
            ),
        )
    if slot.attendant.email:
        timers.once(
            f"lembrete:atendente:{slot.attendant.email}",
            lambda: send_mail(
                f"Treinamento amanhã: {ficha.name}",
                f"Olá, {who}.\n\nAmanhã, {when}, você dá o treinamento de {ficha.name} "
                f"({ficha.document_display}). Telefone: {ficha.phone_display or 'não informado'}; "
                f"e-mail: {ficha.email or 'não informado'}.",
                None,
                [slot.attendant.email],
            ),
        )
    TrainingBooking.objects.filter(pk=booking.pk).update(reminded_at=clock.now())


def training_mark_held(booking: TrainingBooking, *, actor) -> TrainingBooking:
    """G5: support records that the training took place (on or after its day: the machine's
    `training_day_reached`)."""
    with transaction.atomic():
        booking = transition(booking, "attend", actor=actor, reason="treinamento realizado")
        timers.disarm(booking, "reminder")
    return booking

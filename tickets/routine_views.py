"""The daily routine pages (T8) and "revisar ontem" (T2)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workflows import clock
from workflows.action_views import go, require_roles
from workflows.businessdays import add_business_days
from workflows.models import Movimentacao
from workflows.refusals import TransitionRefused
from workflows.roles import MANAGERS, SUPPORT, SUPPORT_STAFF
from workflows.validators import MAX_DATE, MIN_DATE, parse_sane_date

from . import routine
from .models import RoutineItem


@login_required
def my_routine(request):
    """T8: today's checklist of the signed-in support agent."""
    require_roles(request.user, {SUPPORT})
    context = {"rows": routine.checklist(request.user), "today": clock.today()}
    return render(request, "tickets/routine.html", context)


@login_required
@require_POST
def mark(request, item):
    """T8: mark an item done (a written reason when its count is not zero) or undo it; a
    refusal answers 422 with the row, what was typed kept."""
    require_roles(request.user, {SUPPORT})
    typed = request.POST.get("motivo", "").replace("\x00", "")
    try:
        routine.routine_item_mark(
            request.user, item, done=request.POST.get("feito") != "0", reason=typed
        )
    except TransitionRefused as refused:
        rows = routine.checklist(request.user)
        for row in rows:
            if row["item"] == item:
                row.update(error=refused, typed=typed)
        row = next((r for r in rows if r["item"] == item), None)
        if request.htmx and row is not None:
            return render(request, "tickets/_routine_row.html", {"row": row}, status=422)
        if row is None:
            messages.error(request, refused.message)
        context = {"rows": rows, "today": clock.today()}
        return render(request, "tickets/routine.html", context, status=422)
    if request.htmx:
        row = next((r for r in routine.checklist(request.user) if r["item"] == item), None)
        if row is not None:
            return render(request, "tickets/_routine_row.html", {"row": row})
    return redirect("tickets:routine")


@login_required
def team(request):
    """T8: managers see who completed what, per day."""
    require_roles(request.user, MANAGERS)
    typed = (request.GET.get("dia") or "").strip()
    day = parse_sane_date(typed) or clock.today()
    if typed and day != parse_sane_date(typed):
        messages.error(
            request,
            f"Dia inválido: use uma data entre {MIN_DATE:%d/%m/%Y} e {MAX_DATE:%d/%m/%Y} "
            f"(AAAA-MM-DD). Mostrando hoje.",
        )
    rows = routine.team_report(day)
    context = {
        "day": day,
        "items": list(RoutineItem),
        "rows": rows,
        "has_reasons": any(row["reasons"] for row in rows),
        "previous": add_business_days(day, -1),
        "next": add_business_days(day, 1),
    }
    return render(request, "tickets/routine_team.html", context)


@login_required
def review(request):
    """T2: yesterday's support attendances that look unresolved and have no ticket."""
    require_roles(request.user, SUPPORT_STAFF)
    day = routine.review_day()
    context = {"day": day, "movimentacoes": routine.yesterday_to_review(day=day)}
    return render(request, "tickets/review.html", context)


@login_required
@require_POST
def open_from_review(request, pk):
    require_roles(request.user, SUPPORT_STAFF)
    mov = get_object_or_404(Movimentacao, pk=pk)
    try:
        ticket = routine.ticket_open_from_movimentacao(mov, actor=request.user)
    except TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("tickets:review")
    return go(request, reverse("tickets:detail", args=[ticket.pk]), f"Chamado {ticket.tag} aberto.")

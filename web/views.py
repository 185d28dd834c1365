"""Thin views: read, call a service, render. Rules live in the apps' services and machines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from workflows import roles
from workflows.compiled import compiled
from workflows.engine import TransitionRefused
from workflows.models import AgentProfile, AuditEntry, Ficha, Override
from workflows.rules import RULES
from workflows.services import (
    availability,
    change_from_token,
    decide_data_change,
    record_override,
    waiting_offers,
)
from workflows.validators import only_digits

from .forms import AvailabilityForm
from .sales_views import my_agendamentos
from .search import search_fichas


@compiled
def recent_audit():
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-at", "-pk")[:10]


@login_required
def home(request):
    user = request.user
    context = {
        "is_manager": roles.has_role(user, roles.MANAGER),
        "is_attendant": roles.has_role(
            user, roles.AGENT, roles.SELLER, roles.SUPPORT, roles.CENTRAL
        ),
        "has_no_role": not roles.roles_of(user) and not user.is_superuser,
    }
    if context["is_attendant"]:
        context.update(my_agendamentos(user))
        context["my_status_label"] = AgentProfile.Status(availability(user)).label
        context["availability_form"] = AvailabilityForm()
        context["mine"], context["team"] = waiting_offers(user)
    if context["is_manager"]:
        context["recent_audit"] = recent_audit()
    return render(request, "web/home.html", context)


def _require_attendant(user):
    if not roles.has_role(user, roles.AGENT, roles.SELLER, roles.SUPPORT, roles.CENTRAL):
        raise PermissionDenied("Seu perfil não atende clientes.")


@login_required
def ficha_search(request):
    _require_attendant(request.user)
    term = request.GET.get("q", "").strip()
    fichas = search_fichas(term) if len(term) >= 3 else Ficha.objects.none()
    template = "web/_ficha_results.html" if request.htmx else "web/ficha_search.html"
    local_phone = 8 <= len(only_digits(term)) <= 9 and not fichas
    return render(
        request,
        template,
        {"term": term, "fichas": fichas, "looks_like_local_phone": local_phone},
    )


def _target(ct, pk):
    content_type = get_object_or_404(ContentType, pk=ct)
    model = content_type.model_class()
    if model is None:
        raise Http404
    return content_type, get_object_or_404(model, pk=pk)


def _history_context(content_type, obj):
    machine = getattr(obj, "state_machine_name", "")
    return {
        "machine_anchor": machine.rsplit(".", 1)[-1] if machine else "",
        "object": obj,
        "content_type": content_type,
        "audit": AuditEntry.for_object(obj).select_related("actor"),
        "overrides": Override.for_object(obj).select_related("manager"),
        "rule_choices": sorted(RULES.items()),
    }


@login_required
def history(request, ct, pk):
    content_type, obj = _target(ct, pk)
    context = _history_context(content_type, obj)
    context["can_override"] = roles.has_role(request.user, roles.MANAGER)
    return render(request, "web/history.html", context)


@login_required
@require_POST
def add_override(request, ct, pk):
    """M1 from the record's history page (HTMX): the service enforces role and reason."""
    content_type, obj = _target(ct, pk)
    context = _history_context(content_type, obj)
    context["can_override"] = roles.has_role(request.user, roles.MANAGER)
    try:
        record_override(
            obj,
            manager=request.user,
            rule_id=request.POST.get("rule_id", "").strip().upper()[:8],
            reason=request.POST.get("reason", ""),
        )
    except TransitionRefused as refused:
        context["error"] = refused
        context["form_data"] = request.POST
        status = 403 if not context["can_override"] else 422
        return render(request, "web/_overrides.html", context, status=status)
    messages.success(request, "Exceção registrada no histórico.")
    return render(request, "web/_overrides.html", context)


def holder_validation(request, token):
    """S1: the holder confirms or refuses a third party's change (public, signed link)."""
    try:
        change = change_from_token(token)
    except TransitionRefused as refused:
        return render(request, "web/holder_validation.html", {"error": refused}, status=400)
    context = {"change": change}
    if request.method == "POST":
        try:
            change = decide_data_change(change, confirm=request.POST.get("decision") == "confirm")
            context["change"] = change
            context["done"] = True
        except TransitionRefused as refused:
            context["error"] = refused
    return render(request, "web/holder_validation.html", context)


@login_required
def flows(request):
    """Every state machine of the project, drawn, with its transitions' guards and rules."""
    from workflows.diagrams import machine_svg, project_machines, transitions

    machines = [
        {
            "name": m.__name__,
            "title": (m.__doc__ or m.__name__).strip().splitlines()[0],
            "svg": machine_svg(m),
            "transitions": transitions(m),
        }
        for m in project_machines()
    ]
    return render(request, "web/flows.html", {"machines": machines})

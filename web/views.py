"""Thin views: read, call a service, render. Rules live in the apps' services and machines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from onboarding.registration import data_change_decide
from onboarding.search import search_fichas
from tickets import selectors as ticket_selectors
from workflows import roles, selectors
from workflows.action_views import require_roles
from workflows.availability import availability
from workflows.models import AgentProfile, Ficha, Override
from workflows.ownership import exceptions_offered, override_grant
from workflows.refusals import INPUT, TransitionRefused
from workflows.selectors import audit_rows, describe
from workflows.third_party import change_from_token
from workflows.triage import waiting_offers
from workflows.validators import only_digits

from .console_views import my_agendamentos
from .forms import AvailabilityForm, FichaSearchForm, OverrideForm


@login_required
def home(request):
    user = request.user
    context = {
        "is_manager": roles.is_manager(user),
        # the personal parts (my agendamentos, availability, offers): who attends clients
        "is_attendant": roles.has_role(user, *roles.FRONT_LINE),
        "has_no_role": not roles.roles_of(user) and not user.is_superuser,
    }
    if context["is_attendant"]:
        context.update(my_agendamentos(user))
        context["my_status_label"] = AgentProfile.Status(availability(user)).label
        context["availability_form"] = AvailabilityForm()
        context["mine"], context["team"] = waiting_offers(user)
    if context["is_manager"]:
        context["recent_audit"] = [describe(entry) for entry in selectors.recent_audit()]
    # Support's queue and SLA risk (T6); the support dev's GitHub tickets (T7).
    if roles.has_role(user, roles.SUPPORT):
        context["support"] = ticket_selectors.support_home(user)
    if roles.has_role(user, roles.SUPPORT_DEV):
        context["github_tickets"] = ticket_selectors.github_tickets_of(user)
    return render(request, "web/home.html", context)


@login_required
def ficha_search(request):
    require_roles(request.user, roles.ATTENDANTS)
    search = FichaSearchForm(request.GET)
    template = "web/_ficha_results.html" if request.htmx else "web/ficha_search.html"
    if not search.is_valid():  # over-long or with a NUL byte: say so, search nothing
        error = "Busca inválida: use até 100 caracteres, sem caracteres de controle."
        context = {"term": "", "fichas": [], "search_error": error}
        return render(request, template, context, status=400)
    term = search.cleaned_data["q"].strip()
    fichas = search_fichas(term) if len(term) >= 3 else Ficha.objects.none()
    local_phone = 8 <= len(only_digits(term)) <= 9 and not fichas
    return render(
        request,
        template,
        {"term": term, "fichas": fichas, "looks_like_local_phone": local_phone},
    )


def _target(request, ct, pk):
    """The record whose history is asked: only records of a flow (they have a history),
    only for users who may see that flow's records (403 otherwise)."""
    from workflows.diagrams import flow_models

    content_type = get_object_or_404(ContentType, pk=ct)
    model = content_type.model_class()
    if model not in flow_models():
        raise Http404("Este tipo de registro não tem histórico.")
    require_roles(request.user, model.machine_class().viewers)
    return content_type, get_object_or_404(model, pk=pk)


def _history_context(request, content_type, obj):
    return {
        "machine_anchor": obj.machine_class().__name__,
        "object": obj,
        "content_type": content_type,
        "audit": audit_rows(obj),
        "overrides": Override.for_object(obj).select_related("manager"),
        "exceptions_offered": exceptions_offered(obj),
        "can_override": roles.is_manager(request.user),
    }


@login_required
def history(request, ct, pk):
    content_type, obj = _target(request, ct, pk)
    return render(request, "web/history.html", _history_context(request, content_type, obj))


@login_required
@require_POST
def add_override(request, ct, pk):
    """M1 from the record's history page (HTMX): only the rules an exception would change
    something for on this record, with a written reason."""
    content_type, obj = _target(request, ct, pk)
    require_roles(request.user, roles.MANAGERS)
    form = OverrideForm(request.POST)
    try:
        if not form.is_valid():  # an over-long text or a NUL byte: refused before any write
            raise TransitionRefused(
                "Escolha a regra e escreva a justificativa (até 10.000 caracteres, sem "
                "caracteres de controle).",
                "M1",
                kind=INPUT,
            )
        override_grant(obj, manager=request.user, **form.cleaned_data)
    except TransitionRefused as refused:
        context = _history_context(request, content_type, obj)
        context["error"] = refused
        context["form_data"] = form.cleaned_data if form.is_valid() else {}
        return render(request, "web/_overrides.html", context, status=refused.status_code)
    messages.success(request, "Exceção registrada no histórico.")
    context = _history_context(request, content_type, obj)
    return render(request, "web/_overrides.html", context)


def holder_validation(request, token):
    """S1: the holder confirms or refuses a third party's change (public, signed link); a
    confirmed CPF/CNPJ, e-mail or OAB is compared with the base again (G7)."""
    try:
        change = change_from_token(token)
    except TransitionRefused as refused:
        return render(request, "web/holder_validation.html", {"error": refused}, status=400)
    context = {"change": change}
    if request.method == "POST":
        try:
            change = data_change_decide(change, confirm=request.POST.get("decision") == "confirm")
            context["change"] = change
            context["done"] = True
        except TransitionRefused as refused:
            context["error"] = refused
            return render(
                request, "web/holder_validation.html", context, status=refused.status_code
            )
    return render(request, "web/holder_validation.html", context)


@login_required
def flows(request):
    """Every state machine of the project, drawn, with its actions' conditions and rules."""
    from workflows.diagrams import flow_models, machine_svg, transitions

    machines = [
        {
            "name": model.machine_class().__name__,
            "title": str(model._meta.verbose_name).capitalize(),
            "svg": machine_svg(model.machine_class()),
            "transitions": transitions(model.machine_class()),
        }
        for model in flow_models()
    ]
    return render(request, "web/flows.html", {"machines": machines})

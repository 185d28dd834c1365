"""The one action-view idiom of every app's pages: a form, the service it performs, the
success message and where to go next. HTMX gets the fragment, a normal POST the full page.

- a refusal by role or ownership answers 403, a rule's refusal 422 with its rule IDs, both
  re-rendering the form with what was typed;
- success flashes the message and goes to `next` (only when it is a URL of this site) or to
  the page the view names; HTMX is sent there with HX-Redirect.
"""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .refusals import TransitionRefused
from .roles import has_role

FORM_FRAGMENT = "web/_form.html"
FORM_PAGE = "web/form_page.html"


def require_roles(user, roles, message: str = "Seu perfil não permite esta ação.") -> None:
    """A page or action for these roles only: 403 (with the pt-BR reason) for anyone else."""
    if not has_role(user, *roles):
        raise PermissionDenied(message)


def history_url(obj) -> str:
    """The record's history page (transitions and the manager's exceptions)."""
    content_type = ContentType.objects.get_for_model(obj)
    return reverse("history", args=[content_type.pk, obj.pk])


def posted(request):
    """The submitted data on POST; None on GET, so the form is shown blank (unbound)."""
    return request.POST if request.method == "POST" else None


def safe_next(request, default: str) -> str:
    """The POSTed (or asked) `next` when it points into this site; `default` otherwise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


def go(request, url: str, message: str = ""):
    """After a write: flash the message and send the browser (HTMX or not) to `url`."""
    if message:
        messages.success(request, message)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def form_response(request, context: dict, status: int = 200):
    return render(request, FORM_FRAGMENT if request.htmx else FORM_PAGE, context, status=status)


def act(request, form, *, perform, success, redirect_to, title, submit, form_id, **extra):
    """Run one action: validate, call the service, answer HTMX or plain POST alike.
    An unbound form (GET) is just shown, e.g. when a collapsed card is opened.
    `success` and `redirect_to` may be functions of what `perform` returned (a create view
    goes to the record it made)."""
    refusal = None
    status = 200
    if form.is_bound:
        status = 422
        if form.is_valid():
            try:
                result = perform(form.cleaned_data)
            except TransitionRefused as refused:
                refusal, status = on_fields(form, refused), refused.status_code
            else:
                target = redirect_to(result) if callable(redirect_to) else redirect_to
                message = success(result) if callable(success) else success
                return go(request, safe_next(request, target), message)
    context = {
        "form": form,
        "refusal": refusal,
        "action_url": request.get_full_path(),
        "title": title,
        "submit": submit,
        "form_id": form_id,
        "back_url": redirect_to if isinstance(redirect_to, str) else "",
        **extra,
    }
    return form_response(request, context, status=status)


def act_in_page(request, form, *, perform, success, redirect_to, page):
    """`act` for a form that lives on a page among others (the training slots, an
    onboarding's checklist): validate, call the service, flash and go on success; otherwise
    `page(refusal, status)` renders the whole page again with the form and what was typed
    (422 for a problem of the input or a rule, 403 for a role)."""
    if form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except TransitionRefused as refused:
            return page(refused, refused.status_code)
        target = redirect_to(result) if callable(redirect_to) else redirect_to
        message = success(result) if callable(success) else success
        return go(request, safe_next(request, target), message)
    return page(None, 422)


def on_fields(form, refused: TransitionRefused) -> TransitionRefused | None:
    """Put each problem of a refusal on its form field (all at once, with its rule IDs);
    what belongs to no field stays as the form's alert."""
    loose = []
    for problem in refused.problems:
        if problem.field and problem.field in form.fields:
            rules = f" ({', '.join(problem.rule_ids)})" if problem.rule_ids else ""
            form.add_error(problem.field, f"{problem.message}{rules}")
        else:
            loose.append(problem)
    if loose:
        return TransitionRefused.combine(loose)
    return TransitionRefused("Corrija os campos indicados.", *refused.rule_ids)


def refused_response(request, refusal: TransitionRefused, *, title: str, back_url: str):
    """A refusal before any form: the alert fragment (HTMX) or page, 403 or 422."""
    context = {"form": None, "refusal": refusal, "title": title, "back_url": back_url}
    return form_response(request, context, status=refusal.status_code)


def event_action(obj, event: str, user) -> TransitionRefused | None:
    """Before showing or performing an event's form: what the machine says now (role, state,
    ownership, rules; the typed input is checked when fired). None when it may go on."""
    decision = obj.machine_class().decide(obj, event, actor=user, listing=True)
    return None if decision else TransitionRefused.from_decision(decision)

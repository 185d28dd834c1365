"""G7 pages: the entry point, a new registration and the edit of a ficha's contact data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from workflows.action_views import go, require_roles
from workflows.models import Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import ATTENDANTS, CENTRAL, MANAGER, has_role

from .forms import EditForm, RegistrationForm
from .registration import RegistrationInvalid, ficha_edit, ficha_register


@login_required
def index(request):
    if has_role(request.user, CENTRAL, MANAGER):
        return redirect("onboarding:queue")
    return redirect("onboarding:register")


def _registration_page(request, form, *, ficha=None, errors=None, status=200):
    context = {"form": form, "ficha": ficha, "errors": errors or {}}
    return render(request, "onboarding/register.html", context, status=status)


def _form_errors(form) -> dict[str, str]:
    """What the form refused (too long, NUL bytes…), one pt-BR message per field."""
    return {name: problems[0] for name, problems in form.errors.items()}


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
    require_roles(request.user, ATTENDANTS, message="Seu perfil não cadastra clientes.")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ficha, cases = ficha_register(form.cleaned_data, actor=request.user)
        except RegistrationInvalid as invalid:
            return _registration_page(request, form, errors=invalid.errors, status=422)
        _flash_cases(request, cases)
        return go(request, reverse("ficha_detail", args=[ficha.pk]), "Ficha cadastrada.")
    if form.is_bound:
        return _registration_page(request, form, errors=_form_errors(form), status=422)
    return _registration_page(request, form)


@login_required
def edit(request, pk):
    """Edit the holder's phone and address; a new phone is compared with the base again
    (G7)."""
    require_roles(request.user, ATTENDANTS, message="Seu perfil não edita fichas.")
    ficha = get_object_or_404(Ficha, pk=pk)
    initial = {name: getattr(ficha, name) for name in EditForm.base_fields}
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ficha, cases = ficha_edit(ficha, form.cleaned_data, actor=request.user)
        except RegistrationInvalid as invalid:
            return _registration_page(request, form, ficha=ficha, errors=invalid.errors, status=422)
        except TransitionRefused as refused:
            return _registration_page(
                request, form, ficha=ficha, errors={"form": refused.message}, status=422
            )
        _flash_cases(request, cases)
        return go(request, reverse("ficha_detail", args=[ficha.pk]), "Ficha atualizada.")
    if form.is_bound:
        errors = _form_errors(form)
        return _registration_page(request, form, ficha=ficha, errors=errors, status=422)
    return _registration_page(request, form, ficha=ficha)

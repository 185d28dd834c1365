"""G7 pages: the central team's queue and the case page (tell the client, choose the ficha,
the side-by-side merge, dismiss)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from workflows.action_views import go, history_url, require_roles
from workflows.engine import actions_for
from workflows.models import Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import CENTRAL_TEAM
from workflows.templatetags.balcao import dmy_hm
from workflows.validators import format_cep, format_phone

from .duplicates import (
    central_queue,
    duplicate_case_choose_kept,
    duplicate_case_dismiss,
    duplicate_case_inform_client,
)
from .forms import ChooseKeptForm, ContactForm, ReasonForm
from .keys import KEY_LABELS
from .merge import (
    ADDRESS_FIELDS,
    ADDRESS_GROUP,
    MERGE_FIELDS,
    choice_key,
    conflicting_fields,
    duplicate_case_merge,
)
from .models import DuplicateCase


def _require_central(user):
    require_roles(
        user,
        CENTRAL_TEAM,
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
        {"cases": central_queue(), "closed": closed.order_by("-closed_at", "-pk")[:20]},
    )


def _side_by_side(case):
    """Rows of the comparison table: label, value on ficha A, value on ficha B, differs."""
    a, b = case.ficha_a, case.ficha_b
    rows = []
    for name in ("document", *MERGE_FIELDS, "status", "created_at"):
        if name in ADDRESS_FIELDS:  # the address is one row, as it is chosen whole
            if name == ADDRESS_GROUP:
                rows.append(
                    {
                        "name": name,
                        "label": "endereço",
                        "a": a.address_display,
                        "b": b.address_display,
                    }
                )
            continue
        field = Ficha._meta.get_field(name)
        va, vb = getattr(a, name), getattr(b, name)
        if name == "document":
            va, vb = a.document_display, b.document_display
        elif name == "phone":
            va, vb = a.phone_display, b.phone_display
        elif name == "status":
            va, vb = a.get_status_display(), b.get_status_display()
        elif name == "created_at":  # dd/mm/aaaa like every other date (not "1 de Dezembro")
            va, vb = dmy_hm(localtime(va)), dmy_hm(localtime(vb))
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
    for name in dict.fromkeys(map(choice_key, conflicting_fields(kept, discarded))):
        kept_value, other_value = getattr(kept, name), getattr(discarded, name)
        label = Ficha._meta.get_field(name).verbose_name
        if name == "phone":
            kept_value, other_value = kept.phone_display, discarded.phone_display
        elif name == ADDRESS_GROUP:  # one choice for the whole address
            kept_value, other_value = kept.address_display, discarded.address_display
            label = "endereço"
        fields.append(
            {
                "name": name,
                "label": label,
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


_RECORD_FORMATS = {"phone": format_phone, "cep": format_cep}


def _shown(name: str, entry: dict) -> dict:
    """A merge record's field entry with its values as pages show them (CEP 01310-100)."""
    show = _RECORD_FORMATS.get(name)
    if show is None:
        return entry
    return {k: show(v) if k != "choice" and v else v for k, v in entry.items()}


def _record_context(record):
    if record is None:
        return {}
    return {
        "moved_rows": [(_model_label(k), k, ids) for k, ids in record.moved.items()],
        "left_rows": [(_model_label(k), k, ids) for k, ids in record.left_in_place.items()],
        "field_rows": [
            (Ficha._meta.get_field(name).verbose_name, _shown(name, entry))
            for name, entry in record.fields.items()
        ],
    }


def _case_page(request, case, *, refusal=None, forms=None, status=200):
    forms = forms or {}
    record = getattr(case, "merge_record", None) if case.state == case.State.MERGED else None
    initial = {"kept": str(case.kept_id)} if case.kept_id else None
    context = {
        "case": case,
        "actions": actions_for(case, request.user),
        "rows": _side_by_side(case),
        "merge_fields": _merge_fields(case),
        "record": record,
        **_record_context(record),
        "refusal": refusal,
        "key_labels": KEY_LABELS,
        "inform_form": forms.get("inform") or ContactForm(),
        "choose_form": forms.get("choose") or ChooseKeptForm(case=case, initial=initial),
        "dismiss_form": forms.get("dismiss") or ReasonForm(),
        "history_url": history_url(case),
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


def _first_error(form) -> str:
    """The first problem of an invalid form, with its field's label: shown as the page's alert
    too, since a section whose action is not allowed now does not draw its form."""
    name, problems = next(iter(form.errors.items()))
    field = form.fields.get(name)
    return f"{field.label}: {problems[0]}" if field is not None else problems[0]


def _case_action(request, pk, form_key, form, perform, success):
    case = _get_case(pk)
    _require_central(request.user)
    if not form.is_valid():
        refusal = TransitionRefused(_first_error(form), "G7")
        return _case_page(request, case, refusal=refusal, forms={form_key: form}, status=422)
    try:
        perform(case, form.cleaned_data)
    except TransitionRefused as refused:
        return _case_page(
            request, case, refusal=refused, forms={form_key: form}, status=refused.status_code
        )
    return go(request, reverse("onboarding:case", args=[case.pk]), success)


@login_required
@require_POST
def case_inform(request, pk):
    return _case_action(
        request,
        pk,
        "inform",
        ContactForm(request.POST),
        lambda case, d: duplicate_case_inform_client(case, actor=request.user, **d),
        "Movimentação registrada.",
    )


@login_required
@require_POST
def case_choose(request, pk):
    case = _get_case(pk)

    def perform(case, d):
        kept = case.ficha_a if d["kept"] == str(case.ficha_a_id) else case.ficha_b
        duplicate_case_choose_kept(case, actor=request.user, kept=kept, answer=d["answer"])

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
        duplicate_case_merge(case, actor=request.user, choices=choices)
    except TransitionRefused as refused:
        return _case_page(request, case, refusal=refused, status=refused.status_code)
    return go(request, reverse("onboarding:case", args=[case.pk]), "Fichas unificadas (G7).")


@login_required
@require_POST
def case_dismiss(request, pk):
    return _case_action(
        request,
        pk,
        "dismiss",
        ReasonForm(request.POST),
        lambda case, d: duplicate_case_dismiss(case, actor=request.user, reason=d["reason"]),
        "Caso descartado: não é duplicidade.",
    )

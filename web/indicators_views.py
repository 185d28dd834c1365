"""Indicadores (issue 19): the rulebook's figures for a period against the one before, per
section; the records behind each figure; their XLSX export; the sales-per-day chart.

Managers see the team (and may pick one member); any other staff role sees only their own
figures, whatever `membro` says. Each domain declares its sections beside its pages
(`workflows/indicators_*.py`, `onboarding/indicators.py`, `tickets/indicators.py`);
`web.indicators_sections` puts them in order.
"""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tickets.models import Ticket
from workflows import clock
from workflows import indicators as ind
from workflows.action_views import require_roles
from workflows.models import Movimentacao, Product
from workflows.roles import STAFF, is_manager

from .export import xlsx_response
from .indicators_sections import FIGURES, SECTIONS, TABLES

PAGE_SIZE = 50
# The channel filter: how a client reached us (atendimentos and chamados have one).
CHANNELS = {**dict(Ticket.Channel.choices), **dict(Movimentacao.Channel.choices)}

# --- The scope of a request --------------------------------------------------------------


def team_members():
    return (
        get_user_model()
        .objects.filter(groups__name__in=STAFF, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _pick(raw: str, options, what: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ind.IndicatorError(f"{what} inválido: escolha um da lista.")
    found = options.filter(pk=int(raw)).first()
    if found is None:
        raise ind.IndicatorError(f"{what} inválido: escolha um da lista.")
    return found


def scope_of(request) -> tuple[ind.Scope, bool]:
    """(scope, team) from the query string; raises IndicatorError with the pt-BR reason."""
    user = request.user
    team = is_manager(user)
    period = ind.resolve_period(request.GET, clock.today())
    member = user  # an agent's own figures only, whatever `membro` says
    if team:
        member = _pick(request.GET.get("membro"), team_members(), "Membro da equipe")
    product = _pick(request.GET.get("produto"), Product.objects.all(), "Produto")
    channel = (request.GET.get("canal") or "").strip()
    if channel and channel not in CHANNELS:
        raise ind.IndicatorError("Canal inválido: escolha um da lista.")
    return ind.Scope(period, member, product, channel), team


def query_of(scope: ind.Scope, team: bool, **changes) -> str:
    """The query string of the scope (what the links and exports carry), with changes."""
    period = scope.period
    params = {"periodo": period.key}
    if period.key == "personalizado":
        params |= {"de": period.start.isoformat(), "ate": period.end.isoformat()}
    if team and scope.member is not None:
        params["membro"] = scope.member.pk
    if scope.product is not None:
        params["produto"] = scope.product.pk
    if scope.channel:
        params["canal"] = scope.channel
    params |= changes
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _form_context(request, team: bool) -> dict:
    return {
        "periods": ind.PERIODS.items(),
        "asked": request.GET,
        "team": team,
        "members": team_members() if team else (),
        "products": Product.objects.order_by("name"),
        "channels": CHANNELS.items(),
    }


def _error_page(request, template: str, message: str):
    team = is_manager(request.user)
    context = {**_form_context(request, team), "error": message, "title": "Indicadores"}
    return render(request, template, context, status=400)


# --- Page --------------------------------------------------------------------------------


def chart_of(days: list[dict], by: str = "total", width: int = 600, height: int = 160) -> dict:
    """The per-day bars (of the day's total, or its count) as SVG coordinates (the labels are
    HTML, readable at 390 px). Coordinates are strings with a dot: the template would
    localise floats ("12,9")."""
    top = max((float(d[by]) for d in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
    for n, day in enumerate(days):
        h = float(day[by]) / top * (height - 4)
        coords = {"x": n * step + step * 0.15, "w": step * 0.7, "y": height - h, "h": h}
        bars.append({**day, **{k: f"{v:.1f}" for k, v in coords.items()}})
    return {"width": width, "height": height, "bars": bars}


def _chart(block) -> dict | None:
    series = block["section"].series
    if not block["series"]:
        return None
    return chart_of(block["series"], "total" if series.total else "count")


class _Links:
    """The links of one page: the records behind each figure, built once per figure (a page
    has a hundred of them and ~16 figures)."""

    def __init__(self, scope, team):
        self.scope, self.team = scope, team
        self.query = query_of(scope, team)
        self.lists: dict[str, str] = {}

    def records(self, key: str, **changes) -> str:
        if key not in self.lists:
            self.lists[key] = reverse("indicators:list", args=[key])
        query = query_of(self.scope, self.team, **changes) if changes else self.query
        return f"{self.lists[key]}?{query}"


def _tile(item, value, links: _Links):
    url = ""
    if isinstance(item, ind.Figure) and item.drill:
        url = links.records(item.key)
    return {"item": item, "value": value, "url": url}


def _table(block, links: _Links):
    breakdown = block["breakdown"]
    first = breakdown.figures[0]
    linked = breakdown.link and (links.team or breakdown.link != "membro")
    rows = []
    for row in block["rows"]:
        link = ""
        if linked and row["key"] is not None:
            link = links.records(first.key, **{breakdown.link: row["key"]})
        rows.append({**row, "link": link})
    return {"breakdown": breakdown, "rows": rows}


@login_required
@require_GET
def page(request):
    require_roles(request.user, STAFF)
    try:
        scope, team = scope_of(request)
    except ind.IndicatorError as error:
        return _error_page(request, "web/indicators/page.html", error.message)
    sections = ind.visible_sections(SECTIONS, request.user, team)
    links = _Links(scope, team)
    blocks = []
    for block in ind.compute(sections, scope, team=team):
        blocks.append(
            {
                "section": block["section"],
                "tiles": [_tile(i, v, links) for i, v in block["tiles"]],
                "tables": [_table(b, links) for b in block["breakdowns"]],
                "series": block["series"],
                "chart": _chart(block),
            }
        )
    context = {
        **_form_context(request, team),
        "scope": scope,
        "previous": scope.previous,
        "blocks": blocks,
        "query": links.query,
        "export_url": reverse("indicators:export"),
        "title": "Indicadores",
    }
    return render(request, "web/indicators/page.html", context)


# --- Export of the tables ----------------------------------------------------------------


def _value_cells(value: ind.Value) -> list[tuple]:
    if value.duration:
        return [(value.current, "duration"), (value.previous, "duration"), (value.change, "text")]
    kind = "percent" if value.rate else "money" if value.money else "int"
    return [(value.current, kind), (value.previous, kind), (value.change, "text")]


def _sheets(blocks, scope, only: str = "") -> list:
    period, previous = scope.period.label, scope.previous.label
    sheets = []
    if not only:
        rows = [
            [(b["section"].title, "text"), (item.label, "text"), *_value_cells(value)]
            for b in blocks
            for item, value in b["tiles"]
        ]
        headers = ["Seção", "Indicador", period, f"Anterior ({previous})", "Variação"]
        sheets.append(("Resumo", headers, rows))
    for block in blocks:
        for table in block["breakdowns"]:
            breakdown = table["breakdown"]
            if only and breakdown.slug != only:
                continue
            headers = ["Nome"]
            for item in breakdown.figures:
                headers += [item.label, f"{item.label} (anterior)", f"{item.label} (variação)"]
            rows = [
                [(row["label"], "text")] + [c for v in row["values"] for c in _value_cells(v)]
                for row in table["rows"]
            ]
            sheets.append((breakdown.title, headers, rows))
        series = block["section"].series
        if block["series"] and (not only or only == series.slug):
            money = series.total is not None
            rows = [
                [(d["day"], "date"), (d["count"], "int")] + ([(d["total"], "money")] * money)
                for d in block["series"]
            ]
            headers = ["Dia", series.count_label] + ["Valor"] * money
            sheets.append((series.title, headers, rows))
    return sheets


@login_required
@require_GET
def export(request):
    """Every indicator table of the page (or only `tabela`) as one XLSX workbook."""
    require_roles(request.user, STAFF)
    try:
        scope, team = scope_of(request)
    except ind.IndicatorError as error:
        return _error_page(request, "web/indicators/page.html", error.message)
    only = request.GET.get("tabela", "")
    series = {s.series.slug for s in SECTIONS if s.series}
    if only and only not in TABLES and only not in series:
        return _error_page(request, "web/indicators/page.html", "Tabela desconhecida.")
    sections = ind.visible_sections(SECTIONS, request.user, team)
    blocks = ind.compute(sections, scope, team=team)
    name = f"indicadores-{scope.period.start:%Y%m%d}-{scope.period.end:%Y%m%d}"
    return xlsx_response(name, _sheets(blocks, scope, only))


# --- The records behind a figure ---------------------------------------------------------


def _drill(request, key: str):
    """The scope asked and the figure `key` whose records are listed (or exported): 403 for
    no role, 404 for a figure unknown or hidden from this user, IndicatorError for bad
    parameters."""
    require_roles(request.user, STAFF)
    scope, team = scope_of(request)
    return (scope, team, *_figure_for(request, key, team))


def _figure_for(request, key: str, team: bool):
    figure = FIGURES.get(key)
    if figure is None or not figure.drill:
        raise Http404("Indicador desconhecido.")
    section = next(s for s in SECTIONS if key in ind.figure_index([s]))
    if section not in ind.visible_sections([section], request.user, team):
        raise Http404("Indicador desconhecido.")
    return figure, section


@login_required
@require_GET
def records(request, key):
    try:
        scope, team, figure, section = _drill(request, key)
    except ind.IndicatorError as error:
        return _error_page(request, "web/indicators/list.html", error.message)
    page_obj = Paginator(figure.rows(scope), PAGE_SIZE).get_page(request.GET.get("pagina"))
    source = figure.source
    rows = [
        {
            "url": source.link(row) if source.link else "",
            "cells": [(c.value(row), c.kind) for c in source.columns],
        }
        for row in page_obj.object_list
    ]
    query = query_of(scope, team)
    context = {
        **_form_context(request, team),
        "figure": figure,
        "section": section,
        "scope": scope,
        "headers": [c.header for c in source.columns],
        "rows": rows,
        "page": page_obj,
        "query": query,
        "title": f"{figure.label} · {section.title}",
    }
    return render(request, "web/indicators/list.html", context)


@login_required
@require_GET
def records_export(request, key):
    try:
        scope, _team, figure, section = _drill(request, key)
    except ind.IndicatorError as error:
        return _error_page(request, "web/indicators/list.html", error.message)
    columns = figure.source.columns
    rows = ([(c.value(row), c.kind) for c in columns] for row in figure.rows(scope).iterator(2000))
    sheet = (f"{section.title} - {figure.label}", [c.header for c in columns], rows)
    return xlsx_response(f"{key}-{scope.period.start:%Y%m%d}-{scope.period.end:%Y%m%d}", [sheet])

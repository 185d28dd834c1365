from django import template
from django.utils.html import format_html

from workflows.formatting import brl as format_brl

register = template.Library()


@register.filter
def brl(value):
    return format_brl(value)


# `|date:"d/m/Y"` costs ~30 µs a call (format lookup per call); a list of 50 rows pays it
# on every row. These give the same text.


@register.filter(expects_localtime=True)
def dmy(value):
    """31/12/2026 from a date or a datetime (in the local time zone)."""
    return _strftime(value, "%d/%m/%Y")


@register.filter(expects_localtime=True)
def dmy_hm(value):
    """31/12/2026 14:05 from a datetime in the local time zone."""
    return _strftime(value, "%d/%m/%Y %H:%M")


@register.filter(expects_localtime=True)
def dm_hm(value):
    """31/12 14:05: a deadline close enough to need no year."""
    return _strftime(value, "%d/%m %H:%M")


def _strftime(value, pattern: str) -> str:
    """Like the `date` filter: nothing for an empty or non-date value."""
    try:
        return value.strftime(pattern) if value else ""
    except AttributeError:
        return ""


@register.filter
def person(user, default="—"):
    """A user's full name, else username; `default` for nobody (e.g. "sistema")."""
    if user is None or user == "":
        return default
    if isinstance(user, str):
        return user
    return user.get_full_name() or user.username


@register.filter
def change(value):
    """An indicator's change against the period before (▲/▼ %), coloured by better or worse,
    the verdict said for screen readers: one call per cell of the Indicadores tables."""
    return format_html(
        '<span class="ind-change ind-{}" title="{}">{}<span class="sr-only"> ({})</span></span>',
        value.verdict,
        value.verdict_label,
        value.change,
        value.verdict_label,
    )

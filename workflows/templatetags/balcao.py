import functools

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

from workflows.compiled import SAMPLE_PK
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


# `{% url %}` costs ~30 µs a call (resolver lookup, quoting, a regex check of the result); the
# lists of the console and the SLA queue make 50–80 of them. This `url` replaces Django's
# everywhere (a builtin library loads after Django's): it reverses each (view, argument shape)
# once and then only formats the numbers in.


@functools.lru_cache(maxsize=1024)
def _url_pattern(urlconf, prefix, current_app, view_name, shape) -> str | None:
    """The URL of `view_name` with `{0}`, `{1}`… where the numeric arguments go; `shape` holds
    None for each numeric argument and the other (text) arguments themselves. None when the
    pattern does not take plain numbers there, so the caller falls back to `reverse`.
    `urlconf` and `prefix` (the script prefix) key the cache: the same view may reverse
    differently under another."""
    samples = [SAMPLE_PK + i if arg is None else arg for i, arg in enumerate(shape)]
    try:
        url = reverse(view_name, args=samples, current_app=current_app, urlconf=urlconf)
    except NoReverseMatch:
        return None
    url = url.replace("{", "{{").replace("}", "}}")
    numbers = [str(SAMPLE_PK + i) for i, arg in enumerate(shape) if arg is None]
    for slot, number in enumerate(numbers):
        if url.count(number) != 1:
            return None
        url = url.replace(number, f"{{{slot}}}")
    return url


def _is_number(arg) -> bool:
    if type(arg) is int:
        return arg >= 0
    return type(arg) is str and arg.isascii() and arg.isdigit()


def cached_reverse(view_name, args=(), current_app=None) -> str:
    """`reverse(view_name, args=args)`, from `_url_pattern` when every argument is a
    non-negative number (or digits) or a fixed text. Assumes what Django's built-in path
    converters do: a number goes into the URL as its digits."""
    shape, numbers = [], []
    for arg in args:
        if _is_number(arg):
            shape.append(None)
            numbers.append(arg)
        elif type(arg) is str:
            shape.append(arg)
        else:
            return reverse(view_name, args=args, current_app=current_app)
    pattern = _url_pattern(get_urlconf(), get_script_prefix(), current_app, view_name, tuple(shape))
    if pattern is None:
        return reverse(view_name, args=args, current_app=current_app)
    return pattern.format(*numbers)


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        try:  # the same current app as Django's tag
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        try:
            url = cached_reverse(view_name, args, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax), reversing through `cached_reverse`."""
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)

from django import template

from workflows.formatting import brl as format_brl

register = template.Library()


@register.filter
def brl(value):
    return format_brl(value)

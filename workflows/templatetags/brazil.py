"""How every page shows Brazilian data: `{% load brazil %}`, then `{{ ficha.phone|phone }}`
("(11) 98765-4321") and `{{ ficha.document|document }}` ("12.ABC.345/01DE-35")."""

from django import template

from workflows.validators import format_document, format_phone

register = template.Library()


@register.filter
def phone(value):
    """A stored phone (E.164) in national form, "(11) 98765-4321"; a value that is no valid
    number as it was typed; "" for nothing."""
    return format_phone(value) if value else ""


@register.filter
def document(value):
    """A CPF (123.456.789-09) or CNPJ (12.345.678/0001-95, 12.ABC.345/01DE-35) with its
    punctuation; "" for nothing."""
    return format_document(str(value)) if value else ""

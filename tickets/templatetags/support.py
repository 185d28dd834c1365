from django import template

register = template.Library()


@register.filter
def capped(n):
    """A count from selectors.capped_counts: "999+" past the cap."""
    from tickets.selectors import capped_label

    return capped_label(n)


@register.filter
def get_label(mapping, key):
    """mapping[key], or the key itself when missing."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key

from django import template

register = template.Library()


@register.filter
def person(user, default="—"):
    """A user's full name, else username; `default` for nobody."""
    if user is None or user == "":
        return default
    if isinstance(user, str):
        return user
    return user.get_full_name() or user.username


@register.filter
def capped(n):
    """A count from services.capped_counts: "999+" past the cap."""
    from tickets.services import capped_label

    return capped_label(n)


@register.filter
def get_label(mapping, key):
    """mapping[key], or the key itself when missing."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key

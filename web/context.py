"""Navigation per role: each user sees the areas their roles work in."""

from django.urls import reverse

from workflows import roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("Início", reverse("home"))]
    if roles.has_role(user, roles.AGENT, roles.SELLER, roles.SUPPORT, roles.CENTRAL):
        items.append(("Fichas", reverse("ficha_search")))
    if roles.has_role(user, roles.MANAGER):
        items.append(("Gestor", reverse("manager_console")))
    items.append(("Fluxos", reverse("flows")))
    if user.is_staff:
        items.append(("Administração", reverse("admin:index")))
    return {
        "nav_items": items,
        "user_roles": [roles.LABELS[r] for r in roles.ALL if r in roles.roles_of(user)],
    }

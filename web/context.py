"""Navigation per role: each user sees the areas their roles work in."""

from django.urls import reverse

from workflows import roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    mine = roles.ALL if user.is_superuser else roles.roles_of(user)  # has_role, asked once

    def has(*wanted):
        return any(role in mine for role in wanted)

    items = [("Início", reverse("home"))]
    if has(*roles.ATTENDANTS):
        items.append(("Fichas", reverse("ficha_search")))
        items.append(("Cadastros", reverse("onboarding:register")))
        items.append(("Onboardings", reverse("onboarding:onboarding_list")))
    if has(*roles.CENTRAL_TEAM):
        items.append(("Duplicidades", reverse("onboarding:queue")))
    if has(*roles.STAFF):
        items.append(("Treinamentos", reverse("onboarding:slots")))
    if has(*roles.SUPPORT_ALL):
        items.append(("Chamados", reverse("tickets:list")))
    if has(roles.SUPPORT):
        items.append(("Rotina do suporte", reverse("tickets:routine")))
    if has(*roles.MANAGERS):
        items.append(("Gestor", reverse("manager_console")))
        items.append(("Rotina da equipe", reverse("tickets:routine_team")))
    if has(*roles.STAFF):
        items.append(("Indicadores", reverse("indicators:page")))
    items.append(("Fluxos", reverse("flows")))
    if user.is_staff:
        items.append(("Administração", reverse("admin:index")))
    return {
        "nav_items": items,
        "nav_urls": {url for _, url in items},  # pages' own menus show only these
        "user_roles": [roles.LABELS[r] for r in roles.ALL if r in roles.roles_of(user)],
    }

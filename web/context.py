"""Navigation per role: each user sees the areas their roles work in."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from workflows import roles


def link(name: str) -> str:
    """The URL of a page without arguments, as `reverse(name)` gives it: reversed once per
    process for each script prefix and URLconf (neither changes what an argument-free name
    gives). The menu's links are on every page: reversing them each time was ~0.5 ms of a
    request."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.cache
def _reversed(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    mine = roles.ALL if user.is_superuser else roles.roles_of(user)  # has_role, asked once

    def has(*wanted):
        return any(role in mine for role in wanted)

    items = [("Início", link("home"))]
    if has(*roles.ATTENDANTS):
        items.append(("Fichas", link("ficha_search")))
        items.append(("Cadastros", link("onboarding:register")))
        items.append(("Onboardings", link("onboarding:onboarding_list")))
    if has(*roles.CENTRAL_TEAM):
        items.append(("Duplicidades", link("onboarding:queue")))
    if has(*roles.STAFF):
        items.append(("Treinamentos", link("onboarding:slots")))
    if has(*roles.SUPPORT_ALL):
        items.append(("Chamados", link("tickets:list")))
    if has(roles.SUPPORT):
        items.append(("Rotina do suporte", link("tickets:routine")))
    if has(*roles.MANAGERS):
        items.append(("Gestor", link("manager_console")))
        items.append(("Rotina da equipe", link("tickets:routine_team")))
    if has(*roles.STAFF):
        items.append(("Indicadores", link("indicators:page")))
    items.append(("Fluxos", link("flows")))
    if user.is_staff:
        items.append(("Administração", link("admin:index")))
    return {
        "nav_items": items,
        "logout_url": link("logout"),
        "nav_urls": {url for _, url in items},  # pages' own menus show only these
        "user_roles": [roles.LABELS[r] for r in roles.ALL if r in roles.roles_of(user)],
    }

"""Navigation per role: each user sees the areas their roles work in."""

from workflows import roles
from workflows.templatetags.balcao import cached_reverse


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("Início", cached_reverse("home"))]
    if roles.has_role(user, roles.AGENT, roles.SELLER, roles.SUPPORT, roles.CENTRAL):
        items.append(("Fichas", cached_reverse("ficha_search")))
    if roles.has_role(user, *roles.ATTENDANTS):
        items.append(("Cadastros", cached_reverse("onboarding:register")))
        items.append(("Onboardings", cached_reverse("onboarding:onboarding_list")))
    if roles.has_role(user, roles.CENTRAL, roles.MANAGER):
        items.append(("Duplicidades", cached_reverse("onboarding:queue")))
    if roles.has_role(user, *roles.ATTENDANTS, roles.SUPPORT_DEV):
        items.append(("Treinamentos", cached_reverse("onboarding:slots")))
    if roles.has_role(user, roles.SUPPORT, roles.SUPPORT_DEV, roles.MANAGER):
        items.append(("Chamados", cached_reverse("tickets:list")))
    if roles.has_role(user, roles.SUPPORT):
        items.append(("Rotina do suporte", cached_reverse("tickets:routine")))
    if roles.has_role(user, roles.MANAGER):
        items.append(("Gestor", cached_reverse("manager_console")))
        items.append(("Rotina da equipe", cached_reverse("tickets:routine_team")))
    items.append(("Fluxos", cached_reverse("flows")))
    if user.is_staff:
        items.append(("Administração", cached_reverse("admin:index")))
    return {
        "nav_items": items,
        "user_roles": [roles.LABELS[r] for r in roles.ALL if r in roles.roles_of(user)],
    }

"""The roles of RULES.md, as Django groups (created by a data migration)."""

AGENT = "agent"
SELLER = "seller"
SUPPORT = "support"
SUPPORT_DEV = "support_dev"
CENTRAL = "central"
MANAGER = "manager"

LABELS = {
    AGENT: "Atendente",
    SELLER: "Comercial",
    SUPPORT: "Suporte",
    SUPPORT_DEV: "Suporte (desenvolvimento)",
    CENTRAL: "Central de cadastros",
    MANAGER: "Gestor",
}
ALL = tuple(LABELS)
# Everyone who talks to clients and may open a ficha.
ATTENDANTS = frozenset({AGENT, SELLER, SUPPORT, CENTRAL, MANAGER})


def roles_of(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_balcao_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._balcao_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return bool(roles_of(user) & set(roles))

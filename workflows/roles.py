"""The roles of RULES.md, as Django groups (created by a data migration), and every role set
the project uses: navigation, views, services and machines all read these, nothing else."""

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

# Everyone who talks to clients and may open a ficha (managers included).
ATTENDANTS = frozenset({AGENT, SELLER, SUPPORT, CENTRAL, MANAGER})
# Who may own an agendamento or receive a commission: attendants who are not only managers.
FRONT_LINE = frozenset({AGENT, SELLER, SUPPORT, CENTRAL})
MANAGERS = frozenset({MANAGER})
# Who takes clients passed on by the 1º passo or the 3º passo (S8).
SELLERS = frozenset({SELLER, MANAGER})
# The central team owns duplicate registrations (G7).
CENTRAL_TEAM = frozenset({CENTRAL, MANAGER})
# Support: who works tickets and romaneios, and who also sees the development board.
SUPPORT_STAFF = frozenset({SUPPORT, MANAGER})
SUPPORT_ALL = frozenset({SUPPORT, SUPPORT_DEV, MANAGER})
# Who may open a ficha's pages or the training calendar: attendants and support devs.
STAFF = ATTENDANTS | {SUPPORT_DEV}


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


def is_manager(user) -> bool:
    return has_role(user, *MANAGERS)

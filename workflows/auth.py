"""Authentication backend: the signed-in user is read together with their roles."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connection

from .availability import attach_availability, availability_join
from .roles import ALL


class RolesBackend(ModelBackend):
    """Loads the signed-in user with their roles in one query: every page asks for them
    (navigation, permissions). Plain SQL because the ORM spelling of the same query (one
    EXISTS per role) cost more to build than a second query."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.raw(_user_with_roles_sql(), [*ALL, user_id])
        user = next(iter(users), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        bits = user.role_bits or 0  # NULL: no groups at all
        user._balcao_roles = frozenset(role for i, role in enumerate(ALL) if bits >> i & 1)
        attach_availability(user, user, "p")  # S9: the Início and the menus say it
        return user


@functools.cache
def _user_with_roles_sql() -> str:
    """The user's row plus `role_bits`, bit i set when they are in the group roles.ALL[i],
    and their availability (S9)."""
    User = get_user_model()
    q = connection.ops.quote_name
    user, link, group = (
        q(User._meta.db_table),
        q(User.groups.through._meta.db_table),
        q(Group._meta.db_table),
    )
    pk = q(User._meta.pk.column)
    bits = " ".join(f"WHEN %s THEN {1 << i}" for i in range(len(ALL)))
    profile_columns, profile_join = availability_join("p", f"{user}.{pk}")
    return (
        f"SELECT {user}.*, (SELECT SUM(CASE g.name {bits} ELSE 0 END)"
        f" FROM {link} ug JOIN {group} g ON g.id = ug.group_id"
        f" WHERE ug.user_id = {user}.{pk}) AS role_bits, {profile_columns}"
        f" FROM {user}{profile_join} WHERE {user}.{pk} = %s"
    )

"""S8, S9: who is available, absent or on vacation today."""

import datetime as dt

from . import clock
from .models import (
    AgentProfile,
)
from .raw_reads import columns_as, related_from
from .refusals import TransitionRefused
from .roles import SELLER


def availability(user, day: dt.date | None = None) -> str:
    """S9: the user's situation on `day`; no query when the profile came with the user
    (`select_related("agent_profile")`, or an agendamento's owner from `live_agendamentos`)."""
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return AgentProfile.Status.AVAILABLE
    return profile.status_on(day or clock.today())


def set_availability(user, status: str, vacation_from=None, vacation_until=None) -> AgentProfile:
    if status not in AgentProfile.Status.values:
        raise TransitionRefused("Escolha uma situação válida.", "S9")
    if status == AgentProfile.Status.VACATION and not (vacation_from and vacation_until):
        raise TransitionRefused("Informe o início e o fim das férias.", "S9")
    if vacation_from and vacation_until and vacation_until < vacation_from:
        raise TransitionRefused("O fim das férias vem antes do início.", "S9")
    profile, _ = AgentProfile.objects.update_or_create(
        user=user,
        defaults={
            "status": status,
            "vacation_from": vacation_from,
            "vacation_until": vacation_until,
        },
    )
    user.agent_profile = profile  # later reads through this user see the new situation
    return profile


def sellers_available(exclude=None):
    """Attendants who can take a client now (S8 hand-off, S9)."""
    from django.contrib.auth import get_user_model

    day = clock.today()
    users = get_user_model().objects.filter(groups__name=SELLER, is_active=True).distinct()
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return [u for u in users if availability(u, day) == AgentProfile.Status.AVAILABLE]


# S9: a user's availability read in the same query as the user (workflows/raw_reads.py).
_PROFILE = ("id", "user_id", "status", "vacation_from", "vacation_until")


def availability_join(alias: str, user_column: str) -> tuple[str, str]:
    """S9: the columns and the LEFT JOIN that read a user's availability in the same query
    (`attach_availability`)."""
    return (
        columns_as(alias, _PROFILE),
        f" LEFT JOIN {AgentProfile._meta.db_table} {alias} ON {alias}.user_id = {user_column}",
    )


def attach_availability(user, row, alias: str) -> None:
    """S9: the availability read with `availability_join`, where `availability` reads it."""
    if getattr(row, f"{alias}__id") is None:
        # None saved: what `availability` reads for a missing one (available), without asking
        # the database again. Never saved from here.
        user.agent_profile = AgentProfile(user=user)
    else:
        user.agent_profile = related_from(AgentProfile, row, alias, _PROFILE)

"""Who else is on a ticket's page right now (the collision warning of the ticket page): Django's
cache only (locmem or Redis), one short-lived key per ticket, user and what they do (viewing,
replying). Nothing is written to the database.
"""

from django.core.cache import cache

from . import desk

PRESENCE_SECONDS = 30  # a view lasts this long without a poll (the page polls every 10 s)
REPLYING_SECONDS = 20  # "is replying" lasts this long after the last keystroke


def _presence_key(ticket_id: int, user_id: int, what: str) -> str:
    return f"ticket-presence:{ticket_id}:{user_id}:{what}"


def presence_mark(ticket_id: int, user, *, replying: bool = False) -> None:
    """The user is on the ticket's page (and typing a reply, `replying`) now."""
    cache.set(_presence_key(ticket_id, user.pk, "viewing"), 1, PRESENCE_SECONDS)
    if replying:
        cache.set(_presence_key(ticket_id, user.pk, "replying"), 1, REPLYING_SECONDS)


def presence_of(ticket_id: int, user) -> list[dict]:
    """Who else is on the ticket now: [{"name", "replying"}], those replying first."""
    people = [p for p in desk.support_people() if p.pk != user.pk]
    keys = [_presence_key(ticket_id, p.pk, w) for p in people for w in ("viewing", "replying")]
    found = cache.get_many(keys) if keys else {}
    present = []
    for person in people:
        replying = _presence_key(ticket_id, person.pk, "replying") in found
        if replying or _presence_key(ticket_id, person.pk, "viewing") in found:
            name = person.get_full_name() or person.username
            present.append({"name": name, "replying": replying})
    return sorted(present, key=lambda p: (not p["replying"], p["name"]))

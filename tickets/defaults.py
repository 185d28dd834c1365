"""Defaults ensured after every migrate (and every test-database flush): SLA policies (T6) and
the django-q2 schedule that polls the support mailbox (T1)."""

# name, priority, first response, next update, resolution (business minutes; 540 = 1 day)
SLA_POLICIES = [
    ("P1 · crítica", "P1", 30, 120, 540),
    ("P2 · alta", "P2", 60, 240, 1080),
    ("P3 · média", "P3", 240, 540, 2700),
    ("P4 · baixa", "P4", 540, 1080, 5400),
]
MAILBOX_SCHEDULE = "tickets.poll_mailbox"


def ensure_defaults(sender, **kwargs):
    from django_q.models import Schedule

    from .models import SlaPolicy

    if not SlaPolicy.objects.exists():
        for name, priority, first, update, resolution in SLA_POLICIES:
            SlaPolicy.objects.create(
                name=name,
                priority=priority,
                first_response_minutes=first,
                next_update_minutes=update,
                resolution_minutes=resolution,
            )
    Schedule.objects.get_or_create(
        name=MAILBOX_SCHEDULE,
        defaults={
            "func": "tickets.mailbox.poll",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_defaults(sender, **kwargs):
    """Role groups, the minute timer sweep and the monthly calendar seeding. On post_migrate
    (not a data migration) because Django re-emits it after a flush, so they are always
    there, tests included."""
    from django.contrib.auth.models import Group
    from django_q.models import Schedule

    from .businessdays import SEED_SCHEDULE
    from .roles import ALL
    from .timers import SWEEP_SCHEDULE

    for name in ALL:
        Group.objects.get_or_create(name=name)
    Schedule.objects.get_or_create(
        name=SWEEP_SCHEDULE,
        defaults={
            "func": "workflows.timers.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.get_or_create(  # S2/T6: next year's holidays in the calendar in time
        name=SEED_SCHEDULE,
        defaults={
            "func": "workflows.businessdays.seed_upcoming",
            "schedule_type": Schedule.MONTHLY,
            "repeats": -1,
        },
    )


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Regras e fluxos"

    def ready(self):
        post_migrate.connect(ensure_defaults, sender=self)

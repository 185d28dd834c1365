import datetime as dt

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(sender, **kwargs):
    """The nightly rollup of Indicadores (issue 19), at 02:30 São Paulo time. On post_migrate,
    like the other apps' schedules, so it exists after a flush too."""
    from django_q.models import Schedule

    from workflows import clock

    from .indicators_sections import ROLLUP_SCHEDULE

    tomorrow = clock.today() + dt.timedelta(days=1)
    Schedule.objects.get_or_create(
        name=ROLLUP_SCHEDULE,
        defaults={
            "func": "web.indicators_sections.roll_recent",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "next_run": clock.day_span(tomorrow)[0] + dt.timedelta(hours=2, minutes=30),
        },
    )


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Páginas"

    def ready(self):
        # the system checks, and the sources the daily rollup of Indicadores keeps
        from . import checks, indicators_sections  # noqa: F401

        # web has no models, so no post_migrate of its own: with the workflows app's
        post_migrate.connect(ensure_schedules, sender=self.apps.get_app_config("workflows"))

"""The support services were split by seam (tickets.desk, tickets.sla_alerts,
tickets.github_sync): timers and schedules stored before the split point at the handlers' new
modules."""

from django.db import migrations

MOVED = {
    "tickets.services.sla_response_warning": "tickets.sla_alerts.sla_response_warning",
    "tickets.services.sla_response_breach": "tickets.sla_alerts.sla_response_breach",
    "tickets.services.sla_resolution_warning": "tickets.sla_alerts.sla_resolution_warning",
    "tickets.services.sla_resolution_breach": "tickets.sla_alerts.sla_resolution_breach",
    "tickets.services.github_retry": "tickets.github_sync.github_retry",
}


def _rewrite(apps, moves):
    Timer = apps.get_model("workflows", "Timer")
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in moves:
        Timer.objects.filter(handler=old).update(handler=new)
        Schedule.objects.filter(func=old).update(func=new)


def forwards(apps, schema_editor):
    _rewrite(apps, MOVED.items())


def backwards(apps, schema_editor):
    _rewrite(apps, ((new, old) for old, new in MOVED.items()))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_ticket_channel_state_index"),
        ("workflows", "0001_initial"),
        ("django_q", "__first__"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

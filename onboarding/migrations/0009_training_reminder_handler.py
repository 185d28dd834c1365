"""The training reminder's handler moved from onboarding.services to onboarding.training:
timers armed before the move point at the new path."""

from django.db import migrations

OLD = "onboarding.services.send_training_reminder"
NEW = "onboarding.training.send_training_reminder"


def forwards(apps, schema_editor):
    apps.get_model("workflows", "Timer").objects.filter(handler=OLD).update(handler=NEW)


def backwards(apps, schema_editor):
    apps.get_model("workflows", "Timer").objects.filter(handler=NEW).update(handler=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0008_ordering_tie_breaker"),
        ("workflows", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

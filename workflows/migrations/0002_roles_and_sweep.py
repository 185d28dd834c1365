"""Create the role groups and the minute sweep that backs up every timer."""

from django.db import migrations

ROLES = ["agent", "seller", "support", "support_dev", "central", "manager"]
SWEEP = "workflows.sweep"


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Schedule = apps.get_model("django_q", "Schedule")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    Schedule.objects.get_or_create(
        name=SWEEP,
        defaults={"func": "workflows.timers.sweep", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]

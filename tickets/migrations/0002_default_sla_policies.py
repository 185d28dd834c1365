"""T6: one SLA policy per priority (business minutes, 09:00-18:00 São Paulo); editable in the admin."""

from django.db import migrations

POLICIES = [
    # name, priority, first response, next update, resolution (business minutes; 540 = 1 day)
    ("P1 · crítica", "P1", 30, 120, 540),
    ("P2 · alta", "P2", 60, 240, 1080),
    ("P3 · média", "P3", 240, 540, 2700),
    ("P4 · baixa", "P4", 540, 1080, 5400),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for name, priority, first, update, resolution in POLICIES:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "name": name,
                "first_response_minutes": first,
                "next_update_minutes": update,
                "resolution_minutes": resolution,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_tickets_sla")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations, models
from django.db.models import Q


def stamp_existing(apps, schema_editor):
    """Existing tickets get their business minutes from the moments already recorded, with
    the SLA clock's own calculation, in chunks (tickets.business_time.fill)."""
    from tickets.business_time import fill

    Ticket = apps.get_model("tickets", "Ticket")
    fill(Ticket.objects.filter(Q(first_response_at__isnull=False) | Q(resolved_at__isnull=False)))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0020_conversation")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="response_business_minutes",
            field=models.PositiveIntegerField(
                blank=True,
                editable=False,
                null=True,
                verbose_name="primeira resposta em minutos úteis",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="resolution_business_minutes",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="conclusão em minutos úteis"
            ),
        ),
        migrations.RunPython(stamp_existing, migrations.RunPython.noop),
    ]

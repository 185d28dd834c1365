"""The sales services were split by seam: timers armed before the split point at the
handlers' new modules."""

from django.db import migrations

MOVED = {
    "workflows.services.expire_agendamento": "workflows.agendamentos.expire_agendamento",
    "workflows.services.owner_offer_expired": "workflows.triage.owner_offer_expired",
    "workflows.services.expire_data_change": "workflows.third_party.expire_data_change",
    "workflows.services.expire_orcamento": "workflows.orcamento.expire_orcamento",
}


def forwards(apps, schema_editor):
    Timer = apps.get_model("workflows", "Timer")
    for old, new in MOVED.items():
        Timer.objects.filter(handler=old).update(handler=new)


def backwards(apps, schema_editor):
    Timer = apps.get_model("workflows", "Timer")
    for old, new in MOVED.items():
        Timer.objects.filter(handler=new).update(handler=old)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0013_awaiting_validation")]

    operations = [migrations.RunPython(forwards, backwards)]

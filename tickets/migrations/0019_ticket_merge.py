from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_ticket_resolved_at_index")]

    operations = []

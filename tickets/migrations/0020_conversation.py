from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_ticket_merge")]

    operations = []

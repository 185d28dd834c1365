from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0020_conversation")]

    operations = []

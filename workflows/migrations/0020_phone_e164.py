# Placeholder, filled in by its owner (empty migrations are removed before commit).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workflows", "0019_data_change_superseded_state")]

    operations = []

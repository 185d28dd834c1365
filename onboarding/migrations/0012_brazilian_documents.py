# Placeholder, filled in by its owner (empty migrations are removed before commit).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0011_training_slot_bounds")]

    operations = []

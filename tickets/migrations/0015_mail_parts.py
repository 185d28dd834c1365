# Placeholder, filled in by its owner (empty migrations are removed before commit).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_github_comment_sync")]

    operations = []

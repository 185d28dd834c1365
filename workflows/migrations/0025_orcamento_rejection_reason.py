from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workflows", "0024_indicator_indexes")]

    operations = []

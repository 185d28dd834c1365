from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workflows", "0025_orcamento_rejection_reason")]

    operations = []

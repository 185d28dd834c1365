from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_ticket_merge")]

    operations = [
        # T4: an internal note edited by its author keeps its earlier texts as revisions.
        migrations.AlterField(
            model_name="ticketnoterevision",
            name="change",
            field=models.CharField(
                choices=[
                    ("edited", "Editado no GitHub"),
                    ("deleted", "Apagado no GitHub"),
                    ("author", "Editada pelo autor"),
                ],
                max_length=10,
                verbose_name="mudança",
            ),
        ),
    ]

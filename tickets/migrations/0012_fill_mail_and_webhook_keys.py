"""T1/T7: the import-once keys of the messages and deliveries received before 0011."""

import email.utils
import hashlib

from django.db import migrations


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fill(apps, schema_editor):
    InboundEmail = apps.get_model("tickets", "InboundEmail")
    for row in InboundEmail.objects.filter(dedupe_key__isnull=True).iterator():
        sender = email.utils.parseaddr(row.from_email)[1].lower()
        row.dedupe_key = _sha(f"{sender}\n{row.message_id}")
        row.save(update_fields=["dedupe_key"])
    GithubDelivery = apps.get_model("tickets", "GithubDelivery")
    for row in GithubDelivery.objects.filter(delivery_hash__isnull=True).iterator():
        row.delivery_hash = _sha(row.delivery_id)
        row.save(update_fields=["delivery_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_mail_trust_and_webhook_keys"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

"""Issue 20: Ficha.phone is stored in E.164 ("+5511987654321"). Existing phones that parse to a
Brazilian number that can exist are converted; the others are left as they were typed (the
ficha page still shows them, and the next edit asks for a valid number)."""

import re

import phonenumbers
from django.db import migrations

BATCH = 1000


def _e164(raw: str) -> str:
    text = raw.strip().lower().replace("0xx", "0")
    if re.search(r"[^\W\d_]", text):
        return ""  # letters: a note or an extension, not a number to convert
    try:
        number = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException:
        return ""
    if number.country_code != 55 or not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phones_to_e164(apps, schema_editor):
    Ficha = apps.get_model("workflows", "Ficha")
    changed = []
    rows = Ficha.objects.exclude(phone="").only("pk", "phone").order_by("pk")
    for ficha in rows.iterator(chunk_size=BATCH):
        e164 = _e164(ficha.phone)
        if e164 and e164 != ficha.phone:
            ficha.phone = e164
            changed.append(ficha)
        if len(changed) >= BATCH:
            Ficha.objects.bulk_update(changed, ["phone"])
            changed = []
    Ficha.objects.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [("workflows", "0019_data_change_superseded_state")]

    operations = [migrations.RunPython(phones_to_e164, migrations.RunPython.noop)]

"""Finding a ficha by what the client says: CPF/CNPJ, e-mail, phone or name.

Identifiers go through the normalised, indexed keys of onboarding.FichaKeys (the same ones
duplicate detection uses), so the lookup stays an index seek however large the base grows.
"""

from django.db.models import Q

from onboarding.keys import normalize_email_key, normalize_phone_key
from onboarding.models import FichaKeys
from workflows.models import Ficha
from workflows.validators import only_digits

LIMIT = 25


def search_fichas(term: str):
    term = term.strip()
    digits = only_digits(term)
    if "@" in term:
        keys = Q(email=normalize_email_key(term))
    elif digits and len(digits) >= len(term.replace(" ", "")) * 0.6:
        keys = Q(document__gte=digits, document__lt=digits + ":")  # CPF/CNPJ prefix
        phone = normalize_phone_key(term)
        if phone:
            keys |= Q(phone=phone)
    else:
        return Ficha.objects.filter(name__icontains=term).order_by("name")[:LIMIT]
    ids = FichaKeys.objects.filter(keys).values_list("ficha_id", flat=True)[:LIMIT]
    return Ficha.objects.filter(pk__in=list(ids)).order_by("name")

"""Finding a ficha by what the client says: CPF/CNPJ, e-mail, phone or name.

Identifiers go through the normalised, indexed keys of onboarding.FichaKeys (the same ones
duplicate detection uses), so the lookup stays an index seek however large the base grows.
"""

from django.db.models import Q

from onboarding.keys import (
    name_words,
    normalize_email_key,
    normalize_phone_key,
    prefix_upper_bound,
)
from onboarding.models import FichaKeys, NameWord
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
        return search_by_name(term)
    ids = FichaKeys.objects.filter(keys).values_list("ficha_id", flat=True)[:LIMIT]
    return Ficha.objects.filter(pk__in=list(ids)).order_by("name")


def search_by_name(term: str):
    """Fichas with a name word starting with each typed word ("silv an" finds "Ana Silva"),
    each word an index range on onboarding.NameWord."""
    words = name_words(term)
    if not words:
        return Ficha.objects.none()
    ids = None  # the fichas matching every word so far, intersected inside the index
    for word in sorted(words, key=len):  # the most selective (longest) word ends outermost
        matching = NameWord.objects.filter(word__gte=word)
        bound = prefix_upper_bound(word)
        if bound:
            matching = matching.filter(word__lt=bound)
        if ids is not None:
            matching = matching.filter(ficha_id__in=ids)
        ids = matching.values("ficha_id")
    return Ficha.objects.filter(pk__in=ids).order_by("name")[:LIMIT]

"""Finding a ficha by what the client says: CPF/CNPJ, e-mail, phone or name.

Identifiers go through the normalised, indexed keys of onboarding.FichaKeys (the same ones
duplicate detection uses), so the lookup stays an index seek however large the base grows.
"""

import re

from django.db.models import Q

from onboarding.keys import (
    document_prefix_range,
    name_words,
    normalize_email_key,
    normalize_phone_key,
    prefix_upper_bound,
)
from onboarding.models import FichaKeys, NameWord
from workflows.models import Ficha
from workflows.validators import compact_document, only_digits

LIMIT = 25
DOCUMENT_TERM = re.compile(r"[0-9A-Za-z./-]+")


def search_fichas(term: str, *, exclude_merged: bool = False):
    """Up to LIMIT fichas by name; merged fichas left out inside the query when asked (the
    new-ticket form never offers them), so they take none of the LIMIT places."""
    term = term.strip()
    digits = only_digits(term)
    if "@" in term:
        keys = Q(email=normalize_email_key(term))
    elif digits and len(digits) >= len(term.replace(" ", "")) * 0.6:
        keys = _document_prefix(term)  # a CPF/CNPJ typed from its first characters
        phone = normalize_phone_key(term)  # or a phone typed any common way
        if phone:
            keys |= Q(phone=phone)
    elif _looks_like_document(term):
        keys = _document_prefix(term)  # an alphanumeric CNPJ: "12ABC", "12.ABC.345/01"
    else:
        return search_by_name(term, exclude_merged=exclude_merged)
    found = FichaKeys.objects.filter(keys)
    if exclude_merged:
        found = found.exclude(ficha__status=Ficha.Status.MERGED)
    ids = found.values_list("ficha_id", flat=True)[:LIMIT]
    return Ficha.objects.filter(pk__in=list(ids)).order_by("name")


def _looks_like_document(term: str) -> bool:
    """Letters and digits (at least one digit) with only a CPF/CNPJ's punctuation, no spaces:
    the start of an alphanumeric CNPJ. Words ("Silva", "Ana Paula") are names."""
    return bool(DOCUMENT_TERM.fullmatch(term)) and any(ch.isdigit() for ch in term)


def _document_prefix(term: str) -> Q:
    """G7 keys (uppercase, letters kept) starting with the typed characters: an index range."""
    low, high = document_prefix_range(compact_document(term))
    found = Q(document__gte=low)
    return found & Q(document__lt=high) if high else found


def search_by_name(term: str, *, exclude_merged: bool = False):
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
    fichas = Ficha.objects.filter(pk__in=ids)
    if exclude_merged:
        fichas = fichas.exclude(status=Ficha.Status.MERGED)
    return fichas.order_by("name")[:LIMIT]

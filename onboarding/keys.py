"""G7: the keys that make two fichas the same client: CPF/CNPJ, e-mail, phone and OAB.

Each normaliser returns the canonical form of a value, or "" when the value cannot identify
anyone (empty, too short, no area code...). An empty key never matches.
"""

import re
import unicodedata

from workflows.validators import UF_NAMES, document_key, only_digits, phone_key

KEY_LABELS = {
    "document": "CPF/CNPJ",
    "email": "e-mail",
    "phone": "telefone",
    "oab": "OAB",
}

UFS = frozenset(UF_NAMES)


def normalize_document_key(value: str | None) -> str:
    """CPF (11 digits) or CNPJ (14: 12 letters-or-digits, since the alphanumeric CNPJ of July
    2026, then 2 digits), uppercase, punctuation ignored: "12.abc.345/01de-35" →
    "12ABC34501DE35". A numeric CPF/CNPJ keeps exactly its digits."""
    return document_key(value)


def normalize_email_key(value: str | None) -> str:
    """Trimmed and case-insensitive."""
    email = (value or "").strip().lower()
    return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else ""


def normalize_phone_key(value: str | None) -> str:
    """E.164 of a Brazilian number that can exist (phonenumbers, region BR): "(11) 98765-1234",
    "011 98765 1234", "+55 11 98765-1234" → "+5511987651234"; landlines with 8 digits too
    ("(11) 3456-7890" → "+551134567890"). A number without area code (DDD) cannot be told
    apart from other cities, a foreign one stays out of the Brazilian key space, and one that
    cannot exist (DDD 23, a digit missing) identifies nobody: no key."""
    return phone_key(value)


def normalize_oab_key(value: str | None) -> str:
    """UF + number: "SP 234.567", "234567/SP", "OAB/SP 234567" → "SP234567"."""
    text = (value or "").upper()
    text = re.sub(r"\bOAB\b", " ", text)
    ufs = [uf for uf in re.findall(r"[A-Z]{2}", text) if uf in UFS]
    number = only_digits(text).lstrip("0")
    if len(ufs) != 1 or len(number) < 3:
        return ""
    return f"{ufs[0]}{number}"


NORMALIZERS = {
    "document": normalize_document_key,
    "email": normalize_email_key,
    "phone": normalize_phone_key,
    "oab": normalize_oab_key,
}


def keys_of(values: dict) -> dict[str, str]:
    """The normalised keys of a ficha given its raw field values (document, email, ...)."""
    return {name: normalize(values.get(name)) for name, normalize in NORMALIZERS.items()}


# --- Name search ------------------------------------------------------------------------------

NAME_WORD_MAX = 40


def name_words(name: str | None) -> set[str]:
    """The searchable words of a name: lowercase, no accents, letters and digits, 2+ long
    ("Dra. Ana Luísa Conceição" → dra, ana, luisa, conceicao)."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return {w[:NAME_WORD_MAX] for w in re.findall(r"[a-z0-9]+", plain.lower()) if len(w) >= 2}


def document_prefix_range(prefix: str) -> tuple[str, str | None]:
    """The index range (low <= key < high) of the document keys starting with the compact
    `prefix` ("12ABC" → ("12ABC", "12ABD")); high None when nothing bounds it."""
    bound = prefix_upper_bound(prefix.lower())
    return prefix, bound.upper() if bound else None


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest [a-z0-9] string after every word starting with `prefix`, so a prefix search
    is a plain index range (prefix <= word < bound) on any database and collation."""
    while prefix:
        last = prefix[-1]
        if last == "9":
            return prefix[:-1] + "a"
        if last != "z":
            return prefix[:-1] + chr(ord(last) + 1)
        prefix = prefix[:-1]
    return None

"""G7: the keys that make two fichas the same client: CPF/CNPJ, e-mail, phone and OAB.

Each normaliser returns the canonical form of a value, or "" when the value cannot identify
anyone (empty, too short, no area code...). An empty key never matches.
"""

import re
import unicodedata

from workflows.validators import only_digits

KEY_LABELS = {
    "document": "CPF/CNPJ",
    "email": "e-mail",
    "phone": "telefone",
    "oab": "OAB",
}

UFS = frozenset(
    {
        *("AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA"),
        *("PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO"),
    }
)


def normalize_document_key(value: str | None) -> str:
    """CPF (11 digits) or CNPJ (14 digits), punctuation ignored."""
    digits = only_digits(value)
    return digits if len(digits) in (11, 14) else ""


def normalize_email_key(value: str | None) -> str:
    """Trimmed and case-insensitive."""
    email = (value or "").strip().lower()
    return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else ""


def normalize_phone_key(value: str | None) -> str:
    """E.164 for Brazil: "(11) 98765-1234", "011 98765 1234", "+55 11 98765-1234" →
    "+5511987651234"; landlines with 8 digits too ("(11) 3456-7890" → "+551134567890").
    A number without area code (DDD) cannot be told apart from other cities: no key."""
    raw = (value or "").strip()
    digits = only_digits(raw)
    if raw.startswith("+"):
        if not digits.startswith("55"):
            return ""  # a foreign number: keep it out of the Brazilian key space
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits.lstrip("0")
        if len(digits) in (12, 13):  # 0 + carrier code (2 digits) + DDD + number
            digits = digits[2:]
    elif digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if len(digits) not in (10, 11):
        return ""
    ddd, number = digits[:2], digits[2:]
    if "0" in ddd:
        return ""
    if len(number) == 9 and number[0] != "9":
        return ""  # 9-digit numbers are mobiles and start with 9
    if len(number) == 8 and number[0] in "01":
        return ""
    return f"+55{digits}"


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

"""The `<id:...>` path converter of every URL with a record id: at most 18 digits, so a
huge or non-numeric id is a 404 before it reaches the database (18 digits always fit a
64-bit column; Django's `<int:...>` takes any length)."""

from django.urls import register_converter

MAX_ID_DIGITS = 18


class IdConverter:
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")

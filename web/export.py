"""XLSX downloads (openpyxl): pt-BR headers, real date cells, R$ values as numbers with a
currency format (a CSV opens badly in a pt-BR Excel)."""

import datetime as dt
import io
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "money": '"R$" #,##0.00',
    "percent": "0.0%",
    "int": "0",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
    "duration": "[h]:mm",
}
MAX_ROWS = 100_000  # a list longer than this is cut (the sheet says so)


def cell_value(value, kind: str):
    """What openpyxl stores: numbers as numbers, instants as local naive datetimes."""
    if value is None or value == "":
        return None
    if kind == "money":
        return Decimal(value)
    if kind == "percent":
        return float(value) / 100
    if kind == "duration":  # seconds → Excel's days, shown as hours:minutes
        return float(value) / 86400
    if kind == "datetime" and isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    return value


def sheet_title(title: str, taken: set) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Planilha"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def workbook(sheets) -> bytes:
    """sheets: [(title, headers, rows)], each row a list of (value, kind) cells."""
    book = Workbook(write_only=False)
    book.remove(book.active)
    taken: set = set()
    for title, headers, rows in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(h) + 2 for h in headers]
        for count, row in enumerate(rows, start=1):
            if count > MAX_ROWS:
                sheet.append([f"Lista cortada nas primeiras {MAX_ROWS} linhas."])
                break
            sheet.append([cell_value(value, kind) for value, kind in row])
            for column, (value, kind) in enumerate(row):
                target = sheet.cell(row=sheet.max_row, column=column + 1)
                if kind in FORMATS:
                    target.number_format = FORMATS[kind]
                if column < len(widths):
                    shown = 18 if kind in ("date", "datetime", "money") else len(str(value or ""))
                    widths[column] = min(max(widths[column], shown + 2), 60)
        for column, width in enumerate(widths):
            sheet.column_dimensions[
                sheet.cell(row=1, column=column + 1).column_letter
            ].width = width
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, sheets) -> HttpResponse:
    response = HttpResponse(workbook(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

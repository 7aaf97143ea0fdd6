"""The one place the project writes spreadsheet cells (.xlsx, openpyxl).

A text value beginning with `=`, `+`, `-` or `@` (or a tab or carriage return) would be taken for
a formula by openpyxl and by whoever opens the file (CSV/formula injection, OWASP): such cells are
written as text, always. Text is also redacted (personal data masked) on its way into a cell.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mediation.common.personal import redact

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def text_cell(cell: Any) -> None:
    """Makes a cell that holds text hold it as text, whatever it begins with."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"  # a string, never a formula (openpyxl guessed 'f' from the leading '=')


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Appends one row: text redacted and never a formula; numbers, dates and None as they are."""
    row = [redact(v) if isinstance(v, str) else v for v in values]
    sheet.append(row)
    if row:
        for cell in sheet[sheet.max_row]:
            text_cell(cell)

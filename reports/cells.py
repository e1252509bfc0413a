"""Cell values safe to open in Excel, LibreOffice or Google Sheets.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@` (or tab / carriage return) as
a formula, so text from a post or story could run one ("CSV injection"). Every CSV and XLSX
writer passes user text through `safe_cell`; numbers and dates pass unchanged.
"""

from __future__ import annotations

from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Prefix formula-looking text with an apostrophe; leave other values alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]

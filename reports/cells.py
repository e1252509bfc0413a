"""Cell values safe to open in Excel, LibreOffice or Google Sheets.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@` (or tab / carriage return) as
a formula, so text from a post or story could run one ("CSV injection"). Every CSV and XLSX
writer passes user text through `safe_cell`; numbers and dates pass unchanged.
"""

from __future__ import annotations

import re
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters XML 1.0 cannot hold: an XLSX with one is refused by openpyxl (and a
# display name from an API can carry any of them). They become U+FFFD, visibly replaced.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """Prefix formula-looking text with an apostrophe; leave other values alone.

    CSV holds any character, so the text is otherwise kept as stored."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_xlsx_cell(value: Any) -> Any:
    """`safe_cell`, and control characters a workbook (XML) cannot hold made U+FFFD."""
    if isinstance(value, str) and _NOT_IN_XML.search(value):
        value = _NOT_IN_XML.sub("\ufffd", value)
    return safe_cell(value)


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]

"""Cell values safe to open in Excel, LibreOffice or Google Sheets.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@` (or tab / carriage return) as
a formula, so text from a post or story could run one ("CSV injection"). Every CSV writer
passes user text through `safe_cell`; numbers and dates pass unchanged. The workbook
writes text as string cells, with the quote prefix on formula-looking ones.
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


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text, typed or pasted, as a formula."""
    return text.startswith(_FORMULA_STARTS)


def xml_text(text: str) -> str:
    """Text a workbook (XML) can hold: the control characters it cannot are made U+FFFD.

    A workbook's string cell is never evaluated, so formula-looking text is kept as it
    is there and marked with the cell's quote prefix instead (see reports.xlsx): an
    apostrophe in the text itself showed in Excel, before every reply ("'@NHSLib ...")."""
    return _NOT_IN_XML.sub("\ufffd", text) if _NOT_IN_XML.search(text) else text


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]

"""Property tests over story form imports (CSV and XLSX): whatever the cells hold, each row
is imported whole or refused with its row number and the field at fault; nothing from a
refused row is stored; a file that cannot be read at all is one clear error.

(tests/test_stories.py already runs the story fields themselves through hypothesis.)
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from collectors.forms import import_form_export
from knowvember.config import STORY_FIELDS
from knowvember.db import Database, open_database
from knowvember.errors import InputError
from knowvember.stories import Lookups
from tests.web_support import CATALOGUE, TAXONOMY

EXAMPLES = 40
PROPERTY = hypothesis_settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HEADER = ["title", "body", "name", "email", "consent", "role", "outcome", "techniques",
          "organisation", "links", "submitted_at"]
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
CELL = st.one_of(ANY_TEXT, st.sampled_from(
    ["", "yes", "No", "maybe", "a@nhs.net", "not-an-email", "https://example.org",
     "javascript:alert(1)", "2019/11/05 10:31:22 AM GMT", "31/02/2019", "Peer Assist",
     "=HYPERLINK(\"x\")", "RX1", "\x00", "x" * 30_000]))
# Every way a required field can be wrong, each with its field.
BREAKS = [("email", "not an email"), ("consent", "maybe"), ("title", ""), ("name", " "),
          ("body", "nul \x00 inside"), ("title", "t" * 500), ("links", "javascript:alert(1)")]


def _row(kind: str, number: int, data: Any, breaks: list[tuple[str, str]]) -> dict[str, Any]:
    good = {"title": f"VALID{number} {data if isinstance(data, str) else ''}".strip()[:150],
            "body": "We ran a Peer Assist before the audit.", "name": "A Librarian",
            "email": f"lib{number}@nhs.net", "consent": "Yes", "techniques": "Peer Assist",
            "organisation": "RX1", "submitted_at": "2019/11/05 10:31:22 AM GMT"}
    if kind == "valid":
        return good
    if kind == "broken":
        field, bad = breaks[data % len(breaks)]
        return {**good, "title": f"BROKEN{number}", field: bad} if field != "title" else {
            **good, "title": bad, "body": f"BROKEN{number}"}
    return dict(zip(HEADER, data, strict=False))


ROWS = st.lists(st.one_of(
    st.tuples(st.just("valid"), ANY_TEXT.filter(lambda t: "\x00" not in t)),
    st.tuples(st.just("broken"), st.integers(0, len(BREAKS) - 1)),
    st.tuples(st.just("random"), st.lists(CELL, min_size=len(HEADER), max_size=len(HEADER))),
), min_size=1, max_size=10)


@pytest.fixture
def sqlite(settings, tmp_path) -> Database:  # type: ignore[no-untyped-def]
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'stories.db'}")
    yield db
    db.dispose()


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=HEADER)
            writer.writeheader()
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_cell(row.get(h)) for h in HEADER])
    workbook.save(path)


def _cell(value: Any) -> Any:
    """A workbook cannot hold control characters (Forms never writes them): left out. Nor
    a lone carriage return: the workbook's XML reads line ends back as LF, which the import
    stores as any line break (a title '\r0' came back as '\n0')."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r", "")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_any_form_export_imports_whole_rows_or_names_the_field(
        suffix, settings, sqlite, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"responses{suffix}"
    lookups = Lookups(CATALOGUE, TAXONOMY)
    # A workbook cell cannot hold a NUL, so that way of breaking a row is CSV's alone.
    breaks = BREAKS if suffix == ".csv" else [b for b in BREAKS if "\x00" not in b[1]]

    @PROPERTY
    @given(rows=ROWS)
    def check(rows: list[tuple[str, Any]]) -> None:
        with sqlite.begin() as conn:
            for table in ("story_techniques", "story_events", "stories"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        cells = [_row(kind, n, data, breaks) for n, (kind, data) in enumerate(rows, start=1)]
        _write(path, cells)
        try:
            result = import_form_export(sqlite, settings, path, lookups=lookups)
        except InputError as exc:  # the file as a whole (a NUL makes CSV unreadable)
            assert str(exc).startswith(str(path)) and "Traceback" not in str(exc)
            with sqlite.begin() as conn:
                assert conn.execute(sa.text("SELECT COUNT(*) FROM stories")).scalar() == 0
            return
        assert result.imported + result.already_imported + result.failed == result.rows
        for error in result.errors:
            assert 2 <= error.row <= len(rows) + 1, error
            assert any(re.search(rf"\b{f}\b", error.reason) for f in STORY_FIELDS), error
        broken_rows = {n + 1 for n, (kind, _) in enumerate(rows, start=1) if kind == "broken"}
        assert broken_rows <= {e.row for e in result.errors}
        with sqlite.begin() as conn:
            stored = conn.execute(sa.text("SELECT title, body FROM stories")).all()
        titles = {t for t, _ in stored}
        for (kind, _), row in zip(rows, cells, strict=True):
            if kind == "valid":
                title = row["title"] if suffix == ".csv" else _cell(row["title"])
                assert title in titles, (title, result.errors)
        assert not [s for s in stored if "BROKEN" in s[0] + s[1]], "a refused row was stored"

    check()

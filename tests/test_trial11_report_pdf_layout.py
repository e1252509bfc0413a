"""The sixth new-user trial: the PDF's paragraphs and tables read as set, not stretched.

- Every paragraph was justified (fpdf2's default): a post's meta line, "R0A person 36 ·
  Manchester University NHS Foundation Trust · X (Twitter) · 25 November 2019 · 38
  engagement", wrapped with its words pulled apart across the page, and short post texts
  in wide gaps. Paragraphs are now set left-aligned, as in the HTML.
- The organisation leaderboard's "Engagement" column was narrower than its heading, which
  broke as "Engageme / nt". Every heading word now fits its column.
- The headline numbers' table, which has no headings, began with an empty grey band.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from reports.pdf import TABLE_PADDING, _Writer

Cli = Callable[..., Any]
ORGS = ('[[organisations]]\ncode = "KINGS"\nname = "King\'s Library & Knowledge Service"\n'
        'region = "London"\naccounts = ["x:@kings"]\n')
CSV = ("platform,id,author_handle,author_name,created_at,text,likes,kind,referenced_id\n"
       "x,1,@kings,Kings,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,4,,\n"
       "x,2,@other,Other,2019-11-06T10:00:00Z,#KNOWvember19 reply,2,reply,1\n")


def _report_pdf(write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--format", "pdf")
    assert result.exit_code == 0, result.stderr


def test_every_heading_word_fits_its_column(write_config: Callable[[str], Path],
                                            campaign_dir: Path, cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tables: list[tuple[list[str], list[float]]] = []
    table = _Writer.table

    def recording(self: _Writer, header: Sequence[str], rows: Sequence[Sequence[str]],
                  widths: Sequence[float], right: Sequence[int] = ()) -> None:
        tables.append((list(header), list(widths)))
        table(self, header, rows, widths, right)

    monkeypatch.setattr(_Writer, "table", recording)
    _report_pdf(write_config, campaign_dir, cli)
    assert len(tables) >= 5
    w = _Writer("KNOWvember 2019")
    w.font(7.5, "B")
    for header, widths in tables:
        for heading, width in zip(header, widths, strict=True):
            for word in heading.split():
                assert w.pdf.get_string_width(word) <= width - 2 * TABLE_PADDING, (
                    f"{word!r} is wider than its {width} mm column in {header}")


def test_paragraphs_are_set_left_aligned_not_justified(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    aligns: list[str] = []
    multi_cell = FPDF.multi_cell

    def recording(self: FPDF, *args: Any, **kwargs: Any) -> Any:
        aligns.append(str(kwargs.get("align", "J")).removeprefix("Align."))
        return multi_cell(self, *args, **kwargs)

    monkeypatch.setattr(FPDF, "multi_cell", recording)
    _report_pdf(write_config, campaign_dir, cli)
    assert "L" in aligns  # the writer's paragraphs; table cells are LEFT or RIGHT
    assert not {a for a in aligns if a.upper() in ("J", "JUSTIFY")}


def _fills(header: list[str]) -> set[bytes]:
    w = _Writer("KNOWvember 2019")
    w.pdf.set_compression(False)
    w.table(header, [["Posts", "3,026"]], [30, 30])
    return set(re.findall(rb"0\.94\d* 0\.95\d* 0\.96\d* rg", bytes(w.pdf.output())))


def test_a_table_without_headings_has_no_empty_heading_row() -> None:
    assert _fills(["", ""]) == set()
    assert _fills(["Platform", "Posts"])  # the grey band is there when there are headings

"""The sixth new-user trial: Arabic in the PDF is joined and read right to left.

An Arabic trust name or post ("مكتبة المستشفى", the hospital library) printed in the PDF as
separate letters in their isolated forms, laid out left to right: unreadable to an Arabic
reader, and Hebrew came out backwards. Text is now shaped by HarfBuzz (fpdf2's text
shaping through uharfbuzz) and ordered by the bidi algorithm, as a browser shows the HTML.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reports.pdf import FONT, _Writer

LIBRARY = "مكتبة"  # meem, kaf, teh, beh, teh marbuta


def _glyph_names(w: _Writer) -> list[str]:
    """The font's glyphs the page uses, in the order they were first drawn."""
    return [glyph.glyph_name for glyph, _ in w.pdf.fonts[FONT].subset.items()
            if glyph.glyph_name not in (".notdef", "space")]


def test_arabic_letters_take_their_joined_forms_in_right_to_left_order() -> None:
    w = _Writer("KNOWvember 2019")
    w.para(LIBRARY)
    # Drawn from the left: the last letter first, in its final form, and the first letter
    # (meem) last, in its initial form; unshaped it was uni0645 uni0643 ... uni0629.
    assert _glyph_names(w) == ["uniFE94", "uniFE92", "uniFE98", "uniFEDC", "uniFEE3"]


def test_a_report_with_an_arabic_organisation_writes_its_pdf(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Callable[..., Any]
        ) -> None:
    write_config('[[organisations]]\ncode = "RTL"\nname = "مكتبة المستشفى Hospital Library"\n'
                 'region = "South East"\naccounts = ["x:@rtl"]\n')
    (campaign_dir / "in.csv").write_text(
        "platform,id,author_handle,created_at,text,likes\n"
        "x,1,@rtl,2019-11-05T10:00:00Z,مكتبة المعرفة: جلسة #KNOWvember19 Peer Assist,4\n"
        "x,2,@rtl,2019-11-06T10:00:00Z,שלום #KNOWvember19 knowledge café 🎉,2\n",
        encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert (campaign_dir / "report" / "report.pdf").read_bytes().startswith(b"%PDF")


def test_without_uharfbuzz_the_pdf_is_still_written_with_a_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "uharfbuzz", None)  # import uharfbuzz: ImportError
    with caplog.at_level(logging.WARNING, logger="reports.pdf"):
        w = _Writer("KNOWvember 2019")
        w.para(LIBRARY)
    assert bytes(w.pdf.output()).startswith(b"%PDF")
    assert "uharfbuzz is not installed" in caplog.text


def test_only_text_that_needs_it_is_shaped() -> None:
    """Shaping every line tripled the time of a PDF of 1,000 top posts (15.9 s against
    5.8 s of CPU); Latin text prints the same without it."""
    w = _Writer("KNOWvember 2019")
    w.para("Our first Peer Assist at the library #KNOWvember19, Zoë's café")
    assert not w.pdf.text_shaping
    w.para(LIBRARY)
    assert w.pdf.text_shaping
    w.table(["Rank", "Organisation"], [["1", "King's Library"]], [20, 100])
    assert not w.pdf.text_shaping
    w.table(["Rank", "Organisation"], [["1", "King's Library"], ["2", "שלום"]], [20, 100])
    assert w.pdf.text_shaping


def test_a_page_break_inside_shaped_text_keeps_it_shaped() -> None:
    """The footer, set at each page break, is Latin: the Arabic table it interrupts goes on
    shaped on the next page."""
    w = _Writer("KNOWvember 2019")
    w.table(["Organisation"], [[f"{LIBRARY} {n}"] for n in range(120)], [120])
    assert w.pdf.page_no() > 1
    assert w.pdf.text_shaping
    names = [glyph.glyph_name for glyph, _ in w.pdf.fonts[FONT].subset.items()]
    assert "uni0645" not in names  # meem never set in its unjoined form

"""The sixth new-user trial: the PDF can be navigated and read aloud like the HTML.

The HTML has a contents list and `lang="en-GB"`; the PDF, ten pages for a real campaign,
had no bookmarks (a reader scrolled to find the stories or the method), no language for a
screen reader to read it in, and its reader's window showed "report.pdf" rather than its
title. Each section and story is now a bookmark, the language is en-GB and the title shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

CSV = ("platform,id,author_handle,created_at,text,likes\n"
       "x,1,@lib,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,3\n")


def _pdf(campaign_dir: Path, cli: Cli) -> bytes:
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    assert cli("stories", "submit", "--title", "Peer Assist for F1 doctors", "--body",
               "We ran one.", "--org", "RWE", "--name", "A Librarian", "--email",
               "a@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "approve", "1", "--reviewer", "A Coordinator").exit_code == 0
    result = cli("report", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    return (campaign_dir / "report" / "report.pdf").read_bytes()


def test_sections_and_stories_are_bookmarks(campaign_dir: Path, cli: Cli) -> None:
    data = _pdf(campaign_dir, cli)
    assert b"/Type /Outlines" in data
    titles = re.findall(rb"/Title \(([^)]*)\)", data)
    for section in (b"Headline numbers", b"Daily activity", b"Organisations and regions",
                    b"Top posts by engagement", b"Knowledge mobilisation stories",
                    b"Peer Assist for F1 doctors", b"Method and data quality"):
        assert section in titles
    assert titles.index(b"Knowledge mobilisation stories") < titles.index(
        b"Peer Assist for F1 doctors")


def test_the_pdf_names_its_language_and_shows_its_title(campaign_dir: Path, cli: Cli) -> None:
    data = _pdf(campaign_dir, cli)
    assert b"/Lang (en-GB)" in data
    assert b"/DisplayDocTitle true" in data

"""The seventh new-user trial: a small campaign's report reads as English.

A coordinator's first interim report has a handful of posts, and the Markdown and PDF said
"Unattributed contributors: 1 (1 posts)" and "1 replies, reposts, quotes and mentions
linked 2 organisations", the cumulative chart's text alternative "reaching 3 posts and 1
original posts", and an organisation's page "Rank 1 of 1 organisations". Before any run
was recorded the Markdown said "Coverage gaps: 0", as if every day had been collected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "R0A"
accounts = ["x:@mftlib"]

[[organisations]]
code = "CILIP"
name = "CILIP Health Libraries Group"
out_of_scope = true
accounts = ["x:@ciliphlg"]
"""
ROWS = ("platform,id,author_handle,created_at,text,kind,referenced_id\n"
        "x,1,@mftlib,2019-11-05T10:00:00Z,#KNOWvember19 our Knowledge Café,original,\n"
        "x,2,@ciliphlg,2019-11-05T11:00:00Z,#KNOWvember19 lovely!,reply,1\n"
        "x,3,@zoe,2019-11-05T12:00:00Z,RT @mftlib: #KNOWvember19 our Knowledge Café,repost,1\n")


@pytest.fixture
def small(write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> Path:
    write_config(ORGS)
    (campaign_dir / "in.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    return campaign_dir


def test_markdown_html_and_org_pages_count_in_the_singular(small: Path, cli: Cli) -> None:
    result = cli("report", "--format", "html,md", "--per-org")
    assert result.exit_code == 0, result.stderr
    md = (small / "report" / "report.md").read_text(encoding="utf-8")
    assert "Unattributed contributors: 1 (1 post)." in md
    assert "1 interaction (replies, reposts, quotes and mentions) linked 2 organisations." in md
    assert "reaching 3 posts and 1 original post." in md
    html = (small / "report" / "report.html").read_text(encoding="utf-8")
    assert "reaching 3 posts and 1 original post." in html
    page = (small / "report" / "orgs" / "R0A.html").read_text(encoding="utf-8")
    assert "of 1 organisation, score" in page
    for text in (md, html, page):
        assert "1 posts" not in text and "1 organisations" not in text
        assert "1 original posts" not in text and "1 replies" not in text


def test_the_pdf_counts_in_the_singular(small: Path, cli: Cli,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import pdf

    said: list[str] = []
    para = pdf._Writer.para

    def keep(self: Any, text: str, *args: Any, **kwargs: Any) -> None:
        said.append(text)
        para(self, text, *args, **kwargs)

    monkeypatch.setattr(pdf._Writer, "para", keep)
    result = cli("report", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    text = "\n".join(said)
    assert "Unattributed contributors: 1 (1 post)." in text
    assert "1 interaction (replies, reposts, quotes and mentions) linked 2 organisations;" \
        in text


def test_markdown_without_runs_does_not_claim_full_coverage(campaign_dir: Path,
                                                            cli: Cli) -> None:
    result = cli("report", "--format", "md")
    assert result.exit_code == 0, result.stderr
    md = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "Coverage gaps: not known (no collection or import runs are recorded)" in md
    assert "Coverage gaps: 0" not in md

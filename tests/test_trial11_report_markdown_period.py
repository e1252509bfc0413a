"""The sixth new-user trial: the Markdown report says how many posts fall outside its dates.

The HTML and the PDF say "Campaign posts outside the report's dates, not counted: N before,
M after"; the Markdown, the report for a blog post, left it out, so an interim report posted
half way said nothing of the posts it did not count.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

CSV = ("platform,id,author_handle,created_at,text,likes\n"
       "x,1,@lib,2019-10-20T10:00:00Z,#KNOWvember19 warming up,1\n"
       "x,2,@lib,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,3\n"
       "x,3,@lib,2019-11-20T10:00:00Z,#KNOWvember19 Retrospect,2\n"
       "x,4,@lib,2019-11-21T10:00:00Z,#KNOWvember19 knowledge café,2\n")


def test_an_interim_markdown_report_counts_the_posts_after_its_last_day(
        campaign_dir: Path, cli: Cli) -> None:
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--format", "md", "--until", "2019-11-15")
    assert result.exit_code == 0, result.stderr
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert ("- Campaign posts outside the report's dates, not counted: 1 before, 2 after."
            in markdown)

"""The seventh new-user trial: the report's top contributors say who else shares the last
rank listed.

The table lists 25 contributors, cut wherever the 25th fell: in a campaign where most
people posted once, 27 tied first and the table showed 25 rows of rank 1, as if they were
all of them. It now says how many more share the last rank listed (the table is not
lengthened, as people who post once tie in their hundreds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]


def _rows(n: int, *, busy: bool = False) -> str:
    lines = ["platform,id,author_handle,created_at,text"]
    lines += [f"x,{i},@person{i:02d},2019-11-05T10:00:00Z,#KNOWvember19 hello"
              for i in range(1, n + 1)]
    if busy:  # one person with a second post: first alone
        lines.append("x,999,@person01,2019-11-06T10:00:00Z,#KNOWvember19 again")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("rows", "note"), [
    (_rows(27), "2 more contributors share rank 1 with the last one listed."),
    (_rows(26), "One more contributor shares rank 1 with the last one listed."),
    (_rows(26, busy=True), "One more contributor shares rank 2 with the last one listed."),
])
def test_contributors_tied_with_the_last_listed_are_counted(
        campaign_dir: Path, cli: Cli, rows: str, note: str) -> None:
    (campaign_dir / "in.csv").write_text(rows, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--format", "html")
    assert result.exit_code == 0, result.stderr
    html = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert note in html
    top = html.split("<h3>Top contributors</h3>")[1].split("</table>")[0]
    assert top.count("<tr><td class=\"num\">") == 25


@pytest.mark.parametrize("rows", [_rows(25), _rows(3)])
def test_no_note_without_a_tie_beyond_the_table(campaign_dir: Path, cli: Cli,
                                                rows: str) -> None:
    (campaign_dir / "in.csv").write_text(rows, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--format", "html")
    assert result.exit_code == 0, result.stderr
    html = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "with the last one listed" not in html

"""The seventh new-user trial: the method section's "posts outside the report's dates"
leaves out opted-out accounts, as every other number does.

An opted-out person's post of October (stored by an import of the archive) was counted
in "Campaign posts outside the report's dates, not counted: 1 before", in a report that
promises they are left out of every number.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

ROWS = ("platform,id,author_handle,created_at,text\n"
        "x,1,@optedout_nurse,2019-10-20T10:00:00Z,#KNOWvember19 getting ready\n"
        "x,2,@zoe,2019-10-21T10:00:00Z,#KNOWvember19 getting ready too\n"
        "x,3,@optedout_nurse,2019-12-02T10:00:00Z,#KNOWvember19 thanks all\n"
        "x,4,@zoe,2019-11-05T10:00:00Z,#KNOWvember19 Knowledge Café\n")


def test_posts_outside_the_period_leave_out_opted_out_accounts(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli,
        db_url: str) -> None:
    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    write_config('[leaderboard]\nexclude_accounts = ["x:@optedout_nurse"]\n')
    (campaign_dir / "in.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "in.csv", env=env).exit_code == 0
    result = cli("report", "--format", "html,md", env=env)
    assert result.exit_code == 0, result.stderr
    md = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "Campaign posts outside the report's dates, not counted: 1 before, 0 after." in md
    html = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "not counted: 1 before, 0 after." in html

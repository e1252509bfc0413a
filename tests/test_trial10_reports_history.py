"""The tenth session's trial of several campaigns in one database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

HEADER = ("platform,id,author_handle,author_name,author_followers,created_at,text,"
          "likes,reposts,replies,quotes\n")
EARLIER = """[campaign]
name = "KNOWvember 2018 (trying the tool)"
slug = "knowvember18"
hashtags = ["Knowvember18"]
start = 2018-11-01
end = 2018-11-30

[database]
url = "sqlite:///knowvember.db"
"""


def test_a_campaign_with_nothing_stored_is_no_earlier_campaign(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """A 2018 campaign.toml once run (`summary`) into the 2019 database, with nothing ever
    imported for it, made every 2019 organisation one "taking part for the first time (vs
    knowvember18)" and put a year of zeros in the report's year-on-year table."""
    write_config('\n[[organisations]]\ncode = "RWE"\naccounts = ["x:@uhl"]\n')
    (campaign_dir / "c18.toml").write_text(EARLIER, encoding="utf-8")
    assert cli("--config", "c18.toml", "summary").exit_code == 0
    (campaign_dir / "posts.csv").write_text(
        HEADER + "x,1,@uhl,UHL,10,2019-11-05T10:00:00Z,#KNOWvember19 hi,0,0,0,0\n",
        encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["previous_campaign"] is None
    assert summary["first_time_organisations"] is None
    assert cli("report", "--format", "md").exit_code == 0
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "trying the tool" not in markdown
    assert "Year on year" not in markdown

    # Once it holds a post, it is the campaign to compare with.
    (campaign_dir / "p18.csv").write_text(
        HEADER + "x,2,@uhl,UHL,10,2018-11-05T10:00:00Z,#Knowvember18 hi,0,0,0,0\n",
        encoding="utf-8")
    assert cli("--config", "c18.toml", "import", "csv", "p18.csv").exit_code == 0
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["previous_campaign"] == "knowvember18"
    assert summary["first_time_organisations"] == []


def test_an_opted_out_account_erased_with_forget_draws_no_misspelling_warning(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """After `forget x:@optedout --yes`, every summary, leaderboard and report warned that
    the `exclude_accounts` entry "matches no account ... check its spelling, or it is not
    left out": it is erased, so in no number. A misspelt entry still warns."""
    write_config('\n[leaderboard]\nexclude_accounts = ["x:@OptedOut", "x:@optedot"]\n')
    (campaign_dir / "posts.csv").write_text(
        HEADER + "x,1,@optedout,O,10,2019-11-05T10:00:00Z,#KNOWvember19 hi,0,0,0,0\n",
        encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    assert cli("forget", "x:@optedout", "--yes").exit_code == 0
    result = cli("summary")
    assert result.exit_code == 0
    assert "x:@optedout matches no account" not in result.stderr
    assert "x:@optedot matches no account" in result.stderr

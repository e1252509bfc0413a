"""The tenth session's trial of the region leaderboard: organisations without a region."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

HEADER = ("platform,id,author_handle,author_name,author_followers,created_at,text,"
          "likes,reposts,replies,quotes\n")
ORGS = """
[[organisations]]
code = "LKSN"
name = "Library Network Without Region"
accounts = ["x:@nr1", "x:@nr2", "x:@nr3"]

[[organisations]]
code = "TEAM"
name = "Team Trust"
region = "Beta Region"
accounts = ["x:@ann"]
"""


def _campaign(write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    rows = "".join(f"x,{10 + i},@{who},{who},10,2019-11-05T1{i}:00:00Z,#KNOWvember19 hi,"
                   "1,0,0,0\n" for i, who in enumerate(("nr1", "nr2", "nr3", "ann")))
    (campaign_dir / "posts.csv").write_text(HEADER + rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0


def test_no_region_is_listed_last_without_a_rank(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """"(no region)" (organisations the config gives no region) ranked first in the region
    leaderboard, above every real region, as if it were one: a coordinator announced it
    as the winning region. It is still listed (its posts add up to the total), last, with
    no rank; the real regions rank from 1."""
    _campaign(write_config, campaign_dir, cli)
    result = cli("leaderboard", "--by", "region", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["rank"], r["region"]) for r in rows] == [(1, "Beta Region"),
                                                        (None, "(no region)")]
    assert sum(r["posts"] for r in rows) == 4
    by_posts = json.loads(cli("leaderboard", "--by", "region", "--metric", "posts",
                              "--format", "json").stdout)
    assert [r["region"] for r in by_posts] == ["Beta Region", "(no region)"]
    csv = cli("leaderboard", "--by", "region", "--format", "csv").stdout.splitlines()
    assert csv[1].startswith("1,Beta Region,")
    assert csv[2].startswith(",(no region),")
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["regions"] == 1


def test_the_report_prints_no_rank_for_no_region(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The report's region table (HTML, Markdown, PDF) prints "—" for "(no region)", not
    "1" (nor "None")."""
    _campaign(write_config, campaign_dir, cli)
    result = cli("report", "--format", "html,md,pdf,xlsx")
    assert result.exit_code == 0, result.stderr
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "| 1 | Beta Region |" in markdown
    assert "| — | \\(no region\\) |" in markdown
    assert "None" not in markdown
    page = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert '<td class="num">—</td><td>(no region)</td>' in page
    assert '<td class="num">1</td><td>Beta Region</td>' in page


def test_contributors_are_not_ranked_by_stories_or_by_contributors(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """`leaderboard --by contributor --metric stories` tied every contributor first ("126
    more rows share rank 1"): stories belong to organisations, and each contributor is one
    contributor. Both are a usage error that says what ranks instead."""
    _campaign(write_config, campaign_dir, cli)
    for metric in ("stories", "contributors"):
        result = cli("leaderboard", "--by", "contributor", "--metric", metric)
        assert result.exit_code == 2, metric
        assert f"--metric {metric} does not rank contributors" in result.stderr
    assert cli("leaderboard", "--by", "contributor", "--metric", "posts").exit_code == 0
    assert cli("leaderboard", "--by", "region", "--metric", "stories").exit_code == 0

"""The ninth session's trial of the report's charts, as a coordinator publishes them."""

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
code = "LOUD"
name = "Loud Trust"
region = "Alpha Region"
accounts = ["x:@loud"]

[[organisations]]
code = "TEAM"
name = "Team Trust"
region = "Beta Region"
accounts = ["x:@ann", "x:@bob", "x:@cat"]
"""


def test_the_posts_by_region_chart_is_in_order_of_posts_and_scores_read_as_the_tables(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The "Posts by region" chart drew its bars in the region leaderboard's order (by
    score), so a region of many posts by one account sat below one of few posts by many:
    the demo's National (469 posts) was drawn under the South East (93). Its alt text
    follows the bars; a score there reads 10.50 as the tables print it, not 10.5."""
    write_config(ORGS)
    rows = "".join(f"x,{100 + i},@loud,Loud,10,2019-11-0{1 + i}T10:00:00Z,#KNOWvember19 "
                   f"post {i},0,0,0,0\n" for i in range(5))
    rows += "".join(f"x,{200 + i},@{who},{who},10,2019-11-05T1{i}:00:00Z,#KNOWvember19 hi,"
                    "0,0,0,0\n" for i, who in enumerate(("ann", "bob", "cat")))
    (campaign_dir / "posts.csv").write_text(HEADER + rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    result = cli("report", "--format", "html,md")
    assert result.exit_code == 0, result.stderr
    page = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert 'alt="Horizontal bar chart of posts per region: Alpha Region 5, Beta Region 3."' \
        in page
    assert "organisation scores, best first: Team Trust 9.00, Loud Trust 4.58." in page
    # The region leaderboard itself still ranks by score: Beta's three people first.
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert markdown.index("| 1 | Beta Region") < markdown.index("| 2 | Alpha Region")


def test_leaderboard_top_cut_in_a_tie_says_how_many_more_share_the_rank(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """`leaderboard --top 1` with two organisations tied for first printed one of them (the
    first by name) and nothing else: a coordinator announcing the winner missed the joint
    winner. The rows stay N (scripts rely on it); a note names the tie and the --top that
    shows it."""
    write_config(ORGS)
    rows = ("x,1,@loud,Loud,10,2019-11-02T10:00:00Z,#KNOWvember19 hi,0,0,0,0\n"
            "x,2,@ann,Ann,10,2019-11-02T11:00:00Z,#KNOWvember19 hi,0,0,0,0\n")
    (campaign_dir / "posts.csv").write_text(HEADER + rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    result = cli("leaderboard", "--top", "1", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("1,LOUD,")
    assert len(result.stdout.splitlines()) == 2
    assert ("1 more row shares rank 1 with the last one shown; --top 2 shows it too."
            in result.stderr)
    untied = cli("leaderboard", "--top", "2", "--format", "csv")
    assert "more row" not in untied.stderr


def test_the_report_top_organisations_keeps_every_organisation_tied_at_the_cut(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """`[reports] top_organisations = 1` with two organisations tied for first published
    one of them as the leaderboard (the other only by name order); both now show, in the
    table and the chart of the HTML and Markdown."""
    write_config(ORGS + "\n[reports]\ntop_organisations = 1\n")
    rows = ("x,1,@loud,Loud,10,2019-11-02T10:00:00Z,#KNOWvember19 hi,0,0,0,0\n"
            "x,2,@ann,Ann,10,2019-11-02T11:00:00Z,#KNOWvember19 hi,0,0,0,0\n")
    (campaign_dir / "posts.csv").write_text(HEADER + rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    result = cli("report", "--format", "html,md")
    assert result.exit_code == 0, result.stderr
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "| 1 | Loud Trust | Alpha Region |" in markdown
    assert "| 1 | Team Trust | Beta Region |" in markdown
    page = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "organisation scores, best first: Loud Trust 3.00, Team Trust 3.00." in page
    assert page.count('<span class="meta">TEAM</span>') >= 1


def test_the_techniques_chart_description_gives_posts_and_stories(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The chart draws posts and approved stories per technique; its description said so but
    listed a bare number, the posts only."""
    write_config(ORGS)
    rows = "".join(f"x,{300 + i},@loud,Loud,10,2019-11-0{1 + i}T10:00:00Z,#KNOWvember19 our "
                   f"peer assist {i},0,0,0,0\n" for i in range(3))
    (campaign_dir / "posts.csv").write_text(HEADER + rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    submitted = cli("stories", "submit", "--title", "Peer assist for the ward move", "--body",
                    "We ran a peer assist before the move.", "--technique", "Peer Assist",
                    "--name", "Ann", "--email", "ann@nhs.net", "--consent", "--format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    story = json.loads(submitted.stdout)["id"]
    assert cli("stories", "approve", str(story), "--reviewer", "coord").exit_code == 0
    assert cli("report", "--format", "html").exit_code == 0
    page = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "per technique: Peer Assist 3 posts and 1 story." in page

"""A coordinator's trial of the end-of-month report: what reaches the published files.

The campaign is built the way a user builds one, through the CLI: a 2019 archive and this
year's posts (CSV imports) in one database, posts on three platforms, accounts with and
without an organisation. Each test checks what a published report, summary or leaderboard
must (or must never) contain.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_CONFIG

CONFIG_2026 = """\
[campaign]
name = "KNOWvember 2026"
slug = "knowvember26"
hashtags = ["KNOWvember2026", "KNOWvember26", "KNOWvember"]
start = 2026-11-01
end = 2026-11-30
timezone = "Europe/London"

[database]
url = "sqlite:///knowvember.db"
"""

HEADER = "platform,id,author_handle,created_at,text,likes,reposts,author_name,kind\n"
POSTS_2019 = HEADER + (
    "x,1190000000000000001,@UHLLibraries,2019-11-05T09:30:00Z,Peer Assist #KNOWvember19,4,2,"
    "UHL Libraries,original\n")
POSTS_2026 = HEADER + (
    "x,2000000000000000001,@UHLLibraries,2026-11-01T00:30:00Z,"
    "Peer Assist #KNOWvember26 ask me at lib.team@uhl.nhs.uk,10,5,UHL Libraries,original\n"
    "mastodon,https://nhs.social/users/kb/statuses/1,@kb@nhs.social,2026-11-10T10:00:00Z,"
    "Fishbowl with @kb@nhs.social #knowvember26,5,2,KB,original\n"
    "bluesky,at://did:plc:abc/app.bsky.feed.post/1,lib.bsky.social,2026-11-30T23:30:00Z,"
    "Community of Practice #KNOWvember26,7,1,helpdesk@library.example.org,original\n")
ADDRESS = re.compile(r"(?<![@\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

Cli = Callable[..., Any]


def _import(cli: Cli, folder: Path, name: str, text: str, *config: str) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    result = cli(*config, "import", "csv", str(path))
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def two_years(campaign_dir: Path, cli: Cli) -> Path:
    """One database: the 2019 archive (campaign.toml of 2019) and this year's posts (2026)."""
    _import(cli, campaign_dir, "2019.csv", POSTS_2019)
    this_year = campaign_dir / "2026.toml"
    this_year.write_text(CONFIG_2026, encoding="utf-8")
    _import(cli, campaign_dir, "2026.csv", POSTS_2026, "--config", str(this_year))
    for account, code in (("x:@UHLLibraries", "RWE"), ("mastodon:@kb@nhs.social", "RX1")):
        assert cli("--config", str(this_year), "orgs", "assign", account, code).exit_code == 0
    return this_year


def _approved_story(cli: Cli, config: tuple[str, ...], *fields: str) -> int:
    """Submit a story from the CLI with `fields` and approve it; its id."""
    result = cli(*config, "stories", "submit", *fields, "--no-interactive", "--format", "json")
    assert result.exit_code == 0, result.stderr
    story = json.loads(result.stdout)["id"]
    assert cli(*config, "stories", "approve", str(story),
               env={"KNOWVEMBER_REVIEWER": "tester"}).exit_code == 0
    return int(story)


def _texts(folder: Path) -> dict[str, str]:
    """Every text a report folder holds, the workbook's XML included, by file name."""
    found = {}
    for path in folder.rglob("*"):
        if path.suffix in (".html", ".md", ".csv", ".gexf", ".graphml"):
            found[str(path.relative_to(folder))] = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for name in book.namelist():
                    found[f"{path.name}:{name}"] = book.read(name).decode("utf-8")
    return found


def test_no_email_address_in_any_output_even_in_posts_and_names(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    out = campaign_dir / "published"
    result = cli("--config", str(two_years), "report", "--out", str(out),
                 "--format", "html,md,xlsx", "--per-org")
    assert result.exit_code == 0, result.stderr
    texts = _texts(out)
    assert "posts.csv" in texts and "report.xlsx:xl/worksheets/sheet3.xml" in texts
    for name, text in texts.items():
        assert not ADDRESS.search(text), (name, ADDRESS.search(text))
    # The post itself is still there, and a fediverse handle is a name, not an address.
    assert "ask me at [email address removed]" in texts["report.html"]
    assert "ask me at [email address removed]" in texts["posts.csv"]
    assert "@kb@nhs.social" in texts["report.html"]
    board = cli("--config", str(two_years), "leaderboard", "--by", "contributor",
                "--format", "json")
    assert board.exit_code == 0 and not ADDRESS.search(board.stdout), board.stdout
    assert {r["account"] for r in json.loads(board.stdout)} == {
        "x:@uhllibraries", "mastodon:@kb@nhs.social", "bluesky:lib.bsky.social"}


def test_the_report_counts_only_its_own_campaign(two_years: Path, cli: Cli) -> None:
    this_year = json.loads(cli("--config", str(two_years), "summary", "--format",
                               "json").stdout)
    assert (this_year["posts"], this_year["contributors"]) == (3, 3)
    assert this_year["by_day"]["2026-11-30"] == 1  # 23:30 UTC on 30 November is 30 November
    assert this_year["previous_campaign"] == "knowvember19"
    last_year = json.loads(cli("summary", "--format", "json").stdout)
    assert (last_year["posts"], last_year["campaign"]["slug"]) == (1, "knowvember19")


def test_another_years_database_says_so(campaign_dir: Path, cli: Cli) -> None:
    _import(cli, campaign_dir, "2019.csv", POSTS_2019)
    this_year = campaign_dir / "2026.toml"
    this_year.write_text(CONFIG_2026, encoding="utf-8")
    for command in (("summary",), ("leaderboard",), ("report", "--format", "html")):
        result = cli("--config", str(this_year), *command)
        assert result.exit_code == 0, result.stderr
        message = " ".join(result.stderr.split())
        assert "no posts or stories of knowvember26" in message, (command, message)
        assert 'knowvember19 ("KNOWvember 2019", 2019-11-01 to 2019-11-30: 1 post stored)' \
            in message
        assert "--config" in message and "[database] url" in message
    # The 2019 campaign itself, and a campaign with posts, are not warned about.
    assert "no posts or stories" not in cli("summary").stderr


def test_a_campaign_with_posts_gets_no_other_year_warning(two_years: Path, cli: Cli) -> None:
    result = cli("--config", str(two_years), "summary")
    assert result.exit_code == 0 and "no posts or stories" not in result.stderr


assert "knowvember19" in BASE_CONFIG  # the fixture's campaign.toml is the 2019 campaign


ONE_POST = HEADER.replace("kind\n", "kind,replies,quotes\n") + (
    "x,2000000000000000009,@UHLLibraries,2026-11-03T09:00:00Z,Peer Assist #KNOWvember26,1,1,"
    "UHL Libraries,original,1,1\n")


def test_a_one_post_campaign_reads_in_the_singular(campaign_dir: Path, cli: Cli) -> None:
    this_year = campaign_dir / "2026.toml"
    this_year.write_text(CONFIG_2026, encoding="utf-8")
    _import(cli, campaign_dir, "one.csv", ONE_POST, "--config", str(this_year))
    summary = cli("--config", str(this_year), "summary")
    assert "(1 post)" in summary.stdout and "1 post, 0 stories" in summary.stdout
    out = campaign_dir / "one"
    result = cli("--config", str(this_year), "report", "--out", str(out), "--format",
                 "html,xlsx")
    assert result.exit_code == 0, result.stderr
    assert "All posts (CSV, 1 row):" in result.stderr
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    assert "4 engagement (1 like, 1 repost, 1 reply, 1 quote)" in html
    assert "1 likes" not in html and "1 quotes" not in html


def test_chart_labels_print_scores_as_the_tables_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.axes import Axes

    from reports import charts

    labels: list[str] = []
    real = Axes.annotate

    def record(self: Axes, text: str, *args: Any, **kwargs: Any) -> Any:
        labels.append(text)
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", record)
    charts.ranking(["A", "B"], [6.12, 4.0], title="t", xlabel="Score")
    assert labels == ["6.12", "4"]


def test_cumulative_lines_that_coincide_stay_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from matplotlib.axes import Axes

    from reports import charts

    styles: list[str] = []
    real = Axes.plot

    def record(self: Axes, *args: Any, **kwargs: Any) -> Any:
        styles.append(kwargs.get("linestyle", "-"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", record)
    days = [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    charts.cumulative(days, {"All posts": [1, 0], "Original posts": [1, 0]})
    assert len(styles) == 2 and styles[0] != styles[1]


def test_an_empty_campaign_says_so_instead_of_drawing_empty_charts(
        campaign_dir: Path, cli: Cli) -> None:
    out = campaign_dir / "empty"
    result = cli("report", "--out", str(out), "--format", "html,md,pdf,xlsx", "--per-org")
    assert result.exit_code == 0, result.stderr
    assert not (out / "charts").exists()  # nothing to chart: no PNG of empty axes
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    assert "No posts in the period yet, so there is no activity to chart." in html
    assert "<img" not in html and "The 0 posts" not in html
    assert "0 stories submitted, 0 approved.</p>" in html
    assert "No posts in the period yet" in (out / "report.md").read_text(encoding="utf-8")
    # Nothing ran, so nothing is known about coverage (not "no stretch is uncovered").
    assert "nothing is known about which stretches of it were covered" in html
    assert "No stretch of the campaign is known to be uncovered" not in html
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Top posts by engagement\n\nNo posts yet." in markdown


def test_an_empty_pdf_says_there_is_nothing_under_its_headings(
        campaign_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowvember.config import load_settings_file
    from knowvember.db import open_database
    from reports import pdf
    from reports.build import build_report

    said: list[str] = []
    real = pdf._Writer.para

    def record(self: Any, text: str, *args: Any, **kwargs: Any) -> Any:
        said.append(text)
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(pdf._Writer, "para", record)
    settings = load_settings_file(campaign_dir / "campaign.toml")
    db = open_database(settings)
    try:
        build_report(db, settings, campaign_dir / "pdf", formats=["pdf"])
    finally:
        db.dispose()
    assert "No posts yet." in said
    assert "No stories have been approved for publication yet." in said
    assert "No posts in the period yet, so there is no activity to chart." in said


def test_days_without_posts_stop_at_the_reports_now_in_campaign_time(
        two_years: Path, campaign_dir: Path) -> None:
    import datetime as dt

    from knowvember.config import load_settings_file
    from knowvember.db import open_database
    from reports.build import build_report

    settings = load_settings_file(two_years)
    db = open_database(settings)
    try:
        # 23:30 UTC on 10 November is still 10 November in London (GMT), but 11 November
        # is not yet there: a report at that moment lists no day after the 10th as empty.
        now = dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC)
        written = build_report(db, settings, campaign_dir / "mid", formats=["html"], now=now)
    finally:
        db.dispose()
    html = written["HTML report"].read_text(encoding="utf-8")
    assert "Days with no posts at all: 2–9 November 2026." in html


def test_a_story_link_holding_an_address_is_left_out_of_every_format(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    config = ("--config", str(two_years))
    _approved_story(cli, config, "--title", "Linked", "--body", "See the form",
                    "--technique", "Peer Assist", "--org", "RWE", "--name", "Lin",
                    "--email", "lin@nhs.net",
                    "--link", "https://forms.example.org/a?to=lin.k@nhs.net",
                    "--link", "https://example.org/peer-assist", "--consent")
    out = campaign_dir / "with-links"
    result = cli(*config, "report", "--out", str(out), "--format", "html,md,xlsx")
    assert result.exit_code == 0, result.stderr
    texts = _texts(out)
    for name, text in texts.items():
        assert "lin.k@nhs.net" not in text and "forms.example.org" not in text, name
    assert 'href="https://example.org/peer-assist"' in texts["report.html"]
    assert "https://example.org/peer-assist" in texts["report.xlsx:xl/worksheets/sheet4.xml"]


def test_an_address_typed_as_the_organisation_stays_out_of_the_workbook(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    config = ("--config", str(two_years))
    _approved_story(cli, config, "--title", "Org text", "--body", "B",
                    "--technique", "Peer Assist", "--org", "Library team, ask org.text@nhs.net",
                    "--name", "Lin", "--email", "lin@nhs.net", "--consent")
    out = campaign_dir / "org-text"
    assert cli(*config, "report", "--out", str(out), "--format", "html,md,xlsx").exit_code == 0
    texts = _texts(out)
    assert "Library team, ask [email address removed]" in \
        texts["report.xlsx:xl/worksheets/sheet4.xml"]
    for name, text in texts.items():
        assert "org.text@nhs.net" not in text, name


def test_the_hours_chart_says_its_busiest_hour_in_words(two_years: Path, cli: Cli,
                                                        campaign_dir: Path) -> None:
    out = campaign_dir / "alt"
    assert cli("--config", str(two_years), "report", "--out", str(out), "--format",
               "html").exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    alts = re.findall(r'alt="([^"]*)"', html)
    # 00:30, 10:00 and 23:30 London time: one post each, the earliest hour wins the tie.
    assert ("Bar chart of posts by local hour of day; the busiest hour is 00:00 to 00:59 "
            "with 1 post over the period.") in alts
    assert cli("--config", str(two_years), "report", "--out", str(out), "--format",
               "md").exit_code == 0
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "](charts/hours.png)" in markdown  # every chart the HTML shows, the blog post has


def test_an_org_page_says_why_an_approved_story_is_not_shown(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    config = ("--config", str(two_years))
    _approved_story(cli, config, "--title", "SECRET TITLE", "--body",
                    "SECRET BODY", "--technique", "Fishbowl", "--org", "RX1", "--name",
                    "SECRET NAME", "--email", "s@nhs.net", "--no-consent")
    out = campaign_dir / "consent"
    assert cli(*config, "report", "--out", str(out), "--format", "html,md,xlsx",
               "--per-org").exit_code == 0
    for name, text in _texts(out).items():
        assert "SECRET" not in text, name
    page = " ".join((out / "orgs" / "RX1.html").read_text(encoding="utf-8").split())
    assert ("One approved story is counted but not shown: its author did not agree to its "
            "publication.") in page
    assert "No approved stories published for this organisation." in page
    other = (out / "orgs" / "RWE.html").read_text(encoding="utf-8")
    assert "counted but not shown" not in other


def test_a_narrower_run_removes_the_pages_of_the_old_html_and_keeps_other_formats(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    config = ("--config", str(two_years))
    out = campaign_dir / "board"
    out.mkdir()
    (out / "minutes.docx").write_text("the board's own file", encoding="utf-8")
    assert cli(*config, "report", "--out", str(out), "--format", "html,xlsx",
               "--per-org").exit_code == 0
    assert (out / "orgs" / "RWE.html").exists() and (out / "report.xlsx").exists()
    result = cli(*config, "report", "--out", str(out), "--format", "html")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    # Last run's per-org pages would be linked from today's HTML with other numbers.
    assert not (out / "orgs").exists()
    assert f"Removed {out / 'orgs'}: the earlier report's, which this report replaces" in said
    # Last run's workbook was asked for then: kept, saying it was not remade.
    for kept in ("report.xlsx", "posts.csv"):
        assert (out / kept).exists(), kept
        assert (f"Kept {out / kept} from an earlier report run: this run did not remake it, "
                "so its numbers may differ") in said
    assert (out / "report.html").exists() and (out / "charts" / "daily.png").exists()
    assert (out / "minutes.docx").read_text(encoding="utf-8") == "the board's own file"
    # An xlsx-only run leaves the HTML and its pages alone.
    assert cli(*config, "report", "--out", str(out), "--format", "html", "--per-org").exit_code == 0
    assert cli(*config, "report", "--out", str(out), "--format", "xlsx").exit_code == 0
    assert (out / "report.html").exists() and (out / "orgs" / "RWE.html").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("@lib x.y@nhs.net", "@lib [email address removed]"),  # a mention first, then an address
    ("hi @lib and @kb@nhs.social", "hi @lib and @kb@nhs.social"),  # names, not addresses
    ("a_b@c.org", "[email address removed]"),
    ("", ""),
])
def test_redaction_finds_an_address_after_mentions(text: str, expected: str) -> None:
    from reports.redact import redact_emails

    assert redact_emails(text) == expected


def test_the_workbook_holds_every_headline_number_the_summary_has(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    import openpyxl

    config = ("--config", str(two_years))
    summary = json.loads(cli(*config, "summary", "--format", "json").stdout)
    out = campaign_dir / "book"
    assert cli(*config, "report", "--out", str(out), "--format", "xlsx").exit_code == 0
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    rows = {k: v for k, v in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert rows["peak_day posts"] == summary["peak_day"]["posts"]
    assert rows["peak_hour posts"] == summary["peak_hour"]["posts"]
    for hour, n in summary["by_hour"].items():
        assert rows[f"posts in hour {hour}:00-{hour}:59"] == n
    for phase, counts in summary["phases"].items():
        assert rows[f"phase: {phase} (posts)"] == counts["posts"]
        assert rows[f"phase: {phase} (approved stories)"] == counts["stories"]
    assert rows["previous_campaign"] == "knowvember19"
    assert rows["first_time_organisations"] == len(summary["first_time_organisations"])


def test_a_run_message_quoting_an_address_is_redacted_in_the_report(
        two_years: Path, cli: Cli, campaign_dir: Path) -> None:
    bad = campaign_dir / "bad.csv"
    bad.write_text("platform,id,author_handle,created_at,text\n"
                   "x,notanid jane.runs@nhs.net,@a,2026-11-02T10:00:00Z,hi #KNOWvember26\n"
                   "x,2000000000000000778,@a,2026-11-02T10:00:00Z,ok #KNOWvember26\n",
                   encoding="utf-8")
    assert cli("--config", str(two_years), "import", "csv", str(bad)).exit_code == 4
    out = campaign_dir / "runs"
    assert cli("--config", str(two_years), "report", "--out", str(out), "--format",
               "html,md").exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "id &#39;notanid [email address removed]&#39; is not an X post id" in html
    for name, text in _texts(out).items():
        assert "jane.runs@nhs.net" not in text, name


def test_posts_csv_and_workbook_lose_addresses_on_every_database(
        campaign_dir: Path, db_url: str) -> None:
    """posts.csv is written by SQL and a cursor, differently on SQLite and PostgreSQL."""
    import datetime as dt

    from knowvember.hashtags import CampaignTags
    from knowvember.records import PostRecord
    from knowvember.store import PostWriter
    from reports.build import build_report
    from tests.test_report_world import make_settings, open_world

    for world in open_world(make_settings(campaign_dir), db_url):
        PostWriter(world.db, CampaignTags(world.settings.campaign.all_tags),
                   source="test").write([PostRecord(
                       platform="x", platform_id="1440716895355764799", account_key="1",
                       created_at=dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC),
                       text="Ask @uhl_kate or kate.w@nhs.net #KNOWvember19",
                       hashtags=("knowvember19",), likes=500)])
        written = build_report(world.db, world.settings, campaign_dir / "out",
                               formats=["xlsx"])
        out = written["Workbook (XLSX)"].parent
        texts = _texts(out)
        assert "Ask @uhl_kate or [email address removed] #KNOWvember19" in texts["posts.csv"]
        for name, text in texts.items():
            assert "kate.w@nhs.net" not in text, name


def test_a_campaign_with_only_stories_so_far_is_not_told_it_is_empty(
        campaign_dir: Path, cli: Cli) -> None:
    _import(cli, campaign_dir, "2019.csv", POSTS_2019)
    this_year = campaign_dir / "2026.toml"
    this_year.write_text(CONFIG_2026, encoding="utf-8")
    result = cli("--config", str(this_year), "stories", "submit", "--title", "Early", "--body",
                 "B", "--org", "RWE", "--name", "N", "--email", "n@nhs.net", "--consent",
                 "--no-interactive")
    assert result.exit_code == 0, result.stderr
    summary = cli("--config", str(this_year), "summary")
    assert summary.exit_code == 0 and "no posts or stories" not in summary.stderr

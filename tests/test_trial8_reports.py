"""The eighth session's trial of `summary`, `leaderboard` and `report` as a coordinator.

Each test builds its campaign through the CLI, as a coordinator would (CSV imports, stories
submitted and approved), and checks what the published numbers and files hold.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]

HEADER = ("platform,id,author_handle,author_name,author_followers,created_at,text,"
          "likes,reposts,replies,quotes\n")
BIG = 2**63 - 1  # the largest count the database holds: a damaged archive field


def _import(cli: Cli, folder: Path, rows: str, env: dict[str, str] | None = None) -> None:
    path = folder / "posts.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = cli("import", "csv", str(path), env=env)
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("command", [("summary", "--format", "json"),
                                     ("leaderboard", "--by", "contributor", "--format", "json"),
                                     ("report", "--format", "md,xlsx")])
def test_counts_past_int64_when_added_are_capped_not_a_crash(
        campaign_dir: Path, cli: Cli, db_url: str, command: tuple[str, ...]) -> None:
    """Two posts whose likes and reposts are 2**63 - 1 (and accounts with as many followers)
    made every report command fail with "unexpected ValueError" on SQLite: the sum became
    a REAL that the integer reader refused. Each count now counts as at most a trillion."""
    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    _import(cli, campaign_dir,
            f"x,3001,@bigone,Big One,{BIG},2019-11-21T10:00:00Z,#KNOWvember19 Peer Assist,"
            f"{BIG},{BIG},0,0\n"
            f"x,3002,@bigtwo,Big Two,{BIG},2019-11-21T11:00:00Z,#KNOWvember19 too,{BIG},0,0,0\n"
            "x,3003,@small,Small,10,2019-11-22T11:00:00Z,#KNOWvember19 hello,3,1,0,0\n",
            env)
    result = cli(*command, env=env)
    assert result.exit_code == 0, result.stderr
    if command[0] == "summary":
        summary = json.loads(result.stdout)
        assert summary["engagement"] == 2 * 10**12 + 4
        assert summary["potential_reach"] == 2 * 10**12 + 10
    elif command[0] == "leaderboard":
        rows = {r["account"]: r for r in json.loads(result.stdout)}
        assert rows["x:@bigone"]["engagement"] == 10**12
        assert rows["x:@small"]["engagement"] == 4
        assert all(r["score"] >= 0 for r in rows.values())
    else:
        markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
        assert "X (Twitter), 21 November 2019: 1,000,000,000,000 engagement" in markdown
        lines = (campaign_dir / "report" / "posts.csv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 4


@pytest.mark.parametrize("command", [("leaderboard", "--format", "json"),
                                     ("report", "--format", "md")])
def test_a_weight_so_large_that_scores_overflow_is_refused_naming_it(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli,
        command: tuple[str, ...]) -> None:
    """`weights = { stories = 1e308 }` overflowed every score with a story to Infinity, which
    ranks nothing and is printed as `Infinity`, not JSON. (nan and inf are refused by the
    config itself.)"""
    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-21T10:00:00Z,#KNOWvember19 Peer Assist,1,0,0,0\n")
    write_config("[leaderboard]\nweights = { contributors = 1e308 }\n")
    result = cli(*command)
    assert result.exit_code == 3
    assert "leaderboard.weights: weight 'contributors'" in result.stderr
    assert "from 0 to 1,000,000" in result.stderr
    assert "Infinity" not in result.stdout


@pytest.mark.parametrize("weight", ["nan", "inf"])
def test_config_check_refuses_a_weight_of_nan_or_inf(write_config: Callable[[str], Path],
                                                     cli: Cli, weight: str) -> None:
    """They made every score NaN or Infinity; `config check` names the key."""
    write_config(f"[leaderboard]\nweights = {{ contributors = {weight} }}\n")
    result = cli("config", "check")
    assert result.exit_code == 3
    assert "leaderboard.weights.contributors" in result.stderr


@pytest.mark.parametrize("by", ["organisation", "region", "contributor"])
def test_leaderboard_csv_of_no_rows_has_its_header(campaign_dir: Path, cli: Cli,
                                                   by: str) -> None:
    """`leaderboard --format csv > orgs.csv` before the first post wrote an empty file, so
    the coordinator's spreadsheet (or script) had no columns to point at."""
    empty = cli("leaderboard", "--by", by, "--format", "csv")
    assert empty.exit_code == 0, empty.stderr
    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-21T10:00:00Z,#KNOWvember19 Peer Assist,1,0,0,0\n")
    assert cli("orgs", "assign", "x:@lib", "RWE").exit_code == 0
    full = cli("leaderboard", "--by", by, "--format", "csv")
    header = full.stdout.splitlines()[0]
    assert empty.stdout == header + "\n"
    assert header.startswith("rank,") and header.endswith(",score")


PHONES = ("07700 900123", "0113 392 6445", "+44 (0)7700 900 456", "(0113) 392 6446",
          "07700-900-124")
KEPT = ("2,869 posts", "01/11/2019", "0.5 FTE", "https://x.com/lib/status/0123456789012",
        "#KNOWvember19", "id 012345678901234")


def _texts_of(folder: Path) -> str:
    import openpyxl

    text = "\n".join(path.read_text(encoding="utf-8") for path in folder.rglob("*")
                     if path.suffix in (".html", ".md", ".csv") and path.name != "posts.csv")
    workbook = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    cells = [str(c) for ws in workbook for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]
    workbook.close()
    return text + "\n" + "\n".join(cells)


def test_phone_numbers_in_stories_and_top_posts_are_not_published(
        campaign_dir: Path, cli: Cli) -> None:
    """A story saying "call me on 07700 900123" was published with the mobile number in
    report.html, .md, .xlsx and `stories export`, though its email address was removed."""
    body = ("We ran a Peer Assist. Call me on " + PHONES[0] + " or the library on " + PHONES[1]
            + "; mobile " + PHONES[2] + ". " + " ".join(KEPT))
    submitted = cli("stories", "submit", "--title", "Peer Assist before go-live", "--body",
                    body, "--outcome", "Ring " + PHONES[3], "--technique", "Peer Assist",
                    "--org", "RWE", "--name", "Jo Bloggs " + PHONES[4], "--email",
                    "jo@nhs.net", "--consent", "--no-interactive", "--format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    story = json.loads(submitted.stdout)["id"]
    assert cli("stories", "approve", str(story),
               env={"KNOWVEMBER_REVIEWER": "tester"}).exit_code == 0
    _import(cli, campaign_dir,
            f"x,1,@lib,Lib,10,2019-11-21T10:00:00Z,#KNOWvember19 Peer Assist: {PHONES[0]},"
            "9,0,0,0\n")
    result = cli("report", "--format", "html,md,xlsx", "--per-org")
    assert result.exit_code == 0, result.stderr
    exported = cli("stories", "export", "--format", "md")
    assert exported.exit_code == 0, exported.stderr
    published = _texts_of(campaign_dir / "report") + "\n" + exported.stdout
    for phone in PHONES:
        assert phone not in published
    assert "900123" not in published and "6445" not in published
    assert "[phone number removed]" in published
    for kept in ("2,869 posts", "01/11/2019", "0.5 FTE", "012345678901234"):
        assert kept in published


@pytest.mark.parametrize(("text", "expected"), [
    ("Call 07700 900123 now", "Call [phone number removed] now"),
    ("ring 0113 392 6445.", "ring [phone number removed]."),
    ("+447700900456", "[phone number removed]"),
    ("tel:07700900123", "tel:[phone number removed]"),
    ("020 7946 0018 (switchboard)", "[phone number removed] (switchboard)"),
    ("5-9 November: 2,869 posts, 0.5 FTE, 01/11/2019", None),
    ("https://x.com/a/status/01234567890 and 0123456789012345", None),
    ("@lib@nhs.social", None),
    ("ISBN 0131103628 and ISBN: 0131103628", None),
    ("ref 0012345678 or 0612345678", None),
])
def test_redact_contacts_finds_uk_numbers_as_written(text: str, expected: str | None) -> None:
    from reports.redact import redact_contacts

    assert redact_contacts(text) == (text if expected is None else expected)


def test_no_organisation_or_technique_yet_is_said_not_an_empty_table(
        campaign_dir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Posts from accounts of no organisation, naming no technique: report.md and the PDF
    showed a leaderboard table of headers alone and a "Techniques by phase" heading over
    nothing (the HTML already said "No organisation has taken part yet.")."""
    import reports.pdf

    said: list[str] = []
    tables: list[str] = []
    para, table = reports.pdf._Writer.para, reports.pdf._Writer.table

    def spy_para(self: Any, text: str, *args: Any, **kwargs: Any) -> None:
        said.append(text)
        para(self, text, *args, **kwargs)

    def spy_table(self: Any, header: Any, rows: Any, *args: Any, **kwargs: Any) -> None:
        tables.append(header[1])
        table(self, header, rows, *args, **kwargs)

    monkeypatch.setattr(reports.pdf._Writer, "para", spy_para)
    monkeypatch.setattr(reports.pdf._Writer, "table", spy_table)
    _import(cli, campaign_dir,
            "x,1,@someone,Someone,10,2019-11-21T10:00:00Z,Hello #KNOWvember19,1,0,0,0\n")
    result = cli("report", "--format", "md,pdf")
    assert result.exit_code == 0, result.stderr
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    organisations = markdown.split("## Organisations and regions")[1].split("## ")[0]
    techniques = markdown.split("## Techniques by phase")[1].split("## ")[0]
    assert "| Rank |" not in organisations
    assert "No organisation has taken part yet." in organisations
    assert "No technique has been named in a post or an approved story yet." in techniques
    assert "No organisation has taken part yet." in said
    assert "No technique has been named in a post or an approved story yet." in said
    assert "Organisation" not in tables and "Region" not in tables


def test_a_misspelt_exclude_account_is_named_not_silently_ignored(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """`exclude_accounts = ["x:@imranchem"]` (for @imranchen) left the person who opted out
    in every number and name of the report, with nothing said; now it is named on stderr,
    and the entries that match are still left out."""
    write_config('[leaderboard]\nexclude_accounts = ["x:@ImranChen", "x:@imranchem"]\n')
    _import(cli, campaign_dir,
            "x,1,@imranchen,Imran,10,2019-11-21T10:00:00Z,Hello #KNOWvember19,1,0,0,0\n"
            "x,2,@lib,Lib,10,2019-11-21T11:00:00Z,Hello #KNOWvember19,1,0,0,0\n")
    result = cli("summary", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["posts"] == 1
    assert result.stderr.count("x:@imranchem matches no account") == 1
    assert "imranchen matches" not in result.stderr


@pytest.mark.parametrize(("now", "title"), [
    (dt.datetime(2019, 11, 20, 9, 0, tzinfo=dt.UTC),
     "# KNOWvember 2019: interim report to 20 November 2019"),
    (dt.datetime(2019, 11, 30, 23, 59, tzinfo=dt.UTC), "# KNOWvember 2019: campaign report"),
    (dt.datetime(2019, 12, 1, 12, 0, tzinfo=dt.UTC), "# KNOWvember 2019: campaign report"),
])
def test_a_report_made_mid_campaign_is_an_interim_report_to_today(
        campaign_dir: Path, cli: Cli, settings: Any, sqlite_db: Any, now: dt.datetime,
        title: str) -> None:
    """`knowvember report` on 20 November said "campaign report" over the whole month, ten
    days of it still to come; it is now the interim report to today, as `--until` makes."""
    from reports.build import build_report

    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,1,0,0,0\n")
    build_report(sqlite_db, settings, campaign_dir / "report", formats=["md"], now=now)
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert markdown.splitlines()[0] == title
    assert ("**Interim report**" in markdown) == ("interim" in title)


def test_posts_csv_engagement_adds_up_to_the_reports(campaign_dir: Path, cli: Cli,
                                                      db_url: str) -> None:
    """A repost carries its original's counts: posts.csv gave it them as engagement, so a
    coordinator summing the column got more than the report's headline (73,540 against
    47,841 in the demo). Its cell is empty now; likes and reposts stay as received."""
    import csv

    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,10,5,1,0\n"
            "x,2,@fan,Fan,10,2019-11-05T11:00:00Z,RT @lib: #KNOWvember19 Peer Assist,10,5,1,0\n"
            "x,3,@fan,Fan,10,2019-11-06T11:00:00Z,#KNOWvember19 reply,2,0,0,0\n", env)
    result = cli("report", "--format", "xlsx", env=env)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(cli("summary", "--format", "json", env=env).stdout)
    with (campaign_dir / "report" / "posts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sum(int(r["engagement"] or 0) for r in rows) == summary["engagement"] == 18
    repost = next(r for r in rows if r["kind"] == "repost")
    assert (repost["engagement"], repost["likes"], repost["reposts"]) == ("", "10", "5")


@pytest.mark.parametrize(("formats", "own", "kept"), [
    ("html", "orgs/contacts.txt", "my notes"),
    ("html", "charts/logo.svg", "<svg/>"),
    ("xlsx", "posts.csv", "platform,id,author_handle\n"),
])
def test_report_into_the_campaign_folder_never_replaces_the_coordinators_files(
        campaign_dir: Path, cli: Cli, formats: str, own: str, kept: str) -> None:
    """`report --out .` in the campaign folder deleted an `orgs/` folder of the
    coordinator's notes ("the earlier report's, which this report replaces") and overwrote
    their posts.csv import file; it now stops first, naming the file, and writes nothing."""
    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,1,0,0,0\n")
    mine = campaign_dir / own
    mine.parent.mkdir(exist_ok=True)
    mine.write_text(kept, encoding="utf-8")
    result = cli("report", "--format", formats, "--out", ".")
    assert result.exit_code == 2
    assert str(mine) in result.stderr and "is not from a report" in result.stderr
    assert mine.read_text(encoding="utf-8") == kept
    assert not (campaign_dir / "report.html").exists()
    assert not (campaign_dir / "report.xlsx").exists()


def test_a_reports_own_files_are_still_replaced_and_removed(campaign_dir: Path,
                                                            cli: Cli) -> None:
    """The check above leaves the report's own earlier files to be replaced as before."""
    _import(cli, campaign_dir,
            "x,1,@lib,Lib,10,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,1,0,0,0\n")
    assert cli("orgs", "assign", "x:@lib", "RWE").exit_code == 0
    (campaign_dir / "posts.csv").unlink()  # the import file: it would be refused, as above
    first = cli("report", "--format", "html,xlsx", "--per-org", "--out", ".")
    assert first.exit_code == 0, first.stderr
    assert (campaign_dir / "orgs" / "RWE.html").is_file()
    again = cli("report", "--format", "html,xlsx", "--out", ".")
    assert again.exit_code == 0, again.stderr
    assert not (campaign_dir / "orgs").exists()
    assert (campaign_dir / "posts.csv").read_text(encoding="utf-8-sig").startswith("platform,")


def test_an_empty_formats_list_is_a_config_error(write_config: Callable[[str], Path],
                                                 campaign_dir: Path, cli: Cli) -> None:
    """`[reports] formats = []` wrote only the two network files and exited 0, as if the
    report had been written."""
    write_config("[reports]\nformats = []\n")
    result = cli("report")
    assert result.exit_code == 3
    assert "reports.formats is empty" in result.stderr
    assert not (campaign_dir / "report").exists()
    assert cli("report", "--format", "md").exit_code == 0


def test_config_check_refuses_a_weight_past_the_leaderboards_limit(
        write_config: Callable[[str], Path], cli: Cli) -> None:
    write_config("[leaderboard]\nweights = { contributors = 1e308 }\n")
    result = cli("config", "check")
    assert result.exit_code == 3
    assert "contributors" in result.stderr

"""Messages on stderr as a new user meets them: one line each in cron mail and logs, and
worded after the options the command really has."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowvember.errors import EXIT_LOCKED, EXIT_NOT_FOUND, EXIT_USAGE
from tests.conftest import REPO

LONG_ORG_ERROR = ("Error: --org ZZZ9: no organisation with that code took part or is in the "
                  "catalogue (see `knowvember orgs list`)")


# -- one line when stderr is not a terminal ---------------------------------------------------


def test_a_long_error_is_one_line_without_a_terminal(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """It was cut at 80 columns, so grep and cron mail saw half a message per line."""
    result = cli("-q", "summary", "--org", "ZZZ9")
    assert result.exit_code == EXIT_NOT_FOUND
    assert result.stderr.splitlines() == [LONG_ORG_ERROR]


def test_a_long_error_is_one_line_on_a_piped_stderr(campaign_dir: Path) -> None:
    """The real process, stderr a pipe as under cron, with no COLUMNS to help it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KNOWVEMBER_") and k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "knowvember", "-q", "summary", "--org", "ZZZ9"],
                          cwd=campaign_dir, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == EXIT_NOT_FOUND
    assert done.stderr.splitlines() == [LONG_ORG_ERROR]


def test_a_long_warning_is_one_line_without_a_terminal(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    question = "What happened, in a few sentences, and what difference did it make to you " * 2
    path = campaign_dir / "responses.csv"
    path.write_text(f'title,body,name,email,consent,"{question}","{question}"\n'
                    "Good one,Body,Ann,ann@nhs.net,Yes,a,b\n", encoding="utf-8")
    result = cli("stories", "import", str(path))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "two columns" in line]
    assert len(warnings) == 1 and warnings[0].startswith("Warning: ")
    assert warnings[0].endswith("the first is used") and len(warnings[0]) > 120


def test_on_a_terminal_a_long_message_still_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the non-terminal case changed: a person at an 80-column terminal gets lines that
    fit it."""
    from knowvember.cli.common import err_console, fail

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    fail("a message " * 20)
    assert err_console().is_terminal
    lines = screen.getvalue().splitlines()
    assert len(lines) > 1


def test_json_stays_whole_when_piped(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    long_name = "Organisation " * 20
    path = campaign_dir / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text,author_name\n"
                    f"x,1191672311587868672,@a,2019-11-05 09:30,#KNOWvember19 hello,{long_name}\n",
                    encoding="utf-8")
    result = cli("import", "csv", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["status"] == "ok"
    runs = cli("runs", "--format", "json")
    assert json.loads(runs.stdout)[0]["source"] == "import:csv"


# -- wording after the options the command has -----------------------------------------------


def test_report_until_before_the_campaign_names_its_start(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """`report` has no --since, yet the message named one."""
    result = cli("-q", "report", "--until", "2019-10-15", "--format", "md",
                 "--out", str(campaign_dir / "out"))
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.splitlines() == [
        "Error: --until 2019-10-15 is before the campaign's start 2019-11-01"]


def test_summary_period_messages_name_the_options_given(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    after_end = cli("summary", "--since", "2019-12-10")
    assert after_end.exit_code == EXIT_USAGE
    assert "--since 2019-12-10 is after the campaign's end 2019-11-30" in after_end.stderr
    assert "--until" not in after_end.stderr
    both = cli("summary", "--since", "2019-11-10", "--until", "2019-11-01")
    assert both.exit_code == EXIT_USAGE
    assert "--until 2019-11-01 is before --since 2019-11-10" in both.stderr


@pytest.mark.parametrize(("lock", "args", "said"), [
    ("import:twarc2", ("import", "twarc2", "{file}"), "another `import twarc2` run"),
    ("collect:x", ("collect", "--source", "x"), "another `collect --source x` run"),
])
def test_already_running_names_the_command_as_typed(campaign_dir: Path, cli, lock: str,  # type: ignore[no-untyped-def]
                                                    args: tuple[str, ...], said: str) -> None:
    """`import` has no --source, yet the message said `import --source twarc2`."""
    from knowvember.config import load_settings
    from knowvember.db import open_database
    from knowvember.locks import run_lock
    from tests.conftest import FIXTURES

    file = str(FIXTURES / "twitter_search_recent_3.json")
    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with run_lock(db, lock):
            result = cli(*(a.format(file=file) for a in args), "--lock-wait", "0")
    finally:
        db.dispose()
    assert result.exit_code == EXIT_LOCKED
    assert said in result.stderr and "--source twarc2" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_init_with_an_out_of_range_year_gives_the_range(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`--year 1999` is a whole year, yet it was told to "write the whole year"."""
    result = cli("init", "--year", "1999", str(tmp_path / "c"))
    assert result.exit_code == EXIT_USAGE
    assert "--year 1999 is out of range: give a year from 2000 to 2999" in result.stderr
    assert "whole year" not in result.stderr
    assert not (tmp_path / "c" / "campaign.toml").exists()


# -- more unreadable records than are shown ---------------------------------------------------


def test_an_import_with_more_bad_lines_than_shown_counts_the_rest(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                                  write_config) -> None:
    """The first 20 are printed; the count of the rest says records, and the kept number."""
    write_config()
    path = campaign_dir / "posts.csv"
    rows = [f"twitter,{1000 + n},someone,not a date,#KNOWvember19 hello,,0,0,0,0,Some One"
            for n in range(23)]
    path.write_text("platform,id,author_handle,created_at,text,url,likes,reposts,replies,"
                    "quotes,author_name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = cli("import", "csv", str(path))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert sum(line.startswith("Skipped ") for line in lines) == 20
    assert ("... 3 more unreadable line(s) or record(s) skipped; `knowvember runs --format json` "
            "lists the first 50 per file.") in lines


# -- runs --gaps before anything was read ------------------------------------------------------


def test_gaps_before_any_run_say_nothing_is_known_not_that_all_is_covered(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli, write_config) -> None:
    write_config()
    result = cli("runs", "--gaps")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "Nothing is known about coverage yet: no collection or import has run." in said
    assert "No gaps" not in said

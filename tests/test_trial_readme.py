"""What a new user met following the README from a fresh clone: each test is one finding of
that trial, fixed (it fails without the fix) or still open (a strict xfail naming the cause)."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from knowvember.errors import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from tests.conftest import BASE_CONFIG, FIXTURES

STORY = ["stories", "submit", "--title", "AARs for F1 doctors", "--body", "We ran AARs.",
         "--technique", "AAR", "--org", "RWE", "--name", "Jane Smith",
         "--email", "jane.smith@nhs.net", "--consent"]


def flat(text: str) -> str:
    """Messages on stderr wrap at the console width; compare them as one line."""
    return " ".join(text.split())


# -- campaign.toml and $KNOWVEMBER_DATABASE_URL ----------------------------------------------


def test_config_check_refuses_an_unknown_leaderboard_weight(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    """docs/reports.md: an unknown weight name is a configuration error (exit 3) naming it.
    `config check` said "Configuration is valid." and only `leaderboard` failed later."""
    path = write_config('[leaderboard]\nweights = { people = 2.0 }\n')
    result = cli("config", "check")
    assert result.exit_code == EXIT_CONFIG
    message = flat(result.stderr)
    assert f"{path}: leaderboard.weights: unknown weight 'people'" in message
    assert "contributors, posts, reposts, techniques, stories, engagement" in message
    assert "valid" not in message


def test_the_config_knows_the_same_weights_as_the_leaderboard() -> None:
    from knowvember.config import LEADERBOARD_WEIGHTS
    from reports.leaderboard import DEFAULT_WEIGHTS

    assert tuple(DEFAULT_WEIGHTS) == LEADERBOARD_WEIGHTS


def test_a_password_in_the_database_url_is_refused_and_never_shown(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    """CONTRACT: a literal secret in the file is refused; README: the URL goes in without a
    password. A password in `[database] url` was accepted."""
    secret = "Tr0ub4dor-and-3"
    write_config("").write_text(BASE_CONFIG.replace(
        'url = "sqlite:///knowvember.db"',
        f'url = "postgresql+psycopg://knowvember:{secret}@127.0.0.1/knowvember"'),
        encoding="utf-8")
    result = cli("config", "check")
    assert result.exit_code == EXIT_CONFIG
    message = flat(result.stderr)
    assert "campaign.toml: database.url: secrets are never written in the config file" in message
    assert "KNOWVEMBER_DATABASE_URL" in message
    assert secret not in result.stdout + result.stderr


def test_a_password_in_knowvember_database_url_is_fine_and_masked(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    secret = "Tr0ub4dor-and-3"
    url = f"postgresql+psycopg://knowvember:{secret}@127.0.0.1/knowvember"
    result = cli("config", "check", "--format", "json", env={"KNOWVEMBER_DATABASE_URL": url})
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout)["database"] == (
        "postgresql+psycopg://knowvember:***@127.0.0.1/knowvember")
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(("url", "problem"), [
    ("mysql://kv@dbhost/kv", "'mysql' databases are not supported"),
    ("garbage", "not a database URL"),
])
def test_knowvember_database_url_is_checked_like_the_config_key(  # type: ignore[no-untyped-def]
        cli, campaign_dir, url: str, problem: str) -> None:
    """It overrides `[database] url` but was not checked like it: a MySQL URL failed as a
    database error (exit 5, "No module named 'MySQLdb'"), not as a config error (exit 3)."""
    result = cli("summary", env={"KNOWVEMBER_DATABASE_URL": url})
    assert result.exit_code == EXIT_CONFIG
    assert f"$KNOWVEMBER_DATABASE_URL: {problem}" in flat(result.stderr)


def test_a_message_that_quotes_the_value_does_not_repeat_it(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config("[schedule]\nevery = \"half an hour\"\n")
    result = cli("config", "check")
    assert result.exit_code == EXIT_CONFIG
    assert flat(result.stderr).count("'half an hour'") == 1


# -- knowvember init -----------------------------------------------------------------------


def test_init_refuses_a_two_digit_year(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`init --year 27` wrote `start = 27-11-01`, which is not TOML: every later command
    then failed on the starter file itself."""
    monkeypatch.chdir(tmp_path)
    result = cli("init", "--year", "27")
    assert result.exit_code == EXIT_USAGE
    assert "--year 27: write the whole year, e.g. --year 2027" in flat(result.stderr)
    assert not (tmp_path / "campaign.toml").exists()


def test_init_into_a_folder_that_cannot_be_made_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """It said "unexpected FileNotFoundError ... please report it"."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    result = cli("init", str(blocker / "knowvember2027"))
    assert result.exit_code == EXIT_USAGE
    message = "".join(result.stderr.split())  # a long path wraps anywhere
    assert f"cannotwritethecampaignfilesin{blocker / 'knowvember2027'}:" in message
    assert "unexpected" not in message


def test_init_in_another_folder_names_that_folders_config_next(cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                               monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("init", "knowvember2027", "--year", "2027")
    assert result.exit_code == EXIT_OK, result.stderr
    assert ("Next: edit knowvember2027/campaign.toml, then run `knowvember --config "
            "knowvember2027/campaign.toml config check`.") in flat(result.stderr)
    check = cli("--config", "knowvember2027/campaign.toml", "config", "check")
    assert check.exit_code == EXIT_OK, check.stderr


# -- files that cannot be written -----------------------------------------------------------


@pytest.mark.parametrize("command", ["sample", "demo"])
def test_an_out_folder_that_cannot_be_made_is_a_clear_error(cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                            command: str) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    result = cli(command, "--out", str(blocker / "out"), "--posts", "10")
    assert result.exit_code == EXIT_USAGE
    message = "".join(result.stderr.split())  # a long path wraps anywhere
    assert str(blocker) in message and "unexpected" not in message


def test_stories_export_writes_a_file_others_can_read(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """docs/stories.md exports to `site/km-stories.html` for a web page; the file was made
    0600 (the temporary file's mode), so a web server running as another user could not read
    it. It now gets the mode any new file gets."""
    env = {"KNOWVEMBER_REVIEWER": "A Coordinator"}
    assert cli(*STORY).exit_code == EXIT_OK
    assert cli("stories", "approve", "1", env=env).exit_code == EXIT_OK
    out = campaign_dir / "site" / "km-stories.html"
    umask = os.umask(0o022)
    try:
        result = cli("stories", "export", "--format", "html", "--out", str(out))
    finally:
        os.umask(umask)
    assert result.exit_code == EXIT_OK, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert "AARs for F1 doctors" in out.read_text(encoding="utf-8")


# -- stories --------------------------------------------------------------------------------


def test_stories_submit_json_holds_the_submitted_event(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """It printed `"events": []`, though `stories show` has the `submitted` event."""
    result = cli(*STORY, "--format", "json")
    assert result.exit_code == EXIT_OK, result.stderr
    story = json.loads(result.stdout)
    shown = json.loads(cli("stories", "show", str(story["id"]), "--format", "json").stdout)
    assert [e["action"] for e in story["events"]] == ["submitted"]
    assert story == shown


def test_an_edit_that_ends_a_changes_request_says_so_in_english(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"KNOWVEMBER_REVIEWER": "A Coordinator"}
    assert cli(*STORY).exit_code == EXIT_OK
    assert cli("stories", "request-changes", "1", "--note", "Add the outcome",
               env=env).exit_code == EXIT_OK
    result = cli("stories", "edit", "1", "--outcome", "Three teams run AARs", env=env)
    assert result.exit_code == EXIT_OK, result.stderr
    assert "Story 1 edited and put back in the review queue (now submitted)" in flat(
        result.stderr)


# -- the CLI reference ------------------------------------------------------------------------


def test_the_cli_reference_shows_the_help_options_the_commands_have(cli) -> None:  # type: ignore[no-untyped-def]
    """Every command answers to -h (the app's help_option_names), but docs/cli.md, said to be
    generated from --help, showed only `--help`."""
    from knowvember.cli import app
    from knowvember.cli.reference import render

    assert "-h, --help" in cli("import", "--help").stdout
    text = render(app)
    sections = text.count("\n## `knowvember")
    assert text.count("-h, --help") == sections
    assert "  --help " not in text


# -- found, not fixed here (outside the CLI and config) -----------------------------------------


def test_each_skipped_import_line_is_reported_once(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    good = (FIXTURES / "twitter_search_all_1.json").read_text(encoding="utf-8").strip()
    path = campaign_dir / "broken.jsonl"
    path.write_text('{"data": [\n' + good + "\n", encoding="utf-8")
    result = cli("import", "twarc2", str(path))
    assert result.exit_code == EXIT_PARTIAL
    assert flat(result.stderr).lower().count("broken.jsonl:1:") == 1


def test_what_the_cli_says_itself_still_reaches_the_log_file(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    config = write_config('[logging]\nfile = "knowvember.log"\nlevel = "INFO"\n')
    good = (FIXTURES / "twitter_search_all_1.json").read_text(encoding="utf-8").strip()
    path = config.parent / "broken.jsonl"
    path.write_text('{"data": [\n' + good + "\n", encoding="utf-8")
    assert cli("import", "twarc2", str(path)).exit_code == EXIT_PARTIAL
    assert cli("forget", "twitter:@someone", "--yes").exit_code == EXIT_OK
    logged = (config.parent / "knowvember.log").read_text(encoding="utf-8")
    assert "skipped " in logged and "broken.jsonl:1:" in logged
    # The log outlives the erasure: it names the forgotten-list entry, never the handle.
    assert "Forgot an account on x (forgotten list entry" in logged
    assert "someone" not in logged
    assert "import:twarc2 run partial: 1 read, 0 new" in logged  # the outcome, for cron users
    verbose = cli("-v", "forget", "twitter:@someone", "--yes")  # -v shows every record
    assert "Forgot an account on x (forgotten list entry" in " ".join(verbose.stderr.split())


def test_forget_reports_the_erasure_once(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("forget", "twitter:@someone", "--yes")
    assert result.exit_code == EXIT_OK
    assert (result.stdout + result.stderr).count("someone") == 1


def test_retag_reports_once(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("techniques", "retag")
    assert result.exit_code == EXIT_OK
    assert result.stderr.count("Re-tagged") == 1


def test_a_mastodon_instance_that_refuses_connections_says_so(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_config(f'[sources.mastodon]\nenabled = true\ninstances = ["http://127.0.0.1:{port}"]\n'
                 "max_retries = 0\n")
    result = cli("collect", "--source", "mastodon", "--format", "json")
    assert result.exit_code == EXIT_FAILED
    (record,) = json.loads(result.stdout)
    assert "refused" in record["error"].lower()


"""The tool's outside, in one place: the names users' files, scripts and cron lines rely on.

Every command, option, config key, JSON key and web route below is one that the project's
contract (the one-page summary of the issues) promises. Other tests check what each does;
this file only checks that none of them is renamed or dropped, so a rename fails here with
the name in the message instead of in a user's cron job. Add names freely; remove none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command

from knowvember.cli import app
from knowvember.cli.reference import walk

# command path -> options (any one spelling) it must accept
COMMANDS: dict[tuple[str, ...], set[str]] = {
    (): {"--config", "--version", "-v", "--verbose", "-q", "--quiet"},
    ("init",): {"--force"},
    ("config", "check"): set(),
    ("db", "upgrade"): set(),
    ("db", "backup"): set(),
    ("collect",): {"--source", "--dry-run", "--format"},
    ("schedule",): {"--every"},
    ("import",): {"--format"},
    ("runs",): {"--format", "--gaps"},
    ("orgs", "list"): set(),
    ("orgs", "show"): set(),
    ("orgs", "match"): set(),
    ("orgs", "unmatched"): set(),
    ("orgs", "assign"): set(),
    ("orgs", "unassign"): set(),
    ("classify",): {"--format"},
    ("techniques", "list"): set(),
    ("techniques", "retag"): set(),
    ("stories", "submit"): set(),
    ("stories", "import"): set(),
    ("stories", "list"): set(),
    ("stories", "show"): set(),
    ("stories", "approve"): {"--reviewer"},
    ("stories", "reject"): {"--reviewer", "--note"},
    ("stories", "request-changes"): {"--reviewer", "--note"},
    ("stories", "edit"): set(),
    ("stories", "delete"): set(),
    ("stories", "review"): set(),
    ("stories", "export"): set(),
    ("summary",): {"--format"},
    ("leaderboard",): set(),
    ("report",): set(),
    ("forget",): set(),
    ("demo",): {"--out", "--posts"},
    ("sample",): {"--out", "--posts"},
    ("users", "add"): {"--password-stdin"},
    ("users", "list"): set(),
    ("users", "remove"): set(),
    ("serve",): {"--host", "--port"},
}
IMPORT_FORMATS = {"twarc2", "tags", "csv", "mastodon", "bluesky"}
COLLECT_SOURCES = {"x", "mastodon", "bluesky", "all"}

RUN_KEYS = {"source", "status", "started_at", "finished_at", "fetched", "new", "updated",
            "skipped", "requests", "estimated_cost", "error"}
SUMMARY_KEYS = {"posts", "original_posts", "replies", "reposts", "quotes", "contributors",
                "organisations", "regions", "engagement", "potential_reach",
                "stories_submitted", "stories_approved", "by_platform", "by_day", "techniques",
                "unattributed_contributors"}
ROUTES = ["/", "/submit", "/stories", "/login", "/logout", "/review", "/review/1",
          "/dashboard", "/orgs/RX1", "/healthz"]

EVERY_CONFIG_KEY = """\
[campaign]
name = "KNOWvember 2019"
slug = "knowvember19"
hashtags = ["KNOWvember2019", "KNOWvember19"]
variants = ["Knowvmber19"]
start = 2019-11-01
end = 2019-11-30
timezone = "Europe/London"

[database]
url = "sqlite:///knowvember.db"

[sources.x]
enabled = false
bearer_token_env = "X_BEARER_TOKEN"
endpoint = "recent"
api_base = "https://api.x.com/2"
max_posts_per_run = 1000
monthly_read_budget = 10000
price_per_read = 0.005

[sources.mastodon]
enabled = false
instances = ["https://mastodon.social"]
access_token_env = "MASTODON_TOKEN"

[sources.bluesky]
enabled = false
service = "https://bsky.social"
handle_env = "BLUESKY_HANDLE"
app_password_env = "BLUESKY_APP_PASSWORD"

[[organisations]]
code = "RX1"
name = "Nottingham University Hospitals NHS Trust"
region = "Midlands"
aliases = ["NUH"]
accounts = ["x:@nuhlibrary"]

[leaderboard]
exclude_accounts = ["x:@knowvember"]

[stories.form_columns]
title = "Title of your story"
body = "Your story"
consent = "I agree to publication"

[logging]
level = "INFO"
"""


def _commands() -> dict[tuple[str, ...], object]:
    return {path: command for path, command, _ctx in walk(get_command(app))}


def _options(command: object) -> set[str]:
    return {opt for param in command.params  # type: ignore[attr-defined]
            for opt in (*param.opts, *param.secondary_opts)}


def test_every_command_and_option_of_the_contract_is_there() -> None:
    commands = _commands()
    missing = [" ".join(path) for path in COMMANDS if path not in commands]
    assert missing == [], f"commands gone: {missing}"
    gone = {" ".join(("knowvember", *path)): sorted(wanted - _options(commands[path]))
            for path, wanted in COMMANDS.items() if wanted - _options(commands[path])}
    assert gone == {}, f"options gone: {gone}"


@pytest.mark.parametrize("fmt", sorted(IMPORT_FORMATS))
def test_every_import_format_of_the_contract_is_taken(cli, campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                      fmt: str) -> None:
    result = cli("import", fmt, "missing.file")
    assert "is not one of" not in result.stderr, result.stderr
    assert "missing.file: no such file" in " ".join(result.stderr.split())


@pytest.mark.parametrize("source", sorted(COLLECT_SOURCES))
def test_every_collect_source_of_the_contract_is_taken(cli, campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                       source: str) -> None:
    result = cli("collect", "--source", source, "--dry-run")
    assert "is not one of" not in result.stderr, result.stderr


def test_a_config_with_every_contract_key_checks_without_a_warning(  # type: ignore[no-untyped-def]
        cli, campaign_dir: Path) -> None:
    (campaign_dir / "campaign.toml").write_text(EVERY_CONFIG_KEY, encoding="utf-8")
    result = cli("config", "check")
    assert result.exit_code == 0, result.stderr
    assert "unknown" not in result.stderr.lower(), result.stderr


def test_the_json_shapes_of_the_contract(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    tweets = {"data": [{"id": "1197000000000000001", "text": "Our first #KNOWvember19 "
                        "Randomised Coffee Trial at @NUHLibrary", "author_id": "7",
                        "created_at": "2019-11-05T10:00:00.000Z",
                        "entities": {"hashtags": [{"tag": "KNOWvember19"}]}}],
              "includes": {"users": [{"id": "7", "username": "nuhlibrary",
                                      "name": "NUH Library"}]}}
    archive = campaign_dir / "x.jsonl"
    archive.write_text(json.dumps(tweets) + "\n", encoding="utf-8")

    imported = cli("import", "twarc2", str(archive), "--format", "json")
    assert imported.exit_code == 0, imported.stderr
    runs = json.loads(imported.stdout)
    runs = runs if isinstance(runs, list) else next(v for v in runs.values()
                                                    if isinstance(v, list))
    assert set(runs[0]) >= RUN_KEYS, sorted(RUN_KEYS - set(runs[0]))
    listed = json.loads(cli("runs", "--format", "json").stdout)
    listed = listed if isinstance(listed, list) else next(v for v in listed.values()
                                                          if isinstance(v, list))
    assert set(listed[0]) >= RUN_KEYS

    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert set(summary) >= SUMMARY_KEYS, sorted(SUMMARY_KEYS - set(summary))
    assert summary["posts"] == 1
    assert summary["by_day"]["2019-11-05"] == 1
    assert sum(summary["by_day"].values()) == 1

    board = json.loads(cli("leaderboard", "--format", "json").stdout)
    assert isinstance(board, list) and board

    classified = json.loads(cli("classify", "a peer assist and #KNOWvember19",
                                "--format", "json").stdout)
    assert {"techniques", "hashtags", "organisations"} <= set(classified)
    assert {"name", "phase"} <= set(classified["techniques"][0])

    matched = json.loads(cli("orgs", "match", "Nottingham University Hospitals",
                             "--format", "json").stdout)
    assert {"code", "name", "region", "confidence", "auto"} <= set(matched["candidates"][0])

    submitted = cli("stories", "submit", "--title", "Our peer assist", "--body",
                    "We ran a peer assist.", "--name", "A Librarian", "--email",
                    "a@nhs.net", "--consent", "--format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    story = json.loads(submitted.stdout)
    assert {"id", "status"} <= set(story)
    approved = cli("stories", "approve", str(story["id"]), "--reviewer", "coordinator")
    assert approved.exit_code == 0, approved.stderr
    shown = json.loads(cli("stories", "show", str(story["id"]), "--format", "json").stdout)
    assert shown["status"] == "approved"
    assert {"action", "reviewer", "at", "note"} <= set(shown["events"][-1])
    listed_stories = json.loads(cli("stories", "list", "--format", "json").stdout)
    assert isinstance(listed_stories, list) and listed_stories


@pytest.mark.parametrize("route", ROUTES)
def test_every_web_route_of_the_contract_answers(campaign_dir: Path, route: str) -> None:
    from fastapi.testclient import TestClient

    from knowvember.config import load_settings
    from knowvember.web.app import create_app

    client = TestClient(create_app(load_settings(campaign_dir / "campaign.toml")),
                        follow_redirects=False)
    response = client.get(route)
    assert response.status_code != 404, f"{route} is gone"
    assert response.status_code < 500, f"{route}: {response.status_code}"

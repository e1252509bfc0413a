"""A sixth new-user trial of operations: what `db backup` wrote, said as `db restore` says it.

"Backed up the database to FILE" was all `db backup` said, and it had no `--format json`: a
backup of the wrong database (an empty knowvember.db made by a cron job in another folder, or
the SQLite file left behind after the move to PostgreSQL) looked like any other until the day
it was restored, and a nightly script could not check what its backup held. `db restore`
already said what it copied; both now give one report (the same JSON keys, the same sentence).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES


def _posts_file(folder: Path, count: int = 12) -> Path:
    """Recorded X search answers moved into November 2019 with the campaign's hashtag."""
    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text(encoding="utf-8"))
    page["data"] = page["data"][:count]
    for i, tweet in enumerate(page["data"]):
        tweet["created_at"] = f"2019-11-{1 + i:02d}T09:15:00.000Z"
        tweet["text"] = f"A #KNOWvember19 Peer Assist in the library ({i})"
        tweet.pop("entities", None)
    path = folder / "x.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def _fill(cli: Callable[..., object], folder: Path, env: dict[str, str] | None = None) -> None:
    result = cli("import", "twarc2", str(_posts_file(folder)), env=env)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    story = cli("stories", "submit", "--title", "Coffee trials", "--body", "What happened",
                "--name", "Jane Smith", "--email", "jane.smith@nhs.net", "--consent", env=env)
    assert story.exit_code == 0, story.output  # type: ignore[attr-defined]


def test_a_sqlite_backup_says_what_it_holds(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _fill(cli, campaign_dir)
    result = cli("db", "backup", "backup.db", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # nothing but the report on stdout
    assert report["action"] == "backup" and report["format"] == "sqlite"
    assert report["target"] == str(campaign_dir / "backup.db")
    assert report["rows"]["posts"] == 12 and report["rows"]["stories"] == 1
    assert report["campaigns"] == ["knowvember19"] and report["revision"]

    told = cli("db", "backup", "again.db")
    assert told.exit_code == 0, told.output
    assert f"to {campaign_dir / 'again.db'}: 12 post(s), 1 stor(y/ies)" in told.stderr
    assert "of knowvember19" in told.stderr and told.stdout == ""


def test_backup_and_restore_give_one_report(campaign_dir: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fill(cli, campaign_dir)
    backup = json.loads(cli("db", "backup", "backup.db", "--format", "json").stdout)
    other = tmp_path / "server"
    other.mkdir()
    env = {"KNOWVEMBER_DATABASE_URL": f"sqlite:///{other / 'knowvember.db'}"}
    restored = cli("db", "restore", "backup.db", "--format", "json", env=env)
    assert restored.exit_code == 0, restored.output
    restore = json.loads(restored.stdout)
    assert set(restore) == set(backup)
    assert restore["action"] == "restore" and restore["source"] == backup["target"]
    # Every key `db restore` gave before stays.
    assert {"source", "revision", "rows", "campaigns", "forgotten_again", "replaced_posts",
            "replaced_stories"} <= set(restore)
    assert restore["rows"]["posts"] == backup["rows"]["posts"] == 12
    assert restore["campaigns"] == backup["campaigns"]


def test_a_backup_of_another_campaigns_database_is_flagged(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """The database cron made beside another campaign.toml: no posts of this campaign."""
    _fill(cli, campaign_dir)
    text = (campaign_dir / "campaign.toml").read_text(encoding="utf-8")
    (campaign_dir / "campaign.toml").write_text(
        text.replace('slug = "knowvember19"', 'slug = "knowvember27"'), encoding="utf-8")
    result = cli("db", "backup", "backup.db")
    assert result.exit_code == 0, result.output
    assert "holds knowvember19, not 'knowvember27'" in " ".join(result.stderr.split())


@pytest.mark.postgres
def test_a_postgresql_backup_counts_what_pg_dump_wrote(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                       pg_url: str) -> None:
    env = {"KNOWVEMBER_DATABASE_URL": pg_url}
    _fill(cli, campaign_dir, env)
    result = cli("db", "backup", "nightly.dump", "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "pg_dump" and report["rows"]["posts"] == 12
    assert report["source"].startswith("postgresql+psycopg://")
    assert "pg_restore" in result.stderr
    listing = subprocess.run(["pg_restore", "--list", str(campaign_dir / "nightly.dump")],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA" in listing and "posts" in listing


def test_a_backup_from_a_newer_release_is_named_as_the_backup(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    """It said "the database is at schema revision '0099'", read as the configured one."""
    import sqlite3

    _fill(cli, campaign_dir)
    assert cli("db", "backup", "backup.db").exit_code == 0
    con = sqlite3.connect(campaign_dir / "backup.db")
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.close()
    env = {"KNOWVEMBER_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}
    result = cli("db", "restore", "backup.db", env=env)
    assert result.exit_code == 2
    told = " ".join(result.stderr.split())
    assert f"{campaign_dir / 'backup.db'} was made by a newer knowvember (schema revision " \
           "0099" in told and "nothing was changed" in told

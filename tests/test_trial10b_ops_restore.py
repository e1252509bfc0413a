"""A fifth new-user trial of operations (second pass): restoring a backup, moving to PostgreSQL.

`db backup` wrote a SQLite copy, but the only way back was to copy the file over the live
database by hand (with `schedule` or the web app still holding it open, the -wal file beside
it then described another file), and a campaign started on a laptop's SQLite could not be
moved to the shared PostgreSQL server at all: the README said nothing, and `pg_restore`
does not read SQLite. `db restore FILE` copies a SQLite backup's rows into the configured
database, SQLite or PostgreSQL, in one transaction, refusing while any run is going and
replacing stored posts or stories only with --replace.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.backup import backup_database, restore_database
from knowvember.config import load_settings
from knowvember.db import open_database
from knowvember.errors import AlreadyRunningError, InputError
from knowvember.locks import run_lock
from knowvember.models import Post, Story
from tests.conftest import FIXTURES


def _campaign_posts(folder: Path) -> Path:
    """Recorded X search answers moved into November 2019 with the campaign's hashtag."""
    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text(encoding="utf-8"))
    for i, tweet in enumerate(page["data"][:20]):
        tweet["created_at"] = f"2019-11-{1 + i:02d}T09:15:00.000Z"
        tweet["text"] = f"Our #KNOWvember19 Randomised Coffee Trial ☕🤝 at the library ({i})"
        tweet.pop("entities", None)
    page["data"] = page["data"][:20]
    path = folder / "x.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def _fill(cli: Callable[..., object], folder: Path, env: dict[str, str]) -> None:
    assert cli("import", "twarc2", str(_campaign_posts(folder)), env=env).exit_code == 0
    for title in ("Coffee trials", "A peer assist", "Erased later"):
        result = cli("stories", "submit", "--title", title, "--body", "What happened",
                     "--name", "Jane Smith", "--email", "jane.smith@nhs.net", "--consent",
                     env=env)
        assert result.exit_code == 0, result.output
    assert cli("stories", "approve", "1", "--reviewer", "anna", env=env).exit_code == 0
    assert cli("stories", "delete", "3", "--yes", "--reviewer", "anna", env=env).exit_code == 0


def _counts(url: str) -> tuple[int, int, list[str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            posts = conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar_one()
            titles = list(conn.execute(sa.select(Story.title).order_by(Story.id)).scalars())
    finally:
        engine.dispose()
    return posts, len(titles), titles


def test_a_sqlite_campaign_moves_to_postgresql(campaign_dir: Path, cli, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    sqlite_url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    _fill(cli, campaign_dir, {})
    result = cli("db", "restore", "knowvember.db", "--format", "json",
                 env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"]["posts"] == 20 and report["rows"]["stories"] == 2
    assert _counts(pg_url) == _counts(sqlite_url) == (20, 2, ["Coffee trials", "A peer assist"])
    shown = cli("stories", "show", "1", "--format", "json",
                env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert [e["action"] for e in json.loads(shown.stdout)["events"]] == ["submitted", "approved"]
    # The server's sequences continue above the copied ids, and above the erased story's.
    again = cli("stories", "submit", "--title", "New on the server", "--body", "b", "--name",
                "n", "--email", "a@nhs.net", "--consent", "--format", "json",
                env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["id"] == 4
    summary = cli("summary", "--format", "json", env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert json.loads(summary.stdout)["posts"] == 20


def test_a_backup_restored_over_the_live_sqlite_database(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    _fill(cli, campaign_dir, {})
    backup_database(url, campaign_dir / "backup.db")
    cli("stories", "submit", "--title", "After the backup", "--body", "b", "--name", "n",
        "--email", "a@nhs.net", "--consent")
    refused = cli("db", "restore", "backup.db")
    assert refused.exit_code == 2
    assert "already holds 20 post(s) and 3 stor(y/ies); nothing was changed" in refused.output
    assert "--replace" in refused.output
    assert _counts(url)[1] == 3
    done = cli("db", "restore", "backup.db", "--replace")
    assert done.exit_code == 0, done.output
    assert "it replaced 20 post(s) and 3 stor(y/ies)" in done.output
    assert _counts(url) == (20, 2, ["Coffee trials", "A peer assist"])
    new = cli("stories", "submit", "--title", "t", "--body", "b", "--name", "n", "--email",
              "a@nhs.net", "--consent", "--format", "json")
    assert json.loads(new.stdout)["id"] == 4  # the erased story 3's id is not given again


def test_restore_waits_for_no_run_and_changes_nothing_meanwhile(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    _fill(cli, campaign_dir, {})
    backup_database(url, campaign_dir / "backup.db")
    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with run_lock(db, "schedule:x"), pytest.raises(AlreadyRunningError) as caught:
            restore_database(campaign_dir / "backup.db", db, replace=True)
    finally:
        db.dispose()
    assert "schedule" in str(caught.value)
    assert _counts(url)[0] == 20


@pytest.mark.parametrize(("content", "said"), [
    (b"PGDMP\x01\x0e\x00" + b"\x00" * 64, "is a PostgreSQL dump"),
    (b"id,text\n1,hello\n", "is not a SQLite database"),
])
def test_a_file_that_is_no_sqlite_backup_is_named(campaign_dir: Path, cli, content: bytes,  # type: ignore[no-untyped-def]
                                                  said: str) -> None:
    (campaign_dir / "backup.db").write_bytes(content)
    result = cli("db", "restore", "backup.db")
    assert result.exit_code == 2
    assert said in result.output


def test_another_sqlite_database_or_the_live_one_is_refused(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    other = sqlite3.connect(campaign_dir / "zotero.sqlite")
    other.execute("CREATE TABLE items (id INTEGER)")
    other.commit()
    other.close()
    result = cli("db", "restore", "zotero.sqlite")
    assert result.exit_code == 2 and "not a knowvember one" in result.output
    cli("runs")
    result = cli("db", "restore", "knowvember.db", "--replace")
    assert result.exit_code == 2 and "is the configured database itself" in result.output
    with pytest.raises(InputError, match="there is no file"):
        db = open_database(load_settings(campaign_dir / "campaign.toml"))
        try:
            restore_database(campaign_dir / "missing.db", db)
        finally:
            db.dispose()


def test_a_backup_of_another_campaign_is_said_to_be_one(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _fill(cli, campaign_dir, {})
    toml = (campaign_dir / "campaign.toml").read_text(encoding="utf-8")
    (campaign_dir / "campaign.toml").write_text(
        toml.replace('slug = "knowvember19"', 'slug = "knowvember27"').replace(
            "knowvember.db", "knowvember27.db"), encoding="utf-8")
    result = cli("db", "restore", "knowvember.db", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["campaigns"] == ["knowvember19"]
    assert "the backup holds the campaign(s) knowvember19, not 'knowvember27'" in result.stderr


def test_a_postgresql_backup_says_it_is_a_pg_dump_file(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                       pg_url: str) -> None:
    result = cli("db", "backup", "backup-2019-11-30.db", env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert "It is a pg_dump file (custom format): restore it with pg_restore" in result.stderr
    assert (campaign_dir / "backup-2019-11-30.db").read_bytes()[:5] == b"PGDMP"
    refused = cli("db", "restore", "backup-2019-11-30.db")
    assert refused.exit_code == 2 and "is a PostgreSQL dump" in refused.output


def test_an_account_forgotten_after_the_backup_stays_forgotten(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """UK GDPR: a restore must not bring back a person erased on request since the backup."""
    from knowvember.models import Account

    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    _fill(cli, campaign_dir, {})
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        handle, posts = conn.execute(
            sa.select(Account.handle, sa.func.count(Post.id))
            .join(Post, Post.account_id == Account.id).group_by(Account.handle)
            .order_by(sa.func.count(Post.id).desc())).first()
    backup_database(url, campaign_dir / "backup.db")
    assert cli("forget", f"x:@{handle}", "--yes").exit_code == 0
    result = cli("db", "restore", "backup.db", "--replace", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["forgotten_again"] == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(Account.id).where(Account.handle == handle)).first() is None
        left = conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar_one()
    engine.dispose()
    assert left == 20 - posts
    # and it stays out of the next import of the same file
    cli("import", "twarc2", str(campaign_dir / "x.json"))
    assert _counts(url)[0] == 20 - posts


def test_a_nul_stored_by_an_older_release_moves_to_postgresql(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                              pg_url: str) -> None:
    import sqlite3

    _fill(cli, campaign_dir, {})
    old = sqlite3.connect(campaign_dir / "knowvember.db")
    old.execute("UPDATE posts SET text = text || char(0) || 'end' WHERE id = 1")
    old.execute("UPDATE accounts SET display_name = 'Library' || char(0)")
    old.commit()
    old.close()
    result = cli("db", "restore", "knowvember.db", env={"KNOWVEMBER_DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        text = conn.execute(sa.select(Post.text).where(Post.id == 1)).scalar_one()
    engine.dispose()
    assert text.endswith("\ufffdend")


def test_a_server_with_web_users_only_is_not_replaced_without_asking(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli, pg_url: str) -> None:
    _fill(cli, campaign_dir, {})
    env = {"KNOWVEMBER_DATABASE_URL": pg_url}
    added = cli("users", "add", "anna", "--password-stdin", input="a long pass phrase 42\n",
                env=env)
    assert added.exit_code == 0, added.output
    refused = cli("db", "restore", "knowvember.db", env=env)
    assert refused.exit_code == 2
    assert "already holds 0 post(s), 0 stor(y/ies) and 1 web user(s)" in refused.output
    assert "anna" in cli("users", "list", env=env).output

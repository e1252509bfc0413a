"""A seventh new-user trial of upgrading a campaign's database to a new release.

`db upgrade` printed only a sentence (no `--format json` for a script to read) and kept no
copy: once upgraded, the release before refused the database, so a librarian whose new
release misbehaved had no way back. A SQLite upgrade now copies the file beside itself
first. On PostgreSQL, any command upgraded the shared schema on first use, so one
coordinator's new release locked every other machine out mid-campaign; only `db upgrade`
upgrades it now, and every other command says so.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from knowvember.db import alembic_config, create_db_engine, head_revision
from knowvember.errors import EXIT_DATABASE, EXIT_OK

Invoke = Callable[..., Any]
STORY = ("stories", "submit", "--title", "Evidence search for the falls team",
         "--body", "Our clinical librarian ran a literature search that changed the falls "
         "pathway on two wards.", "--name", "Sam Librarian", "--email",
         "sam.librarian@nhs.net", "--consent")


def _at_0006(cli: Invoke, url: str | None = None) -> None:
    """The campaign's database, holding a story, as the release before 0007 left it."""
    env = {"KNOWVEMBER_DATABASE_URL": url} if url else None
    assert cli(*STORY, env=env).exit_code == EXIT_OK
    engine = create_db_engine(url or f"sqlite:///{Path.cwd() / 'knowvember.db'}")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")
    finally:
        engine.dispose()


def _revision(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def _stories(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM stories").fetchone()[0])
    finally:
        con.close()


def _said(result: Any) -> str:
    return " ".join(result.stderr.split())


def test_db_upgrade_keeps_a_copy_of_the_older_sqlite_file_and_says_so_in_json(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli) -> None:
    _at_0006(cli)
    result = cli("db", "upgrade", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    copy = campaign_dir / "knowvember-before-upgrade-0006.db"
    assert data == {"database": f"sqlite:///{campaign_dir / 'knowvember.db'}",
                    "before": "0006", "after": head_revision(), "upgraded": True,
                    "backup": str(copy)}
    assert _revision(copy) == "0006" and _stories(copy) == 1
    assert _revision(campaign_dir / "knowvember.db") == head_revision()

    again = json.loads(cli("db", "upgrade", "--format", "json").stdout)
    assert (again["upgraded"], again["backup"]) == (False, None)
    shown = cli("db", "upgrade")
    assert f"The database is up to date (revision {head_revision()})." in _said(shown)


def test_any_command_that_upgrades_sqlite_keeps_a_copy_and_never_replaces_one(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli) -> None:
    _at_0006(cli)
    first = campaign_dir / "knowvember-before-upgrade-0006.db"
    first.write_bytes(b"an older copy the librarian keeps")
    result = cli("stories", "list", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    second = campaign_dir / "knowvember-before-upgrade-0006-2.db"
    assert first.read_bytes() == b"an older copy the librarian keeps"
    assert _revision(second) == "0006" and _stories(second) == 1
    said = _said(result)
    assert f"Upgraded the database schema (0006 -> {head_revision()})" in said
    assert f"is kept in {second}" in said


def test_no_backup_upgrades_without_a_copy(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _at_0006(cli)
    result = cli("db", "upgrade", "--no-backup")
    assert result.exit_code == EXIT_OK, result.output
    assert f"Upgraded the database: 0006 -> {head_revision()}." in _said(result)
    assert not list(campaign_dir.glob("knowvember-before-upgrade*"))


def test_a_copy_that_cannot_be_written_leaves_the_database_as_it_was(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli) -> None:
    _at_0006(cli)
    # The copy is written to FILE.partial first: pointed at /dev/full, every write to it
    # fails as on a full disk (ENOSPC).
    partial = campaign_dir / "knowvember-before-upgrade-0006.db.partial"
    partial.symlink_to("/dev/full")
    result = cli("db", "upgrade")
    assert result.exit_code == EXIT_DATABASE
    said = _said(result)
    assert "before upgrading its schema (0006 -> " in said
    assert (f"writing {campaign_dir / 'knowvember-before-upgrade-0006.db'} failed (database "
            "or disk is full); nothing was changed") in said
    assert "--no-backup" in said
    assert _revision(campaign_dir / "knowvember.db") == "0006"
    assert not partial.is_symlink() and not list(campaign_dir.glob("*-before-upgrade-*"))


@pytest.mark.postgres
def test_an_older_shared_postgresql_schema_is_upgraded_only_by_db_upgrade(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli, pg_url: str) -> None:
    # The local server trusts 127.0.0.1, so the password is ignored, but it must never show.
    url = sa.make_url(pg_url).set(password="Hunter2-secret").render_as_string(
        hide_password=False)
    _at_0006(cli, url)
    env = {"KNOWVEMBER_DATABASE_URL": url}

    refused = cli("stories", "list", env=env)
    assert refused.exit_code == EXIT_DATABASE
    said = _said(refused)
    assert f"is at schema revision 0006, older than the {head_revision()}" in said
    assert "run `knowvember db upgrade` once" in said and "nothing was changed" in said
    checked = cli("config", "check", "--format", "json", env=env)
    assert any("only `knowvember db upgrade` upgrades it" in w
               for w in json.loads(checked.stdout)["warnings"])
    assert "every command refuses it until `knowvember db upgrade`" in cli(
        "config", "check", env=env).stdout
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
                == "0006"
    finally:
        engine.dispose()

    upgraded = cli("db", "upgrade", "--format", "json", env=env)
    assert upgraded.exit_code == EXIT_OK, upgraded.output
    data = json.loads(upgraded.stdout)
    assert (data["before"], data["after"], data["upgraded"], data["backup"]) == (
        "0006", head_revision(), True, None)
    listed = cli("stories", "list", "--format", "json", env=env)
    assert listed.exit_code == EXIT_OK and len(json.loads(listed.stdout)) == 1
    for result in (refused, checked, upgraded, listed):
        assert "Hunter2-secret" not in result.output


"""A sixth new-user trial of `config check` against the database it names.

With the PostgreSQL server down, a database that was never created or a typo in its name,
`config check` said "Configuration is valid." and every scheduled run then failed (exit 5).
It now says whether the database answers and at which schema revision, changing nothing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.db import head_revision
from knowvember.errors import EXIT_OK


def _check(cli, env: dict[str, str] | None = None) -> tuple[dict, str]:  # type: ignore[no-untyped-def, type-arg]
    result = cli("config", "check", "--format", "json", env=env)
    assert result.exit_code == EXIT_OK, result.output
    return json.loads(result.stdout), " ".join(result.stderr.split())


def test_a_sqlite_database_not_created_yet_is_left_so(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    data, _ = _check(cli)
    assert data["database_status"]["reachable"] is True
    assert data["database_status"]["exists"] is False
    assert not (campaign_dir / "knowvember.db").exists()
    text = cli("config", "check")
    assert f"Schema:     not created yet (the first command creates it at {head_revision()})" \
        in text.stdout


def test_the_schema_revision_is_shown(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade").exit_code == EXIT_OK
    data, _ = _check(cli)
    assert data["database_status"] == {"reachable": True, "exists": True,
                                       "revision": head_revision(), "latest": head_revision(),
                                       "error": None}
    assert f"Schema:     up to date ({head_revision()})" in cli("config", "check").stdout

    con = sqlite3.connect(campaign_dir / "knowvember.db")
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0006'")
    con.close()
    shown = cli("config", "check").stdout
    assert f"Schema:     0006; the next command upgrades it to {head_revision()}" in shown

    con = sqlite3.connect(campaign_dir / "knowvember.db")
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.close()
    assert "Schema:     0099, from a newer knowvember" in cli("config", "check").stdout


def test_a_server_that_does_not_answer_is_a_warning(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    env = {"KNOWVEMBER_DATABASE_URL": "postgresql+psycopg://kv@127.0.0.1:1/kv"}
    data, _ = _check(cli, env)
    assert data["database_status"]["reachable"] is False
    assert "cannot connect to postgresql+psycopg://kv@127.0.0.1:1/kv" in data["warnings"][-1]
    result = cli("config", "check", env=env)
    assert result.exit_code == EXIT_OK
    told = " ".join(result.stderr.split())
    assert "Schema:     (the database cannot be reached)" in result.stdout
    assert "the database cannot be reached" in told and "fail (exit 5)" in told
    assert "Configuration is valid." in told  # the file itself is


@pytest.mark.postgres
def test_a_database_that_does_not_exist_on_the_server(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                      pg_url: str) -> None:
    missing = sa.make_url(pg_url).set(database="knowvember_no_such_db")
    env = {"KNOWVEMBER_DATABASE_URL": missing.render_as_string(hide_password=False)}
    data, _ = _check(cli, env)
    assert data["database_status"]["reachable"] is False
    assert 'database "knowvember_no_such_db" does not exist' in data["database_status"]["error"]
    # The real one, before any command: reachable, nothing created.
    fresh, _ = _check(cli, {"KNOWVEMBER_DATABASE_URL": pg_url})
    assert fresh["database_status"]["reachable"] is True
    assert fresh["database_status"]["exists"] is False

"""`knowvember serve` says it is serving only once the app and its database are ready.

It printed "Serving KNOWvember 2027 on http://127.0.0.1:8000/" and only then opened the
database, so a PostgreSQL schema that needs `db upgrade` (or a server that is down) was refused
after the line that said all was well. With --workers the command did not open the database
at all: every worker failed on its own with a full traceback, and uvicorn restarted them in a
loop; a too-short secret key did the same.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from knowvember.errors import EXIT_CONFIG, EXIT_DATABASE
from tests.conftest import fresh_pg_schema
from tests.web_support import SECRET

_DOWN = "postgresql+psycopg://kv@127.0.0.1:1/knowvember"  # nothing listens on port 1


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


@pytest.mark.parametrize("workers", ["1", "3"])
def test_a_database_that_cannot_be_opened_stops_serve_before_it_says_serving(  # type: ignore[no-untyped-def]
        cli, campaign_dir, uvicorn_calls, workers: str) -> None:
    result = cli("serve", "--workers", workers,
                 env={"KNOWVEMBER_DATABASE_URL": _DOWN, "KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == EXIT_DATABASE, result.stderr
    assert "cannot connect to postgresql+psycopg://kv@127.0.0.1:1/knowvember" in result.stderr
    assert "Serving" not in result.stderr and uvicorn_calls == []


def test_several_workers_refuse_a_short_secret_before_starting(  # type: ignore[no-untyped-def]
        cli, campaign_dir, uvicorn_calls) -> None:
    result = cli("serve", "--workers", "2", env={"KNOWVEMBER_SECRET_KEY": "too-short"})
    assert result.exit_code == EXIT_CONFIG, result.stderr
    assert "at least 32 characters" in result.stderr and "too-short" not in result.stderr
    assert "Serving" not in result.stderr and uvicorn_calls == []


@pytest.mark.postgres
def test_a_schema_waiting_for_db_upgrade_is_named_before_serving(  # type: ignore[no-untyped-def]
        cli, campaign_dir, uvicorn_calls) -> None:
    with fresh_pg_schema() as url:
        env = {"KNOWVEMBER_DATABASE_URL": url, "KNOWVEMBER_SECRET_KEY": SECRET}
        assert cli("db", "upgrade", env=env).exit_code == 0
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # as a release before this one left it
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
        engine.dispose()
        for workers in ("1", "2"):
            result = cli("serve", "--workers", workers, env=env)
            assert result.exit_code == EXIT_DATABASE, result.stderr
            assert "knowvember db upgrade" in result.stderr and "Serving" not in result.stderr
    assert uvicorn_calls == []


def test_a_ready_app_is_served_after_the_line(cli, campaign_dir, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    result = cli("serve", "--port", "8123", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr
    assert "Serving KNOWvember 2019 on http://127.0.0.1:8123/" in result.stderr
    [(app, _)] = uvicorn_calls
    with TestClient(app) as client:  # the app opened the database and closes it itself
        assert client.get("/healthz").json()["database"] == "ok"

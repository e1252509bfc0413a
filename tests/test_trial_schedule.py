"""A new user's trial of `knowvember schedule` as the README runs it: a month-long loop that
must survive one collection's database error, the way cron would simply run again."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowvember import ingest
from knowvember.cli import collect as collect_cli
from knowvember.errors import EXIT_OK, DatabaseError
from tests.conftest import BASE_CONFIG
from tests.fakeapi import X_TOKEN, FakeAPI, x_id, x_page, x_tweet, x_user

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
ENV = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN}
# One campaign day (5 November, London) and one grace day: 00:00Z on the 5th to the 7th.
ONE_DAY = BASE_CONFIG.replace("end = 2019-11-30", "end = 2019-11-05").replace(
    "start = 2019-11-01", "start = 2019-11-05")
START = dt.datetime(2019, 11, 5, 0, 0, tzinfo=dt.UTC)
SIX_HOURS = dt.timedelta(hours=6)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI() as server:
        server.add_x_page(x_page([x_tweet(x_id(NOV, 1), "Peer Assist #KNOWvember19", "42", NOV)],
                                 [x_user("42", "UHLLibraries")]))
        yield server


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, dt.datetime]:
    """The CLI's hooks on a clock that sleeping moves on, so a day passes in no time."""
    clock = {"now": START}
    real_hooks = collect_cli._hooks

    def hooks(display: Any, lock_wait: float = 10.0) -> ingest.Hooks:
        made = real_hooks(display, lock_wait)
        made.now = lambda: clock["now"]
        made.sleep = lambda seconds: clock.__setitem__(
            "now", clock["now"] + dt.timedelta(seconds=seconds))
        return made

    monkeypatch.setattr(collect_cli, "_hooks", hooks)
    return clock


def _failing_at(monkeypatch: pytest.MonkeyPatch, clock: dict[str, dt.datetime],
                bad: set[dt.datetime]) -> list[dt.datetime]:
    """Make the collections that start at the moments in `bad` hit a database error (as a
    SQLite database busy past its timeout does), and return when each collection started."""
    started: list[dt.datetime] = []
    real_collect: Callable[..., ingest.CollectOutcome] = ingest.collect

    def collect(*args: Any, **kwargs: Any) -> ingest.CollectOutcome:
        started.append(clock["now"])
        if clock["now"] in bad:
            raise DatabaseError("sqlite:///knowvember.db is busy (locked by another process) "
                                "(database is locked)")
        return real_collect(*args, **kwargs)

    monkeypatch.setattr(ingest, "collect", collect)
    return started


def test_a_database_error_in_one_collection_does_not_end_the_schedule(  # type: ignore[no-untyped-def]
        cli, write_config, api, fake_clock, monkeypatch) -> None:
    write_config(f'[sources.x]\nenabled = true\napi_base = "{api.url}"\nmax_retries = 1\n'
                 "[schedule]\ngrace_days = 1\n", base=ONE_DAY)
    started = _failing_at(monkeypatch, fake_clock, {START + SIX_HOURS})
    result = cli("schedule", "--every", "6h", env=ENV)
    assert result.exit_code == EXIT_OK, result.stderr
    # Every 6 h over the campaign day and the grace day; the failed one was retried 6 h on.
    assert started == [START + n * SIX_HOURS for n in range(8)]
    stderr = " ".join(result.stderr.split())
    assert ("2019-11-05 06:00 UTC: this collection stopped on a database error: "
            "sqlite:///knowvember.db is busy") in stderr
    assert "Trying again at 2019-11-05 12:00 UTC" in stderr
    assert "Done: 7 collection(s)" in stderr  # the failed one collected nothing
    assert result.stdout.count("x: ok") == 7


def test_a_stop_while_waiting_to_retry_ends_the_schedule_cleanly(  # type: ignore[no-untyped-def]
        cli, write_config, api, fake_clock, monkeypatch) -> None:
    write_config(f'[sources.x]\nenabled = true\napi_base = "{api.url}"\nmax_retries = 1\n',
                 base=ONE_DAY)
    started = _failing_at(monkeypatch, fake_clock, {START})
    real_wait = collect_cli._wait_until

    def wait_then_ctrl_c(moment: dt.datetime, hooks: ingest.Hooks) -> None:
        hooks.stop_flag().set("Ctrl-C")  # pressed during the wait before the retry
        real_wait(moment, hooks)

    monkeypatch.setattr(collect_cli, "_wait_until", wait_then_ctrl_c)
    result = cli("schedule", "--every", "6h", env=ENV)
    assert result.exit_code == 130
    assert started == [START] and fake_clock["now"] == START  # no retry, no waiting on
    assert "Stopped after 0 collection(s)" in " ".join(result.stderr.split())
    assert api.requests == []


def test_config_check_warns_when_an_enabled_source_has_no_secret(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    """README: `export KNOWVEMBER_X_BEARER_TOKEN=...` then `config check`. Run in a shell (or a
    crontab) without the export, it said "Configuration is valid." and every collection of x
    then failed."""
    write_config("[sources.x]\nenabled = true\n[sources.bluesky]\nenabled = true\n")
    result = cli("config", "check", env={"KNOWVEMBER_BLUESKY_HANDLE": "lib.bsky.social",
                                         "KNOWVEMBER_BLUESKY_APP_PASSWORD": ""})
    assert result.exit_code == EXIT_OK  # a reporting laptop needs no collection secrets
    stderr = " ".join(result.stderr.split())
    assert ("Warning: [sources.x] is enabled but $KNOWVEMBER_X_BEARER_TOKEN is not set here, "
            "so `knowvember collect` will fail for x") in stderr
    assert ("[sources.bluesky] is enabled but $KNOWVEMBER_BLUESKY_APP_PASSWORD is not set "
            "here") in stderr
    assert "KNOWVEMBER_BLUESKY_HANDLE is not" not in stderr  # the handle is set
    as_json = cli("config", "check", "--format", "json",
                  env={"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN})
    warnings = json.loads(as_json.stdout)["warnings"]
    assert [w.split(" is enabled")[0] for w in warnings] == ["[sources.bluesky]"]


def test_config_check_does_not_warn_about_a_disabled_source(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config("[sources.mastodon]\nenabled = true\n")  # Mastodon needs no secret
    result = cli("config", "check", "--format", "json", env={"KNOWVEMBER_X_BEARER_TOKEN": ""})
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout)["warnings"] == []
    assert "Warning" not in cli("config", "check").stderr


def test_the_env_example_init_writes_works_as_it_says_in_a_shell(tmp_path: Path) -> None:
    """`.env.example` said "Copy to .env", but nothing reads .env: the copy's tokens never
    reached `collect`. It now says how to load a filled-in copy; doing exactly that must make
    the token visible to knowvember, with the file's comments and empty lines harmless."""
    from knowvember.starter import write_starter

    write_starter(tmp_path, year=2027)
    example = (tmp_path / ".env.example").read_text(encoding="utf-8")
    assert "Copy to .env" not in example
    assert "does NOT read this file itself" in example
    command = re.search(r"in a shell: +(.+)", example)
    assert command is not None
    load = command.group(1).strip()
    secrets = tmp_path / "secrets.env"
    secrets.write_text(example.replace("KNOWVEMBER_X_BEARER_TOKEN=",
                                       f"KNOWVEMBER_X_BEARER_TOKEN={X_TOKEN}"), encoding="utf-8")
    knowvember = Path(sys.executable).with_name("knowvember")
    script = f"{load}\n'{knowvember}' config check --format json\n"
    result = subprocess.run(["/bin/sh", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                            check=False, timeout=120)
    assert result.returncode == EXIT_OK, result.stderr
    environment = json.loads(result.stdout)["environment"]
    assert environment["KNOWVEMBER_X_BEARER_TOKEN"] == "set"
    assert environment["KNOWVEMBER_BLUESKY_HANDLE"] == "not set"  # left empty: not set


@pytest.mark.postgres
def test_a_lock_connection_lost_during_the_run_does_not_crash_the_run(  # type: ignore[no-untyped-def]
        settings, pg_url) -> None:
    """PostgreSQL restarted (or the network dropped) while a run held its advisory lock: the
    run finished, then the unlock on the dead connection raised "unexpected OperationalError
    ... please report it", and `schedule` died with it. The server ended the session and its
    lock with it, so the next run must get the lock at once."""
    from knowvember.db import open_database
    from knowvember.locks import _lock_id, run_lock

    db = open_database(settings, url=pg_url)
    try:
        with db.engine.connect() as admin:
            schema = admin.execute(sa.text("SELECT current_schema()")).scalar()
            key = _lock_id(f"knowvember:{schema}:collect:x") & 0xFFFF_FFFF_FFFF_FFFF
            with run_lock(db, "collect:x", wait=0):
                holder = admin.execute(sa.text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid::bigint = :hi AND objid::bigint = :lo AND "
                    "database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database())"), {"hi": key >> 32, "lo": key & 0xFFFF_FFFF}
                ).scalar_one()
                admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": holder})
                admin.commit()
        with run_lock(db, "collect:x", wait=0):  # released with the session
            pass
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_server_out_of_reach_at_lock_time_is_a_database_error(settings, pg_url) -> None:  # type: ignore[no-untyped-def]
    from knowvember.db import Database, create_db_engine, open_database
    from knowvember.locks import run_lock

    db = open_database(settings, url=pg_url)
    with socket.socket() as probe:  # a port nothing listens on: the server gone away
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = Database(engine=create_db_engine(str(sa.make_url(pg_url).set(port=port))),
                    campaign_id=db.campaign_id, sessions=db.sessions)
    try:
        with pytest.raises(DatabaseError, match="cannot connect to"), \
                run_lock(gone, "collect:x", wait=0):
            pytest.fail("the lock was taken on a server that is not there")
    finally:
        gone.engine.dispose()
        db.dispose()

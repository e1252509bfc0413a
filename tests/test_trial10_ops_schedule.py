"""A fifth new-user trial of operations: a second `schedule` on the same database.

A `schedule` forgotten in another tmux window, or the service left running while a
coordinator starts one in a terminal (or on a laptop against the shared PostgreSQL server),
ran beside the first: both collected every interval, each asking again what the other had
just read, and skipping or waiting on the other's run lock. The second is now refused at
once (exit 75), naming the process already collecting; schedules of other sources still run
side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowvember.config import load_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_LOCKED, EXIT_OK
from knowvember.locks import command_for, run_lock
from tests.test_trial8_ops import _live_schedule_config

Invoke = Callable[..., Any]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, campaign_dir: Path,
            monkeypatch: pytest.MonkeyPatch) -> str:
    """The live schedule campaign, on SQLite or on a PostgreSQL schema of its own."""
    _live_schedule_config(campaign_dir)
    if request.param == "postgresql":
        monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", request.getfixturevalue("pg_url"))
    return str(request.param)


def _held(name: str) -> Any:
    """The lock `name`, held as another `schedule` holds it."""
    db = open_database(load_settings())
    return db, run_lock(db, name, wait=0)


def _no_collection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand in for the loop: record which sources it was asked to collect, and stop."""
    from knowvember import ingest

    asked: list[str] = []

    def loop(db: Any, settings: Any, sources: Any, every: float, hooks: ingest.Hooks,
             **kwargs: Any) -> int:
        asked.extend(sources)
        return 0

    monkeypatch.setattr(ingest, "schedule", loop)
    return asked


def test_a_second_schedule_of_the_same_source_is_refused_naming_the_first(
        cli: Invoke, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _no_collection(monkeypatch)
    db, lock = _held("schedule:mastodon")
    try:
        with lock:
            result = cli("schedule", "--every", "30m")
    finally:
        db.dispose()
    message = " ".join(result.stderr.split())
    assert result.exit_code == EXIT_LOCKED, message
    assert f"another `knowvember schedule` (process {os.getpid()}" in message
    assert "already collects mastodon from this database; this one did nothing" in message
    assert "Collecting" not in message  # refused before it announced a loop
    assert asked == []


def test_a_schedule_starts_once_the_other_has_stopped(
        cli: Invoke, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _no_collection(monkeypatch)
    db, lock = _held("schedule:mastodon")
    try:
        with lock:
            pass
    finally:
        db.dispose()
    result = cli("schedule", "--every", "30m")
    assert result.exit_code == EXIT_OK, result.stderr
    assert asked == ["mastodon"]


def test_schedules_of_different_sources_run_side_by_side(
        cli: Invoke, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _no_collection(monkeypatch)
    db, lock = _held("schedule:x")
    try:
        with lock:
            result = cli("schedule", "--source", "mastodon", "--every", "30m")
    finally:
        db.dispose()
    assert result.exit_code == EXIT_OK, result.stderr
    assert asked == ["mastodon"]


def test_a_schedule_lock_is_named_as_the_command() -> None:
    assert command_for("schedule:x") == "schedule --source x"
    assert command_for("collect:x") == "collect --source x"

"""Stopping a run with a signal: Ctrl-C (SIGINT), and a service stop or `kill PID` (SIGTERM).

Each test stops a real `python -m knowvember` process part-way. Either signal must end it
the same way: the batch being written lands whole, the checkpoint is never ahead of the
stored posts, the run is recorded as `partial` and interrupted (not left `running` like a run
killed -9), the exit code is 4 (partial), and the next run ends where one clean run does.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from knowvember.errors import EXIT_OK, EXIT_PARTIAL
from tests.fakeapi import X_TOKEN, FakeAPI
from tests.reliability_support import cli_env, knowvember, live_config, x_world
from tests.test_reliability_kill import (
    CONFIG,
    SEED,
    _check_whole,
    _claimed,
    _count,
    _no_readers_left,
    _snapshot,
)

pytestmark = pytest.mark.slow  # real processes, several seconds each

SIGNALS = [pytest.param(signal.SIGINT, "Ctrl-C", id="ctrl-c"),
           pytest.param(signal.SIGTERM, "SIGTERM", id="sigterm")]


def _start(args: tuple[str, ...], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """The CLI in a process group of its own, as a service manager starts it."""
    return subprocess.Popen([sys.executable, "-m", "knowvember", *args], cwd=cwd,
                            env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop_when(proc: subprocess.Popen[str], ready: Callable[[], bool], signum: int, *,
               group: bool = False) -> str:
    """Once `ready()` holds, send `signum` to the process (or its whole group, as systemd
    does); return its stderr once it has ended by itself."""
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None, "the run finished before it could be stopped"
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.01)
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    return err


def _only_run(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        (run,) = con.execute("SELECT status, finished_at, error, fetched FROM runs").fetchall()
    finally:
        con.close()
    return dict(run)


def _assert_interrupted(proc: subprocess.Popen[str], err: str, db: Path, reason: str) -> None:
    assert proc.returncode == EXIT_PARTIAL, err
    assert "Traceback" not in err
    run = _only_run(db)
    assert run["status"] == "partial" and run["finished_at"] is not None, run
    assert f"interrupted ({reason})" in run["error"], run


ENV = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN}
COLLECT = ("collect", "--source", "x")


@pytest.fixture(scope="module")
def x_campaign(tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[FakeAPI, list[int], dict[str, Any]]]:
    """The fake X API serving a campaign of a dozen slow pages (a run of a few seconds), the
    ids a collection matches, and what one clean collection stores."""
    now = dt.datetime.now(dt.UTC)
    world = x_world(1_500, start=now - dt.timedelta(days=2), span=dt.timedelta(hours=40),
                    seed=SEED)
    matching = sorted(int(t["id"]) for t in world.tweets
                      if not t["text"].startswith(("RT", "Thank", "Off topic")))
    with FakeAPI() as api:
        for page in world.pages():
            api.add_x_page(page)
        api.fail("/2/tweets/search", "slow", delay=0.1, times=100_000)
        clean = tmp_path_factory.mktemp("clean")
        (clean / "campaign.toml").write_text(
            live_config(api.url, db_url=f"sqlite:///{clean / 'kv.db'}"))
        result = knowvember(*COLLECT, cwd=clean, env=ENV, timeout=120)
        assert result.returncode == EXIT_OK, result.stderr
        yield api, matching, _snapshot(clean / "kv.db")


@pytest.mark.parametrize(("signum", "reason"), SIGNALS)
def test_a_collection_stopped_by_a_signal_is_recorded_as_interrupted(
        tmp_path: Path, x_campaign: tuple[FakeAPI, list[int], dict[str, Any]], signum: int,
        reason: str) -> None:
    api, matching, reference = x_campaign
    (tmp_path / "campaign.toml").write_text(
        live_config(api.url, db_url=f"sqlite:///{tmp_path / 'kv.db'}"))
    db = tmp_path / "kv.db"
    api.requests.clear()
    proc = _start(COLLECT, tmp_path, ENV)
    err = _stop_when(proc, lambda: len(api.seen("/2/tweets/search")) >= 2, signum)
    _assert_interrupted(proc, err, db, reason)
    assert 0 < _check_whole(db, reference) < reference["counts"]["posts"]
    con = sqlite3.connect(db)
    try:
        state = dict(con.execute("SELECT key, value FROM collector_state").fetchall())
        ids = {int(r[0]) for r in con.execute("SELECT platform_id FROM posts")}
    finally:
        con.close()
    assert not _claimed(state, matching) - ids, "the checkpoint is ahead of the stored posts"

    assert knowvember(*COLLECT, cwd=tmp_path, env=ENV, timeout=120).returncode == EXIT_OK
    got = _snapshot(db)
    for part in ("posts", "accounts", "hashtags", "counts"):
        assert got[part] == reference[part], part


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A twarc2 archive of several batches, and what one clean import of it stores."""
    folder = tmp_path_factory.mktemp("archive")
    world = x_world(12_000, start=dt.datetime(2019, 11, 1, 8, tzinfo=dt.UTC),
                    span=dt.timedelta(days=29), seed=SEED)
    path = world.write_twarc2(folder / "knowvember2019.jsonl")
    (folder / "campaign.toml").write_text(CONFIG.format(db=folder / "kv.db"))
    result = knowvember("import", "twarc2", str(path), cwd=folder,
                        env={"KNOWVEMBER_IMPORT_PROCESSES": "1"}, timeout=120)
    assert result.returncode == EXIT_OK, result.stderr
    return path, _snapshot(folder / "kv.db")


@pytest.mark.parametrize(("signum", "reason"), SIGNALS)
def test_an_import_stopped_by_a_signal_is_recorded_as_interrupted(
        tmp_path: Path, archive: tuple[Path, dict[str, Any]], signum: int, reason: str) -> None:
    path, reference = archive
    (tmp_path / "campaign.toml").write_text(CONFIG.format(db=tmp_path / "kv.db"))
    env = {"KNOWVEMBER_IMPORT_PROCESSES": "1"}
    args = ("import", "twarc2", str(path))
    db = tmp_path / "kv.db"
    proc = _start(args, tmp_path, env)
    err = _stop_when(proc, lambda: _count(db, "posts") > 0, signum)
    _assert_interrupted(proc, err, db, reason)
    assert 0 < _check_whole(db, reference) < reference["counts"]["posts"]
    assert knowvember(*args, cwd=tmp_path, env=env, timeout=120).returncode == EXIT_OK
    assert _snapshot(db) == reference


def test_a_service_stop_reaching_the_import_and_its_readers_stops_it_like_ctrl_c(
        tmp_path: Path, archive: tuple[Path, dict[str, Any]]) -> None:
    """systemd sends SIGTERM to every process of the service: the readers ignore it, the
    importer stops after its batch and ends them."""
    path, reference = archive
    marker = f"sigterm-test-{tmp_path.name}"
    (tmp_path / "campaign.toml").write_text(CONFIG.format(db=tmp_path / "kv.db"))
    env = {"KNOWVEMBER_IMPORT_PROCESSES": "3", "KNOWVEMBER_TEST_MARKER": marker}
    db = tmp_path / "kv.db"
    proc = _start(("import", "twarc2", str(path)), tmp_path, env)
    err = _stop_when(proc, lambda: _count(db, "posts") > 0, signal.SIGTERM, group=True)
    _assert_interrupted(proc, err, db, "SIGTERM")
    assert "stopped unexpectedly" not in err
    _no_readers_left(marker)
    assert 0 < _check_whole(db, reference) < reference["counts"]["posts"]

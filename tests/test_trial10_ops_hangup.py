"""A fifth new-user trial of operations: `schedule` and `collect` when their terminal closes.

A coordinator who starts `knowvember schedule` in an SSH session (not in tmux) and closes
the laptop, or shuts the terminal window, sends it SIGHUP. By default that ended the process
at once: mid-page, with the run left `running`, and no line in the `[logging] file` saying
collection had stopped or why. SIGHUP now stops as SIGTERM does, cleanly, between pages,
and says so; writes to the terminal that has gone away no longer fail the stop.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakeapi import X_TOKEN, FakeAPI
from tests.reliability_support import cli_env, live_config
from tests.test_reliability_signals import (
    COLLECT,
    ENV,
    _assert_interrupted,
    _start,
    _stop_when,
    x_campaign,  # noqa: F401 (a fixture)
)
from tests.test_trial8_ops import _live_schedule_config


def _first_collection_over(folder: Path, proc: subprocess.Popen[Any]) -> None:
    log = folder / "kv.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "mastodon run " in log.read_text("utf-8")):
        assert proc.poll() is None, "schedule ended before its first collection was over"
        assert time.monotonic() < deadline, "the first collection never finished"
        time.sleep(0.05)


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed
            return
        if not chunk:
            return
        into.append(chunk)


@pytest.mark.slow
def test_schedule_in_a_terminal_that_closes_stops_cleanly_and_logs_why(tmp_path: Path) -> None:
    """`schedule` on a real terminal (its controlling tty, as in an SSH session); the
    terminal closes once the first collection is over."""
    _live_schedule_config(tmp_path)
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "knowvember", "schedule", "--every", "30m"], cwd=tmp_path,
        env=cli_env(), stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    shown: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, shown), daemon=True)
    reader.start()
    try:
        _first_collection_over(tmp_path, proc)
        time.sleep(0.3)  # into the wait for the next collection
        os.close(master)  # the terminal closes: the kernel sends SIGHUP
        status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (tmp_path / "kv.log").read_text("utf-8")
    assert status == -signal.SIGHUP, log
    assert "schedule: stopped after 1 collection(s) (SIGHUP: the terminal it ran in closed" in (
        " ".join(log.split()))
    assert "unexpected" not in log and "Traceback" not in log


@pytest.mark.slow
def test_schedule_sent_sighup_says_it_stopped(tmp_path: Path) -> None:
    """`kill -HUP PID` with its output still there: it says why it stopped, then ends by
    the signal."""
    _live_schedule_config(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "knowvember", "schedule", "--every", "30m"],
                            cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _first_collection_over(tmp_path, proc)
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = " ".join(err.split())
    assert proc.returncode == -signal.SIGHUP, err
    assert "Stopped after 1 collection(s) (SIGHUP: the terminal it ran in closed" in err
    assert "tmux" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_collection_sent_sighup_is_recorded_as_interrupted(
        tmp_path: Path, x_campaign: tuple[FakeAPI, list[int], dict[str, Any]]  # noqa: F811
) -> None:
    """Mid-collection, SIGHUP stops between pages as SIGTERM does: the run is `partial` and
    interrupted, not left `running` as a killed run is."""
    api, _, _ = x_campaign
    (tmp_path / "campaign.toml").write_text(
        live_config(api.url, db_url=f"sqlite:///{tmp_path / 'kv.db'}"))
    api.requests.clear()
    proc = _start(COLLECT, tmp_path, {**ENV, "KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN})
    err = _stop_when(proc, lambda: len(api.seen("/2/tweets/search")) >= 2, signal.SIGHUP)
    _assert_interrupted(proc, err, tmp_path / "kv.db", "SIGHUP")


def test_schedule_stopped_by_sighup_in_process_exits_129(  # type: ignore[no-untyped-def]
        cli, campaign_dir, monkeypatch) -> None:
    from knowvember import ingest
    from knowvember.cli import common

    _live_schedule_config(campaign_dir)

    def stopped(db: Any, settings: Any, sources: Any, every: float, hooks: ingest.Hooks,
                **kwargs: Any) -> None:
        hooks.stop_flag().set("SIGHUP")

    monkeypatch.setattr(ingest, "schedule", stopped)
    monkeypatch.setattr(common, "_end_by_signal", None)  # put back after: not this process
    result = cli("schedule", "--every", "30m")
    assert result.exit_code == 128 + signal.SIGHUP
    assert common._end_by_signal == signal.SIGHUP  # what `main` would end the process by

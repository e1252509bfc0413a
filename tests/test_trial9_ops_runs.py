"""Trial 9 (ops): the run log after a run was killed (kill -9, OOM, a reboot)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from knowvember.cli import app
from knowvember.config import load_settings
from knowvember.db import open_database
from knowvember.runs import RunRecord, finish_run, list_runs, start_run

runner = CliRunner()


def test_a_killed_run_followed_by_another_is_failed_not_running(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path), "--year", "2027"]).exit_code == 0
    db = open_database(load_settings(tmp_path / "campaign.toml"))
    try:
        killed = start_run(db, RunRecord(source="mastodon"))  # never finished: killed
        other = start_run(db, RunRecord(source="x"))  # still going, or killed: no later x run
        later = finish_run(db, start_run(db, RunRecord(source="mastodon")))
        runs = {run.id: run for run in list_runs(db)}
        assert runs[later.id].status == "ok"
        assert runs[killed.id].status == "failed"
        assert f"run #{later.id} of mastodon started after it" in (runs[killed.id].error or "")
        assert runs[other.id].status == "running"
        assert runs[other.id].error == "the run did not finish (killed or still running)"
        assert list_runs(db, source="mastodon", limit=5)[1].status == "failed"
    finally:
        db.dispose()


def test_already_running_names_the_process_holding_the_lock(tmp_path: Path) -> None:
    import os

    import pytest

    from knowvember.errors import AlreadyRunningError
    from knowvember.locks import run_lock

    assert runner.invoke(app, ["init", str(tmp_path), "--year", "2027"]).exit_code == 0
    db = open_database(load_settings(tmp_path / "campaign.toml"))
    try:
        with (run_lock(db, "collect:mastodon"), pytest.raises(AlreadyRunningError) as caught,
              run_lock(db, "collect:mastodon", wait=0)):
            pass
        assert (f"another `collect --source mastodon` run (process {os.getpid()}) is already "
                "running") in str(caught.value)
    finally:
        db.dispose()

"""A `serve --workers` worker that cannot build the app stops the server, saying why.

`serve` checks the database before it starts the workers, but a worker builds its own app:
when the database went down in between, or when uvicorn restarted a worker that had died
later in the month, the worker raised, printing a full traceback, and uvicorn started it
again, failing the same way, in a loop until someone stopped it. Now the worker logs one line
and exits with uvicorn's code for a failed start, uvicorn stops the server, and `serve` says
why and exits with the error's code (5), not 0 as after Ctrl+C, so a service manager
told to restart on failure does.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from knowvember.errors import EXIT_DATABASE
from tests.web_support import SECRET

_DOWN = "postgresql+psycopg://kv@127.0.0.1:1/knowvember"  # nothing listens on port 1


def test_a_worker_that_cannot_open_the_database_exits_as_a_failed_start(  # type: ignore[no-untyped-def]
        campaign_dir, monkeypatch, caplog, tmp_path: Path) -> None:
    from knowvember.web import create_app_from_env
    from knowvember.web.app import WORKER_FAILURE_FILE_ENV

    failure = tmp_path / "failure.txt"
    monkeypatch.setenv("KNOWVEMBER_CONFIG", str(campaign_dir / "campaign.toml"))
    monkeypatch.setenv("KNOWVEMBER_SECRET_KEY", SECRET)
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", _DOWN)
    monkeypatch.setenv(WORKER_FAILURE_FILE_ENV, str(failure))
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as caught:
        create_app_from_env()
    assert caught.value.code == 3  # uvicorn stops the server rather than restart the worker
    assert "The web app could not start: cannot connect to" in caplog.text
    assert failure.read_text(encoding="utf-8").startswith(f"{EXIT_DATABASE}\ncannot connect")


def test_serve_says_why_its_workers_stopped_and_exits_non_zero(  # type: ignore[no-untyped-def]
        cli, campaign_dir, monkeypatch) -> None:
    import uvicorn

    from knowvember.web import create_app_from_env
    from knowvember.web.app import WORKER_FAILURE_FILE_ENV

    seen: dict[str, Any] = {}

    def workers_fail(target: str, **kwargs: Any) -> None:  # as a spawned worker would
        seen["file"] = os.environ[WORKER_FAILURE_FILE_ENV]
        monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", _DOWN)  # gone since serve checked it
        with pytest.raises(SystemExit):
            create_app_from_env()

    monkeypatch.setattr(uvicorn, "run", workers_fail)
    result = cli("serve", "--workers", "2", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == EXIT_DATABASE, result.stderr
    assert "the web server stopped: a worker could not start (cannot connect to " \
        "postgresql+psycopg://kv@127.0.0.1:1/knowvember" in result.stderr
    assert not Path(seen["file"]).exists() and WORKER_FAILURE_FILE_ENV not in os.environ


def test_a_clean_stop_of_the_workers_still_exits_0(cli, campaign_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: None)  # stopped by SIGTERM
    result = cli("serve", "--workers", "2", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr


def test_without_a_writable_temporary_folder_the_workers_still_start(  # type: ignore[no-untyped-def]
        cli, campaign_dir, monkeypatch) -> None:
    import tempfile

    import uvicorn

    def no_temporary_folder(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", "/tmp/knowvember-serve-x.txt")

    calls: list[str] = []
    monkeypatch.setattr(tempfile, "mkstemp", no_temporary_folder)
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append(target))
    result = cli("serve", "--workers", "2", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr
    assert calls == ["knowvember.web:create_app_from_env"]

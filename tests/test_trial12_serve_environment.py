"""`serve --workers` leaves the environment as it found it once it returns.

It tells its workers the config file and session key through the environment. In a process
that ran it and went on (the test suite, a script calling the CLI), `KNOWVEMBER_CONFIG` stayed
set after the server stopped, and every later command read that campaign's config instead of
the one in its own folder: a story submitted next was stored in the other campaign's
database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web_support import SECRET


def test_the_config_and_key_given_to_the_workers_are_taken_back(
        cli: Any, campaign_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(
        os.environ.get("KNOWVEMBER_CONFIG")))
    result = cli("serve", "--workers", "2", "--port", "8124")
    assert result.exit_code == 0, result.output
    assert seen == [str((campaign_dir / "campaign.toml").resolve())]  # the workers had it
    assert "KNOWVEMBER_CONFIG" not in os.environ
    assert "KNOWVEMBER_SECRET_KEY" not in os.environ  # the random key made for them


def test_a_key_set_before_is_kept(cli: Any, campaign_dir: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("KNOWVEMBER_SECRET_KEY", SECRET)
    assert cli("serve", "--workers", "2", "--port", "8124").exit_code == 0
    assert os.environ["KNOWVEMBER_SECRET_KEY"] == SECRET

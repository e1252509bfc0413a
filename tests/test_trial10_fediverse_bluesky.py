"""The tenth session's trial of collecting from Bluesky: the account's own password in the
app password variable worked silently, leaving a full-access password on the campaign's
computer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from knowvember.db import open_database
from tests.fakeapi import BSKY_HANDLE, FakeAPI, bluesky_post
from tests.test_trial_fediverse import NOW, run, settings_for

VARIABLE = "KNOWVEMBER_BLUESKY_APP_PASSWORD"


def _collect(tmp_path: Path, password: str) -> list[str]:
    with FakeAPI(bluesky_login=(BSKY_HANDLE, password)) as api:
        api.add_bluesky([bluesky_post("3kx1", "did:plc:lib", "lib.bsky.social",
                                      "Peer Assist #KNOWvember", NOW - dt.timedelta(days=1))])
        settings = settings_for(f'[sources.bluesky]\nenabled = true\nservice = "{api.url}"\n'
                                "timeout = 2\n")
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "bluesky",
                     env={"KNOWVEMBER_BLUESKY_HANDLE": BSKY_HANDLE, VARIABLE: password})
        db.dispose()
    assert record.status == "ok" and record.new == 1, record.error
    return list(record.details.get("warnings") or [])


def test_an_account_password_is_warned_about_by_its_variable(tmp_path: Path) -> None:
    warnings = _collect(tmp_path, "Library-Nov2026!")
    assert any(f"${VARIABLE} does not look like an app password" in w for w in warnings)
    assert not any("Library-Nov2026!" in w for w in warnings)


@pytest.mark.parametrize("password", ["abcd-2efg-hij3-k4lm"])
def test_an_app_password_is_not_warned_about(tmp_path: Path, password: str) -> None:
    assert not any("app password" in w for w in _collect(tmp_path, password))

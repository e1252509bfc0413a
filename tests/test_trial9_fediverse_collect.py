"""The ninth session's trial of collecting from Mastodon and Bluesky: several local fake
instances (one down, one rate limited, one needing a token, one behind a redirect) and a fake
Bluesky service. Each test is a defect the trial found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember.db import open_database
from tests.fakeapi import FakeAPI, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial_fediverse import NOW, run, settings_for

HOME = "https://nhs.social"


def _statuses(count: int) -> list[dict[str, object]]:
    lib = mastodon_account("uhlibrary", HOME, acct="uhlibrary")
    out = []
    for number in range(count):
        when = NOW - dt.timedelta(days=3, hours=number)
        out.append(mastodon_status(mastodon_id(when, number), HOME, number,
                                   "<p>Peer Assist #KNOWvember</p>", ["KNOWvember"], lib, when))
    return out


def test_a_refused_token_names_the_variable_it_came_from(tmp_path: Path) -> None:
    """'check the token variable' named none; with a token per instance, which one?"""
    with FakeAPI(mastodon_token="the-right-token-0123456789") as api:
        api.add_statuses(_statuses(2))
        settings = settings_for(f'[sources.mastodon]\ninstances = ["{api.url}"]\n'
                                f'access_token_env = "MASTO_ALL"\n'
                                f'instance_token_env = {{"{api.url}" = "MASTO_NHS_SOCIAL"}}\n'
                                "timeout = 2\nmax_retries = 0\n")
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon", env={"MASTO_NHS_SOCIAL": "an-old-token-98765"})
    assert record.status == "failed"
    assert "$MASTO_NHS_SOCIAL" in (record.error or "") and "an-old-token" not in (
        record.error or "")
    db.dispose()


def test_a_401_without_a_token_says_none_is_set(tmp_path: Path) -> None:
    """An instance that shows hashtag timelines to signed-in users only answers 401 to a
    request without a token; the run said the instance 'refused the access token', though
    none was sent, and a coordinator looked for a wrong token."""
    with FakeAPI(mastodon_token="the-right-token-0123456789") as api:
        api.add_statuses(_statuses(2))
        settings = settings_for(f'[sources.mastodon]\ninstances = ["{api.url}"]\n'
                                'access_token_env = "MASTO_TOKEN"\ntimeout = 2\n')
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon", env={})
    error = record.error or ""
    assert record.status == "failed"
    assert "refused the access token" not in error
    assert "signed-in users (401)" in error and "$MASTO_TOKEN is not set" in error
    db.dispose()

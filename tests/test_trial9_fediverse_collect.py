"""The ninth session's trial of collecting from Mastodon and Bluesky: several local fake
instances (one down, one rate limited, one needing a token, one behind a redirect) and a fake
Bluesky service. Each test is a defect the trial found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember.db import open_database
from tests.fakeapi import FakeAPI, Seen, _Answer, mastodon_account, mastodon_id, mastodon_status
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
    assert "signed-in users (401" in error and "$MASTO_TOKEN is not set" in error
    db.dispose()


class RefusingInstance(FakeAPI):
    """An instance that refuses tag timelines with `answer` (status, body, content type)."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__()
        self.answer = _Answer(status, body, {}, content_type)

    def _route(self, seen: Seen) -> _Answer:
        if seen.path.startswith("/api/v1/timelines/tag/"):
            return self.answer
        return super()._route(seen)


def _refused_run(tmp_path: Path, api: FakeAPI, env: dict[str, str]) -> str:
    settings = settings_for(f'[sources.mastodon]\ninstances = ["{api.url}"]\n'
                            'access_token_env = "MASTO_TOKEN"\ntimeout = 2\n')
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = run(db, settings, "mastodon", env=env)
    db.dispose()
    assert record.status == "failed"
    return record.error or ""


def test_a_firewalls_web_page_is_not_taken_for_a_missing_token(tmp_path: Path) -> None:
    """Cloudflare's challenge page (403, HTML) in front of an instance read as 'only shows
    hashtag timelines to signed-in users: set an access token', which no token gets past."""
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"
    with RefusingInstance(403, page, "text/html; charset=UTF-8") as api:
        error = _refused_run(tmp_path, api, {})
    assert "answered with a web page (403)" in error and "access token" not in error


def test_a_token_without_the_scope_is_named_with_the_servers_reason(tmp_path: Path) -> None:
    """With a token set, a 403 said 'set an access token'; the server's reason (a token
    made without read:statuses) was not shown."""
    body = b'{"error":"This action is outside the authorized scopes"}'
    with RefusingInstance(403, body, "application/json; charset=utf-8") as api:
        error = _refused_run(tmp_path, api, {"MASTO_TOKEN": "a-write-only-token-4567"})
    assert "outside the authorized scopes" in error and "$MASTO_TOKEN" in error
    assert "read:statuses" in error and "a-write-only-token" not in error


def test_a_422_without_a_token_quotes_the_server(tmp_path: Path) -> None:
    body = b'{"error":"This method requires an authenticated user"}'
    with RefusingInstance(422, body, "application/json; charset=utf-8") as api:
        error = _refused_run(tmp_path, api, {})
    assert "(422: This method requires an authenticated user)" in error
    assert "$MASTO_TOKEN is not set" in error

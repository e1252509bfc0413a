"""Collecting from Bluesky: searchPosts served locally (the recorded page plus generated
KNOWvember posts), cursor paging, the ~10,000-result cursor limit, faults."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from collectors.bluesky import OVERLAP
from collectors.bluesky_payload import from_posts
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.models import Account
from tests.conftest import stored_posts as stored
from tests.fakeapi import BSKY_HANDLE, BSKY_PASSWORD, FIXTURES, FakeAPI, bluesky_post

NOW = dt.datetime(2023, 12, 15, tzinfo=dt.UTC)
CAMPAIGN = """
[campaign]
name = "Fixture campaign"
slug = "fixtures"
hashtags = ["KITM", "KNOWvember"]
start = 2023-12-01
end = 2023-12-31
timezone = "UTC"
"""
ENV = {"KNOWVEMBER_BLUESKY_HANDLE": BSKY_HANDLE, "KNOWVEMBER_BLUESKY_APP_PASSWORD": BSKY_PASSWORD}


def recorded() -> dict:  # type: ignore[type-arg]
    return json.loads((FIXTURES / "bluesky_search_posts_2.json").read_text())


def know_posts(count: int, newest: dt.datetime = NOW - dt.timedelta(minutes=1)) -> list[dict]:  # type: ignore[type-arg]
    return [bluesky_post(f"3k{i:06d}", "did:plc:uhllibraries000000000000", "uhllib.bsky.social",
                         f"Knowledge Cafe number {i} #KNOWvember",
                         newest - dt.timedelta(minutes=3 * i)) for i in range(count)]


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI() as server:
        server.add_bluesky(recorded())
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'b.db'}"


class Sleeps(list):  # type: ignore[type-arg]
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def setup(api: FakeAPI, db_url: str, extra: str = "") -> tuple[Settings, Database]:
    settings = parse_settings(CAMPAIGN + f"""
[sources.bluesky]
enabled = true
service = "{api.url}"
timeout = 2
{extra}
""")
    return settings, open_database(settings, url=db_url)


def run(settings: Settings, db: Database, *, now: dt.datetime = NOW,
        sleeps: Sleeps | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    hooks = ingest.Hooks(now=lambda: now, sleep=sleeps if sleeps is not None else Sleeps(),
                         lock_wait=0, env=ENV if env is None else env)
    return ingest.collect_source(db, settings, "bluesky", hooks)


def test_search_by_tag_newest_first_with_cursor_paging(api, db_url) -> None:  # type: ignore[no-untyped-def]
    api.add_bluesky(know_posts(230))
    settings, db = setup(api, db_url)
    record = run(settings, db)
    assert record.status == "ok", record.error
    searches = api.seen("/xrpc/app.bsky.feed.searchPosts")
    know = [r for r in searches if r.param("q") == "#knowvember"]
    assert [r.param("cursor") for r in know] == [None, "100", "200"]
    # No tag filter: it matches facets only, and misses a hashtag typed without one.
    assert "tag" not in know[0].params and know[0].param("sort") == "latest"
    assert know[0].param("since") == "2023-12-01T00:00:00.000Z"
    assert api.seen("/xrpc/com.atproto.server.createSession")[0].body == {
        "identifier": BSKY_HANDLE, "password": BSKY_PASSWORD}
    posts = stored(db)
    kitm = [p for p in posts.values() if "kitm" in p.text.lower()]
    assert len(kitm) == 1 and kitm[0].platform_id.startswith("at://did:plc:")
    assert len(posts) == 231 and record.new == 231
    db.dispose()


def test_when_the_cursor_gives_out_it_walks_on_by_time_window(sqlite_url) -> None:
    with FakeAPI(cursor_cap=250) as api:
        api.add_bluesky(know_posts(620))
        settings, db = setup(api, sqlite_url)
        record = run(settings, db)
        windows = {r.param("until") for r in api.seen("/xrpc/app.bsky.feed.searchPosts")}
    assert record.status == "ok", record.error
    assert len(stored(db)) == 620  # all of them, though one cursor only reaches 250
    assert len(windows - {None}) >= 2
    db.dispose()


def test_a_later_run_starts_at_the_newest_stored_post(api, db_url) -> None:  # type: ignore[no-untyped-def]
    api.add_bluesky(know_posts(30))
    settings, db = setup(api, db_url)
    run(settings, db)
    newest = NOW - dt.timedelta(minutes=1)
    later = NOW + dt.timedelta(hours=2)
    api.add_bluesky([bluesky_post("3knew", "did:plc:uhllibraries000000000000",
                                  "uhllib.bsky.social", "A new #KNOWvember post",
                                  later - dt.timedelta(minutes=10))])
    record = run(settings, db, now=later)
    assert record.status == "ok" and record.new == 1
    last = [r for r in api.seen("/xrpc/app.bsky.feed.searchPosts")
            if r.param("q") == "#knowvember"][-1]
    # from OVERLAP before it: a post indexed late sorts before the newest one seen
    since = newest - OVERLAP
    assert last.param("since") == since.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    db.dispose()


def test_a_refused_login_says_which_variables_to_check(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    secret = "not-the-app-password-123456"
    record = run(settings, db, env={**ENV, "KNOWVEMBER_BLUESKY_APP_PASSWORD": secret})
    assert record.status == "failed"
    assert "KNOWVEMBER_BLUESKY_APP_PASSWORD" in record.error and "app password" in record.error
    assert secret not in json.dumps(record.to_json())
    db.dispose()


def test_missing_login_variables_fail_before_any_request(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    record = run(settings, db, env={})
    assert record.status == "failed" and "KNOWVEMBER_BLUESKY_HANDLE" in record.error
    assert api.requests == []
    db.dispose()


@pytest.mark.parametrize("fault", ["429", 500, 503, "malformed", "html", "truncated"])
def test_faults_are_retried(api, sqlite_url, fault) -> None:  # type: ignore[no-untyped-def]
    api.add_bluesky(know_posts(5))
    settings, db = setup(api, sqlite_url)
    api.fail("/xrpc/app.bsky.feed.searchPosts", fault, reset_in=20)
    sleeps = Sleeps()
    record = run(settings, db, sleeps=sleeps)
    assert record.status == "ok", record.error
    assert record.new == 6
    if fault == "429":
        assert 19 <= sum(sleeps) <= 23
    db.dispose()


def test_recorded_posts_map_tags_mentions_and_quotes() -> None:
    posts, accounts = from_posts(recorded()["posts"])
    kitm = next(p for p in posts if "kitm" in p.hashtags)
    assert "demfromct.bsky.social" in kitm.mentions
    assert kitm.url.startswith("https://bsky.app/profile/")
    quotes = [p for p in posts if p.kind == "quote"]
    assert quotes and all(p.referenced_id.startswith("at://") for p in quotes)
    context = [p for p in posts if p.context_only]
    assert {p.platform_id for p in context} <= {q.referenced_id for q in quotes}
    replies = [p for p in posts if p.kind == "reply"]
    assert replies and all(p.referenced_id.startswith("at://") for p in replies)
    assert {a.key for a in accounts} >= {p.account_key for p in posts}
    with_did = [a for a in accounts if a.key.startswith("did:")]
    assert len(with_did) == len(accounts)


def test_accounts_are_keyed_by_did(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    run(settings, db)
    with db.session() as session:
        (account,) = session.scalars(sa.select(Account)).all()
        assert account.key.startswith("did:plc:") and account.handle.endswith(".bsky.social")
    db.dispose()

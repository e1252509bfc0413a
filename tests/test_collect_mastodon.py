"""Collecting from Mastodon: recorded tag timelines served by local instances, with faults."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from collectors.mastodon import OVERLAP
from collectors.mastodon_payload import from_statuses, html_to_text
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.models import Account, Post
from knowvember.store import load_state
from tests.fakeapi import (
    FIXTURES,
    FakeAPI,
    mastodon_account,
    mastodon_id,
    mastodon_status,
)

TAG = "fgiztsshwiaqqiztpmmjbtvmescsculuvmgjgopwoeidbcrixp"  # the recorded pages' hashtag
NOW = dt.datetime(2026, 8, 2, tzinfo=dt.UTC)
CAMPAIGN = f"""
[campaign]
name = "Fixture campaign"
slug = "fixtures"
hashtags = ["{TAG}"]
start = 2026-08-01
end = 2026-08-31
timezone = "UTC"
"""


def recorded_pages() -> list[list[dict]]:  # type: ignore[type-arg]
    return [json.loads((FIXTURES / f"mastodon_tag_timeline_{n}.json").read_text())
            for n in (4, 5, 6, 7)]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI() as server:
        for page in recorded_pages():
            server.add_statuses(page)
        yield server


class Sleeps(list):  # type: ignore[type-arg]
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def setup(instances: list[str], db_url: str, extra: str = "", campaign: str = CAMPAIGN
          ) -> tuple[Settings, Database]:
    settings = parse_settings(campaign + f"""
[sources.mastodon]
enabled = true
instances = {json.dumps(instances)}
timeout = 2
{extra}
""")
    return settings, open_database(settings, url=db_url)


def run(settings: Settings, db: Database, *, now: dt.datetime = NOW,
        sleeps: Sleeps | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    hooks = ingest.Hooks(now=lambda: now, sleep=sleeps if sleeps is not None else Sleeps(),
                         lock_wait=0, env=env or {})
    return ingest.collect_source(db, settings, "mastodon", hooks)


def posts(db: Database) -> list[Post]:
    with db.session() as session:
        found = session.scalars(sa.select(Post).order_by(Post.created_at)).all()
        session.expunge_all()
    return list(found)


def accounts(db: Database) -> list[Account]:
    with db.session() as session:
        found = session.scalars(sa.select(Account)).all()
        session.expunge_all()
    return list(found)


def test_the_recorded_timeline_is_collected_forward_from_the_campaign_start(api, db_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup([api.url], db_url)
    record = run(settings, db)
    assert record.status == "ok", record.error
    assert (record.fetched, record.new) == (30, 30)
    first, *_ = api.seen("/api/v1/timelines/tag/")
    assert first.param("limit") == "40"
    start = settings.campaign.window_utc()[0]
    assert first.param("min_id") == str(int(start.timestamp() * 1000) << 16)
    stored = posts(db)
    uris = {s["uri"] for page in recorded_pages() for s in page}
    assert {p.platform_id for p in stored} == uris  # keyed by the status uri
    assert stored[-1].text.startswith("Toot number 29! #fgiz")  # HTML became plain text
    (account,) = accounts(db)
    assert account.handle == "@mastodonpy_test_2@localhost:3000"
    assert account.key == "http://localhost:3000/ap/users/117020566092212359"
    newest = max((s["id"] for page in recorded_pages() for s in page), key=int)
    assert load_state(db, "mastodon") == {f"{api.url}|{TAG}:min_id": newest}
    db.dispose()


def test_a_server_without_the_v2_instance_endpoint_is_asked_for_it_once(api, sqlite_url
                                                                       ) -> None:  # type: ignore[no-untyped-def]
    """Mastodon.py asks /api/v2/instance before every timeline page and forgets a refusal:
    on a server without it (this one answers 404) that doubled a run's requests."""
    settings, db = setup([api.url], sqlite_url)
    record = run(settings, db)
    assert (record.status, record.new) == ("ok", 30), record.error
    assert len(api.seen("/api/v1/timelines/tag/")) == 2  # the page, then the empty end
    assert len(api.seen("/api/v2/instance")) == 1
    db.dispose()


def test_a_later_run_pages_from_the_stored_newest_id(api, db_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup([api.url], db_url)
    run(settings, db)
    before = len(api.seen("/api/v1/timelines/tag/"))
    later = NOW + dt.timedelta(days=1)
    newer = copy.deepcopy(recorded_pages()[0][0])
    newer.update(id=mastodon_id(later - dt.timedelta(hours=1)),
                 uri=newer["uri"] + "-new", url=newer["url"] + "-new",
                 created_at=(later - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"))
    api.add_statuses([newer])
    record = run(settings, db, now=later)
    assert record.status == "ok" and record.new == 1
    request = api.seen("/api/v1/timelines/tag/")[before]
    stored_newest = max((s["id"] for page in recorded_pages() for s in page), key=int)
    # It starts before the stored newest id (late federation), never from the start.
    assert int(request.param("min_id")) <= int(stored_newest)
    overlap = (int(stored_newest) >> 16) - (int(request.param("min_id")) >> 16)
    assert overlap <= OVERLAP.total_seconds() * 1000
    db.dispose()


def test_the_same_post_seen_through_two_instances_is_one_post_and_one_account(
        api, db_url) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as other:
        for page in recorded_pages():
            remote = copy.deepcopy(page)
            for status in remote:  # the other instance's local ids, and the remote acct
                status["id"] = str(int(status["id"]) + 12345)
                status["account"]["id"] = "999"
                status["account"]["acct"] = "mastodonpy_test_2@localhost:3000"
            other.add_statuses(remote)
        settings, db = setup([api.url, other.url], db_url)
        record = run(settings, db)
    assert record.status == "ok"
    assert record.fetched == 60 and record.new == 30
    assert len(posts(db)) == 30
    assert len(accounts(db)) == 1
    db.dispose()


def test_counts_from_the_home_instance_win_over_a_remote_view(sqlite_url) -> None:
    created = NOW - dt.timedelta(hours=2)
    with FakeAPI() as home, FakeAPI() as remote:
        person = mastodon_account("lib", home.url)
        status = mastodon_status(mastodon_id(created), home.url, 1,
                                 f"<p>Our Peer Assist <a href='x'>#<span>{TAG}</span></a></p>",
                                 [TAG], person, created, favourites=12)
        home.add_statuses([status])
        seen_remotely = copy.deepcopy(status)
        seen_remotely.update(id=mastodon_id(created, 7), favourites_count=2)
        seen_remotely["account"]["acct"] = f"lib@{home.url.split('//')[1]}"
        remote.add_statuses([seen_remotely])
        settings, db = setup([home.url, remote.url], sqlite_url)
        run(settings, db)
    (post,) = posts(db)
    assert post.likes == 12
    db.dispose()


def test_rate_limit_429_waits_for_the_reset_then_continues(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup([api.url], sqlite_url)
    api.fail("/api/v1/timelines/tag/", "429", reset_in=40)
    sleeps = Sleeps()
    record = run(settings, db, sleeps=sleeps)
    assert record.status == "ok" and record.new == 30
    assert 39 <= sum(sleeps) <= 43
    db.dispose()


def test_rate_limit_headers_are_honoured_before_the_limit_is_hit(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup([api.url], sqlite_url)
    api.mastodon_remaining = 2  # the next answer says 1 request left
    sleeps = Sleeps()
    record = run(settings, db, sleeps=sleeps)
    assert record.status == "ok"
    assert 295 <= sum(sleeps) <= 305  # waited for X-RateLimit-Reset (5 minutes away)
    db.dispose()


@pytest.mark.parametrize("fault", [500, 503, "malformed", "html", "truncated"])
def test_faults_are_retried(api, sqlite_url, fault) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup([api.url], sqlite_url)
    api.fail("/api/v1/timelines/tag/", fault)
    record = run(settings, db)
    assert record.status == "ok", record.error
    assert record.new == 30
    db.dispose()


def test_an_instance_that_is_down_makes_the_run_partial_and_the_others_are_collected(
        api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as broken:
        broken.fail("/api/v1/timelines/tag/", 503, times=20)
        broken_url = broken.url
        settings, db = setup([broken_url, api.url], sqlite_url, "max_retries = 1")
        record = run(settings, db)
    assert record.status == "partial"
    assert broken_url in record.error and "503" in record.error
    assert record.new == 30
    assert "window" not in record.details  # a partial run covers nothing for `runs --gaps`
    db.dispose()


def test_a_refused_token_names_what_to_change(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    api.mastodon_token = "the-right-token-0123456789abcdef"
    settings, db = setup([api.url], sqlite_url, 'access_token_env = "MASTO_TOKEN"')
    secret = "a-wrong-token-0123456789abcdefXYZ"
    record = run(settings, db, env={"MASTO_TOKEN": secret})
    assert record.status == "failed"
    assert "401" in record.error and secret not in record.error
    good = run(settings, db, env={"MASTO_TOKEN": api.mastodon_token})
    assert good.status == "ok"
    assert api.seen("/api/v1/")[-1].headers["authorization"] == f"Bearer {api.mastodon_token}"
    db.dispose()


def test_the_older_mastodon_3_payload_maps_too(sqlite_url) -> None:
    (status,) = json.loads((FIXTURES / "mastodon_tag_timeline_3.json").read_text())
    posts_, accounts_ = from_statuses([status])
    (post,) = posts_
    assert post.text == "#hoot (hashtag toot)"
    assert post.hashtags == ("hoot",)
    assert post.platform_id == status["uri"] and post.url == status["url"]
    assert accounts_[0].handle == "@mastodonpy_test@localhost"
    # no account uri before 4.2: the actor uri its /@name profile url stands for, so the
    # same person through a newer server (which sends the uri) is one account
    assert accounts_[0].key == "http://localhost/users/mastodonpy_test"


def test_html_becomes_readable_text() -> None:
    html = ('<p>Our first <a href="https://nhs.social/tags/KNOWvember" class="mention hashtag" '
            'rel="tag">#<span>KNOWvember</span></a> Peer Assist with <span class="h-card">'
            '<a href="https://nhs.social/@lib" class="u-url mention">@<span>lib</span></a>'
            '</span> &amp; friends</p><p>Second<br>line: <a href="https://example.org/a/b">'
            '<span class="invisible">https://</span><span class="">example.org/a/b</span>'
            '</a></p>')
    assert html_to_text(html) == ("Our first #KNOWvember Peer Assist with @lib & friends\n\n"
                                  "Second\nline: https://example.org/a/b")


# -- replies whose parent came in an earlier run --------------------------------------------


def _toot(server: FakeAPI, number: int, created: dt.datetime, *, tags: list[str] | None = None,
          reply_to: str | None = None) -> dict:  # type: ignore[type-arg]
    person = mastodon_account("lib", server.url)
    status = mastodon_status(mastodon_id(created, number), server.url, number,
                             f"<p>Toot {number} #{TAG}</p>", [TAG] if tags is None else tags,
                             person, created)
    if reply_to is not None:
        status["in_reply_to_id"] = reply_to
    return status


def _referenced(db: Database) -> dict[str, tuple[str, str | None]]:
    return {p.platform_id: (p.kind, p.referenced_id) for p in posts(db)}


def test_a_reply_to_a_post_from_an_earlier_run_is_linked_by_asking_for_its_parent(
        db_url) -> None:  # type: ignore[no-untyped-def]
    first = NOW - dt.timedelta(hours=20)
    with FakeAPI() as server:
        parent = _toot(server, 1, first)
        # The next run starts after the parent (OVERLAP before this one).
        newer = _toot(server, 3, first + dt.timedelta(hours=12))
        server.add_statuses([parent, newer])
        settings, db = setup([server.url], db_url)
        assert run(settings, db).new == 2
        later = NOW + dt.timedelta(hours=2)
        reply = _toot(server, 2, later - dt.timedelta(hours=1), reply_to=parent["id"])
        server.add_statuses([reply])
        record = run(settings, db, now=later)
        asked = server.seen("/api/v1/statuses/")
    assert record.status == "ok" and record.new == 1
    assert [seen.path for seen in asked] == [f"/api/v1/statuses/{parent['id']}"]
    assert _referenced(db)[reply["uri"]] == ("reply", parent["uri"])
    db.dispose()


def test_a_parent_seen_in_the_same_run_is_not_asked_for(sqlite_url) -> None:
    with FakeAPI() as server:
        parent = _toot(server, 1, NOW - dt.timedelta(hours=5))
        reply = _toot(server, 2, NOW - dt.timedelta(hours=4), reply_to=parent["id"])
        server.add_statuses([parent, reply])
        settings, db = setup([server.url], sqlite_url)
        record = run(settings, db)
        assert server.seen("/api/v1/statuses/") == []
    assert record.new == 2
    assert _referenced(db)[reply["uri"]] == ("reply", parent["uri"])
    db.dispose()


def test_a_parent_that_is_gone_leaves_the_reply_unlinked_and_the_run_ok(sqlite_url) -> None:
    with FakeAPI() as server:
        reply = _toot(server, 2, NOW - dt.timedelta(hours=4), reply_to="424242")
        server.add_statuses([reply])
        settings, db = setup([server.url], sqlite_url)
        record = run(settings, db)
        assert len(server.seen("/api/v1/statuses/")) == 1
    assert record.status == "ok" and record.new == 1
    assert record.requests >= 2  # the timeline page, and the look-up
    assert _referenced(db)[reply["uri"]] == ("reply", None)
    db.dispose()


def test_parent_look_ups_are_bounded_per_run(sqlite_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from collectors import mastodon

    monkeypatch.setattr(mastodon, "PARENT_LOOKUPS", 2)
    with FakeAPI() as server:
        replies = [_toot(server, n, NOW - dt.timedelta(hours=4, minutes=n), reply_to=str(n))
                   for n in range(1, 6)]
        server.add_statuses(replies)
        settings, db = setup([server.url], sqlite_url)
        record = run(settings, db)
        assert len(server.seen("/api/v1/statuses/")) == 2
    assert record.status == "ok" and record.new == 5
    assert record.details.get("replies_unlinked") == 3
    db.dispose()


def test_a_parent_look_up_that_keeps_failing_does_not_fail_the_run(sqlite_url) -> None:
    with FakeAPI() as server:
        reply = _toot(server, 2, NOW - dt.timedelta(hours=4), reply_to="77")
        server.add_statuses([reply])
        server.fail("/api/v1/statuses/", 503, times=100)
        settings, db = setup([server.url], sqlite_url, extra="max_retries = 1")
        record = run(settings, db)
    assert record.status in ("ok", "partial") and record.new == 1
    assert _referenced(db)[reply["uri"]] == ("reply", None)
    db.dispose()


def test_a_token_saved_with_a_windows_line_end_is_used_without_it(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """A secrets file saved on Windows leaves "\r" on every value: the header became
    'Bearer TOKEN\r', which requests refuses before anything is sent."""
    api.mastodon_token = "the-right-token-0123456789abcdef"
    settings, db = setup([api.url], sqlite_url, 'access_token_env = "MASTO_TOKEN"')
    record = run(settings, db, env={"MASTO_TOKEN": api.mastodon_token + "\r\n"})
    assert record.status == "ok", record.error
    assert api.seen("/api/v1/")[-1].headers["authorization"] == f"Bearer {api.mastodon_token}"
    db.dispose()

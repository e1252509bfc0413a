"""The tenth session's trial of collecting from Mastodon: toots that reach an instance late,
hashtags nobody has used yet, and a proxy's rate limit. Each test is a defect the trial found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember.db import open_database
from tests.conftest import stored_posts as stored
from tests.fakeapi import FakeAPI, Seen, _Answer, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial_fediverse import NOW, Sleeps, mastodon_settings, run

REMOTE = "https://small.nhs.example"


def _toot(number: int, created: dt.datetime, home: str) -> dict[str, object]:
    person = mastodon_account("kmlead", REMOTE, acct="kmlead@small.nhs.example")
    return mastodon_status(mastodon_id(created, number), home, number,
                           "<p>Our first Peer Assist #KNOWvember</p>", ["KNOWvember"],
                           person, created)


def test_a_toot_that_federated_an_hour_late_is_collected(tmp_path: Path) -> None:
    """A remote toot gets an id from its creation time, not from when it arrived: a small
    instance's post delivered an hour late (its queue backed up, or the instance was down)
    has an id older than the newest one a run had already stored, and the next run, paging
    forward from 15 minutes before that id, never saw it."""
    with FakeAPI() as api:
        api.add_statuses([_toot(1, NOW - dt.timedelta(minutes=5), api.url)])
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        assert run(db, settings, "mastodon").new == 1
        late = _toot(2, NOW - dt.timedelta(hours=1), api.url)  # arrives after the run
        api.add_statuses([late])
        again = run(db, settings, "mastodon", now=NOW + dt.timedelta(minutes=30))
    assert again.status == "ok", again.error
    assert again.new == 1 and late["uri"] in stored(db)
    db.dispose()


def test_a_hashtag_with_no_posts_is_asked_once_a_run(tmp_path: Path) -> None:
    """A campaign hashtag no one on an instance has used yet (a new year's tag early in the
    month, a variant) was asked twice every run, from the campaign start and then for the
    newest page, because an empty answer tells neither whether the instance mints snowflake
    ids: every 30-minute run spent double the requests on it. Later runs ask once, and
    still find the first post when it comes."""
    with FakeAPI() as api:
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        assert run(db, settings, "mastodon").status == "ok"
        first = len(api.seen("/api/v1/timelines/tag/"))
        assert run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=1)).new == 0
        second = len(api.seen("/api/v1/timelines/tag/")) - first
        toot = _toot(3, NOW + dt.timedelta(hours=1, minutes=10), api.url)
        old = _toot(4, dt.datetime(2026, 10, 20, tzinfo=dt.UTC), api.url)  # before the start
        api.add_statuses([toot, old])
        found = run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=2))
        asked = len(api.seen("/api/v1/timelines/tag/"))
        later = run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=3))
        last = len(api.seen("/api/v1/timelines/tag/")) - asked
    assert (first, second) == (2, 1)
    assert found.status == "ok" and found.new == 1 and set(stored(db)) == {toot["uri"]}
    assert later.new == 0 and last <= 2  # forward from the stored post again
    db.dispose()


def test_a_hashtag_that_gets_only_an_old_post_is_still_asked_once(tmp_path: Path) -> None:
    """A post from before the campaign start appearing under a hashtag that had none (a
    late-federated October toot) is no campaign post: the next runs ask once each still."""
    with FakeAPI() as api:
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        run(db, settings, "mastodon")
        api.add_statuses([_toot(5, dt.datetime(2026, 10, 20, tzinfo=dt.UTC), api.url)])
        assert run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=1)).new == 0
        asked = len(api.seen("/api/v1/timelines/tag/"))
        assert run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=2)).new == 0
        last = len(api.seen("/api/v1/timelines/tag/")) - asked
    assert last == 1 and stored(db) == {}
    db.dispose()


class ProxyRateLimited(FakeAPI):
    """An instance behind a proxy (nginx's limit_req, Cloudflare) that answers 429 with only
    `Retry-After`, no `X-RateLimit-*` headers, the first `times` timeline requests."""

    def __init__(self, retry_after: str, times: int = 1) -> None:
        super().__init__()
        self.retry_after, self.times = retry_after, times

    def _route(self, seen: Seen) -> _Answer:
        if seen.path.startswith("/api/v1/timelines/tag/") and self.times > 0:
            self.times -= 1
            return _Answer(429, b"<html><body>429 Too Many Requests</body></html>",
                           {"Retry-After": self.retry_after}, "text/html")
        return super()._route(seen)


def test_a_429_with_only_retry_after_waits_as_long_as_it_asks(tmp_path: Path) -> None:
    """Mastodon.py reads only `X-RateLimit-Reset`, so a proxy's 429 saying `Retry-After:
    90` was retried after 2, 4, 8... seconds, each refused again, until the run gave the
    instance up as failed."""
    with ProxyRateLimited("90") as api:
        api.add_statuses([_toot(6, NOW - dt.timedelta(hours=2), api.url)])
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        sleeps = Sleeps()
        record = run(db, settings, "mastodon", sleeps=sleeps)
    assert record.status == "ok", record.error
    assert record.new == 1 and 89 <= sum(sleeps) <= 92
    db.dispose()


def test_a_429_asking_for_longer_than_max_wait_leaves_the_run_to_the_next(
        tmp_path: Path) -> None:
    """`Retry-After: 7200` is a run to finish later (partial, exit 4), not a failure."""
    with ProxyRateLimited("7200", times=10) as api:
        api.add_statuses([_toot(7, NOW - dt.timedelta(hours=2), api.url)])
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        sleeps = Sleeps()
        record = run(db, settings, "mastodon", sleeps=sleeps)
    assert record.status == "partial" and sum(sleeps) == 0
    assert "next run continues" in (record.error or "")
    db.dispose()


def test_an_instance_listed_twice_is_asked_once(tmp_path: Path) -> None:
    """`instances = ["https://nhs.social/", "https://nhs.social"]` (or a profile link beside
    its instance) asked every hashtag twice against the instance's rate limit."""
    with FakeAPI() as api:
        api.add_statuses([_toot(8, NOW - dt.timedelta(hours=2), api.url)])
        settings = mastodon_settings([api.url, f"{api.url}/", f"{api.url}/@kmlead"])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon")
        asked = len(api.seen("/api/v1/timelines/tag/"))
        db.dispose()
        profile, base = f"{api.url}/@kmlead", api.url
    assert record.status == "ok" and (record.new, record.fetched) == (1, 1)
    assert asked == 2  # the page, then the empty end
    warnings = record.details.get("warnings") or []
    assert f"{base} is listed twice in [sources.mastodon] instances: asked once" in warnings
    assert f"{profile} is on {base}, listed already in [sources.mastodon] instances: " \
           "asked once" in warnings

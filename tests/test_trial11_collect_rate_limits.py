"""A 429 whose reset time has already passed is waited out with the backoff, on every
platform: it was retried at once, refused again, and the run gave up within a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.retry import RetryPolicy, TransientError
from tests import test_collect_bluesky as bluesky
from tests import test_collect_mastodon as mastodon
from tests import test_collect_x as x
from tests.fakeapi import FakeAPI, Seen, _Answer, _dump


def test_a_wait_already_over_is_the_backoff_and_one_still_ahead_is_kept() -> None:
    slept: list[float] = []
    policy = RetryPolicy(sleep=slept.append)
    failures = [TransientError("rate limit", retry_after=0.0, rate_limited=True),
                TransientError("rate limit", retry_after=0.4, rate_limited=True),
                TransientError("rate limit", retry_after=3.0, rate_limited=True)]

    def call() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    assert policy.call(call, "search") == "done"
    assert sum(slept) == 2 + 4 + 3  # backoff, backoff, then the 3 s the server asked


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky"])
def test_a_429_with_a_reset_in_the_past_backs_off_and_the_run_completes(
        tmp_path: Path, platform: str) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    with FakeAPI() as api:
        if platform == "x":
            api.load_fixtures()
            settings, db = x.setup(api, url)
            path = "/2/tweets/search"
        elif platform == "mastodon":
            for page in mastodon.recorded_pages():
                api.add_statuses(page)
            settings, db = mastodon.setup([api.url], url)
            path = "/api/v1/timelines/tag/"
        else:
            api.add_bluesky(bluesky.recorded())
            api.add_bluesky(bluesky.know_posts(5))
            settings, db = bluesky.setup(api, url)
            path = "/xrpc/app.bsky.feed.searchPosts"
        api.fail(path, "429", reset_in=-30, times=3)
        sleeps = x.Sleeps()
        if platform == "x":
            record = x.run(settings, db, x.hooks(sleeps))
        else:
            module = mastodon if platform == "mastodon" else bluesky
            record = module.run(settings, db, sleeps=sleeps)
        db.dispose()
    assert record.status == "ok", record.error
    assert sum(sleeps) >= 2 + 4 + 8  # not three requests in a row, each refused


class DailyLimited(FakeAPI):
    """X's answer once the app's requests per 24 hours are used up: the 15-minute window
    still has requests left; the day's resets in five hours."""

    def _route(self, seen: Seen) -> _Answer:
        if seen.path.startswith("/2/tweets/search"):
            now = int(self.clock())
            return _Answer(429, _dump({"title": "Too Many Requests", "status": 429,
                                       "detail": "Too Many Requests"}), {
                "x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                "x-rate-limit-reset": str(now + 900),
                "x-app-limit-24hour-limit": "10000", "x-app-limit-24hour-remaining": "0",
                "x-app-limit-24hour-reset": str(now + 5 * 3600)})
        return super()._route(seen)


def test_x_s_limit_per_24_hours_leaves_the_run_to_after_its_reset(tmp_path: Path) -> None:
    with DailyLimited() as api:
        api.load_fixtures()
        settings, db = x.setup(api, f"sqlite:///{tmp_path / 'k.db'}")
        sleeps = x.Sleeps()
        record = x.run(settings, db, x.hooks(sleeps))
        asked = len(api.seen("/2/tweets/search"))
        db.dispose()
    assert record.status == "partial"  # the next run goes on (exit 4), not a failure
    assert "limit of requests per 24 hours is used up" in (record.error or "")
    assert "asks to wait 5h00m" in (record.error or "")
    assert asked == 1 and sum(sleeps) == 0  # not asked 6 times in a row

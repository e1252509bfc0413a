"""A 429 whose reset time has already passed is waited out with the backoff, on every
platform: it was retried at once, refused again, and the run gave up within a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.retry import RetryPolicy, TransientError
from tests import test_collect_bluesky as bluesky
from tests import test_collect_mastodon as mastodon
from tests import test_collect_x as x
from tests.fakeapi import FakeAPI


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

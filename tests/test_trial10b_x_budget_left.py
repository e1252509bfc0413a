"""A monthly read budget with fewer posts left than X's smallest request (10): every run of
the rest of the month was partial saying "0 read this run, 8 left this month", which read
as a bug (why stop with 8 left?) to a coordinator watching the cron mails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.fakeapi import FakeAPI, x_id, x_tweet, x_user
from tests.test_collect_x import hooks, run, setup
from tests.test_trial10b_x_quiet_week import CAMPAIGN

NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _tweets(api: FakeAPI, at: dt.datetime, count: int) -> None:
    for number in range(count):
        created = at - dt.timedelta(minutes=number + 1)
        tid = x_id(created, number)
        api.tweets[tid] = x_tweet(tid, f"Coffee trial {number} #KNOWvember26", "1000", created)


def test_a_budget_left_below_one_request_says_why_the_run_stops(tmp_path: Path) -> None:
    with FakeAPI() as api:
        api.users["1000"] = x_user("1000", "NUHLibrary")
        _tweets(api, NOW, 10)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}",
                             extra="monthly_read_budget = 18", campaign=CAMPAIGN)
        first = run(settings, db, hooks(now=NOW))
        assert (first.status, first.posts_read) == ("ok", 10), first.error
        later = NOW + dt.timedelta(minutes=30)
        _tweets(api, later, 3)
        second = run(settings, db, hooks(now=later))
        db.dispose()
    assert second.status == "partial"
    assert "8 left this month" in second.error
    assert "X's smallest request reads up to 10 posts, more than the 8 left" in second.error

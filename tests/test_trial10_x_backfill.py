"""The tenth session's trial of X collection: a coordinator whose first run was on recent
search, told that the campaign before 7 days ago is out of reach "(import an archive, or use
endpoint = "all" with full-archive access)", switches to `endpoint = "all"`. Every run after
the switch began at the newest stored post, so the early campaign was never read, while each
run said "ok" and `runs --gaps` kept showing the hole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember import ingest
from tests.conftest import stored_posts as stored
from tests.fakeapi import x_id, x_page, x_tweet, x_user
from tests.test_collect_x import KNOW_CAMPAIGN, NOW, hooks, run, setup
from tests.test_trial9_x_collect import strict

__all__ = ["strict"]


def campaign_tweets(api, count: int, every: dt.timedelta) -> list[str]:  # type: ignore[no-untyped-def]
    """`count` #KNOWvember tweets, one each `every` back from NOW, newest first."""
    users = [x_user("101", "UHLLibraries", bio="Library and Knowledge Service")]
    tweets = []
    for i in range(count):
        created = NOW - dt.timedelta(minutes=5) - i * every
        tweets.append(x_tweet(x_id(created, i), f"Peer Assist {i} 🎉 café #KNOWvember",
                              "101", created))
    api.add_x_page(x_page(tweets, users))
    return [t["id"] for t in tweets]


def test_switching_to_full_archive_reads_the_campaign_recent_search_could_not(
        strict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = campaign_tweets(strict, 120, dt.timedelta(hours=4))  # 20 days, from 3 September
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings, db = setup(strict, url, campaign=KNOW_CAMPAIGN)
    first = run(settings, db)
    assert first.status == "ok", first.error
    recent = len(stored(db))
    assert recent < len(ids)
    assert any("out of its reach" in w for w in first.details["warnings"])
    db.dispose()

    settings, db = setup(strict, url, 'endpoint = "all"', campaign=KNOW_CAMPAIGN)
    later = hooks(now=NOW + dt.timedelta(minutes=30))
    (estimate,) = ingest.estimate(db, settings, ["x"], later)
    assert estimate.status == "ok", estimate.error
    assert estimate.details["estimated_posts"] == len(ids) - recent, estimate.details
    record = run(settings, db, later)
    assert (record.status, record.new) == ("ok", len(ids) - recent), record.error
    assert set(stored(db)) == set(ids)
    again = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=60)))
    assert (again.status, again.fetched, again.requests) == ("ok", 0, 1), again.error
    db.dispose()


def test_the_early_campaign_read_in_parts_is_read_once(strict, tmp_path: Path
                                                       ) -> None:  # type: ignore[no-untyped-def]
    """Stopped by max_posts_per_run, the reading below goes on where it stopped: no post is
    read (billed) twice."""
    ids = campaign_tweets(strict, 150, dt.timedelta(hours=3))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings, db = setup(strict, url, campaign=KNOW_CAMPAIGN)
    assert run(settings, db).status == "ok"
    billed = len(stored(db))
    db.dispose()
    settings, db = setup(strict, url, 'endpoint = "all"\nmax_posts_per_run = 40',
                         campaign=KNOW_CAMPAIGN)
    for minutes in range(1, 10):
        record = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=minutes)))
        assert record.status in ("ok", "partial"), record.error
        billed += record.posts_read
        if record.status == "ok":
            break
    assert record.status == "ok"
    assert set(stored(db)) == set(ids)
    assert billed == len(ids)
    db.dispose()


def test_a_campaign_collected_on_full_archive_from_the_start_is_not_read_again(
        strict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = campaign_tweets(strict, 60, dt.timedelta(hours=6))
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", 'endpoint = "all"',
                         campaign=KNOW_CAMPAIGN)
    assert run(settings, db).status == "ok"
    assert set(stored(db)) == set(ids)
    again = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=5)))
    assert (again.status, again.fetched, again.requests) == ("ok", 0, 1), again.error
    db.dispose()

"""`collect --refresh-counts`: X posts read again by id, to take their counts now.

A run reads only tweets newer than the last one stored (X bills every read), so the likes and
reposts a live collection stores are those of about half an hour after posting: a month
collected every 30 minutes ended with X engagement near nothing in the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember import ingest
from knowvember.models import CollectorState
from tests.conftest import stored_posts as stored
from tests.fakeapi import FakeAPI, x_id, x_page, x_tweet, x_user
from tests.test_collect_x import KNOW_CAMPAIGN, NOW, hooks, run, setup

USERS = [x_user("101", "UHLLibraries", bio="Library and Knowledge Service")]


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI() as server:
        yield server


def _tweets(count: int, likes: int = 0) -> list[dict[str, object]]:
    return [x_tweet(x_id(NOW - dt.timedelta(minutes=5 + i * 10), i),
                    f"Peer Assist {i} #KNOWvember", "101",
                    NOW - dt.timedelta(minutes=5 + i * 10), likes=likes)
            for i in range(count)]


def _refresh(h: ingest.Hooks) -> ingest.Hooks:
    return dataclasses.replace(h, refresh_counts=True)


def _likes(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {pid: post.likes for pid, post in stored(db).items()}


def test_a_refresh_reads_every_stored_post_again_and_takes_its_counts_now(
        api: FakeAPI, tmp_path: Path) -> None:
    api.add_x_page(x_page(_tweets(250), USERS))
    settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    assert run(settings, db).new == 250
    assert set(_likes(db).values()) == {0}
    api.add_x_page(x_page(_tweets(250, likes=7), USERS))  # a week later: liked since
    searches = len(api.seen("/2/tweets/search"))

    record = run(settings, db, _refresh(hooks(now=NOW + dt.timedelta(days=7))))
    assert (record.status, record.error) == ("ok", None)
    assert (record.new, record.updated, record.posts_read) == (0, 250, 250)
    assert record.requests == 3  # 100 ids a request
    assert record.estimated_cost == 250 * settings.sources.x.price_per_read
    assert set(_likes(db).values()) == {7}
    assert len(api.seen("/2/tweets/search")) == searches  # no search, no coverage claimed
    assert "window" not in record.details
    with db.begin() as conn:
        after = conn.execute(sa.select(CollectorState.value).where(
            CollectorState.key == "refresh:after")).scalar()
    assert after is None  # done: the next refresh reads everything again
    db.dispose()


def test_a_refresh_stopped_by_the_budget_goes_on_where_it_stopped(
        api: FakeAPI, tmp_path: Path) -> None:
    api.add_x_page(x_page(_tweets(150), USERS))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings, db = setup(api, url, campaign=KNOW_CAMPAIGN)
    assert run(settings, db).new == 150
    api.add_x_page(x_page(_tweets(150, likes=3), USERS))
    db.dispose()

    settings, db = setup(api, url, "max_posts_per_run = 120", campaign=KNOW_CAMPAIGN)
    first = run(settings, db, _refresh(hooks(now=NOW + dt.timedelta(days=7))))
    assert first.status == "partial" and first.posts_read == 120, first.error
    assert "max_posts_per_run" in first.error
    second = run(settings, db, _refresh(hooks(now=NOW + dt.timedelta(days=7, minutes=5))))
    assert (second.status, second.posts_read) == ("ok", 30), second.error
    assert set(_likes(db).values()) == {3}  # every post read once, none twice
    db.dispose()


def test_a_post_x_no_longer_has_is_counted_and_kept(api: FakeAPI, tmp_path: Path) -> None:
    tweets = _tweets(5)
    api.add_x_page(x_page(tweets, USERS))
    settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    assert run(settings, db).new == 5
    del api.tweets[str(tweets[0]["id"])]  # deleted since
    record = run(settings, db, _refresh(hooks(now=NOW + dt.timedelta(days=1))))
    assert record.status == "ok", record.error
    assert record.details["api_errors"] == 1 and record.posts_read == 4
    assert str(tweets[0]["id"]) in stored(db)
    db.dispose()


def test_the_cli_refreshes_x_only_and_estimates_it(cli, campaign_dir: Path, api: FakeAPI,  # type: ignore[no-untyped-def]
                                                   monkeypatch) -> None:
    from tests.fakeapi import X_TOKEN

    now = dt.datetime.now(dt.UTC)
    tweets = [x_tweet(x_id(now - dt.timedelta(hours=1 + i), i), f"Peer Assist {i} #KNOWvember",
                      "101", now - dt.timedelta(hours=1 + i)) for i in range(30)]
    api.add_x_page(x_page(tweets, USERS))
    (campaign_dir / "campaign.toml").write_text(
        KNOW_CAMPAIGN
        .replace("start = 2021-09-01", f"start = {now - dt.timedelta(days=3):%Y-%m-%d}")
        .replace("end = 2021-09-30", f"end = {now + dt.timedelta(days=3):%Y-%m-%d}")
        + f'\n[sources.x]\nenabled = true\napi_base = "{api.url}"\n', encoding="utf-8")
    monkeypatch.setenv("KNOWVEMBER_X_BEARER_TOKEN", X_TOKEN)
    assert cli("collect", "--source", "x").exit_code == 0

    wrong = cli("collect", "--source", "mastodon", "--refresh-counts")
    assert wrong.exit_code == 2
    assert "--refresh-counts reads X posts again" in " ".join(wrong.stderr.split())
    estimate = cli("collect", "--refresh-counts", "--dry-run", "--format", "json")
    assert estimate.exit_code == 0, estimate.stderr
    shown = json.loads(estimate.stdout)
    (record,) = shown if isinstance(shown, list) else shown["runs"]
    assert record["source"] == "x" and record["details"]["estimated_posts"] == 30

    api.add_x_page(x_page([{**t, "public_metrics": {**t["public_metrics"], "like_count": 4}}
                           for t in tweets], USERS))
    refreshed = cli("collect", "--refresh-counts", "--format", "json")
    assert refreshed.exit_code == 0, refreshed.stderr
    shown = json.loads(refreshed.stdout)
    (record,) = shown if isinstance(shown, list) else shown["runs"]
    assert (record["status"], record["updated"], record["new"]) == ("ok", 30, 0)

"""Collection run against services that misbehave the way real ones do: empty pages that
still carry a pagination token, killed runs, dry runs after a stopped run."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from knowvember import ingest
from tests import test_collect_bluesky as bsky
from tests.fakeapi import X_TOKEN, FakeAPI, Seen, _Answer, _dump, x_id, x_page, x_tweet, x_user
from tests.reliability_support import live_config, scalar, spawn
from tests.test_collect_x import KNOW_CAMPAIGN, hooks, know_api, run, setup, stored


class EmptyPageX(FakeAPI):
    """X search answering one page with no tweets but a next_token, as full-archive (and
    sometimes recent) search does: `meta` then holds only result_count and next_token."""

    def __init__(self, empty_at: str) -> None:
        super().__init__()
        self.empty_at = empty_at  # the next_token whose page comes back empty

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        token = seen.param("next_token")
        if token == self.empty_at:
            return _Answer(200, _dump({"meta": {"result_count": 0, "next_token": "n100"}}),
                           self._x_headers())
        answer = super()._x_search(seen, full_archive)
        if token is None:  # the first page leads to the empty one
            answer.body = answer.body.replace(b'"next_token": "n100"',
                                              f'"next_token": "{self.empty_at}"'.encode())
        return answer


@dataclass
class OddBody:
    prefix: str
    body: bytes
    after: int  # matching requests answered normally first


class OddBodies(FakeAPI):
    """Answers 200 with a body of the test's choosing, once, after `after` good answers."""

    def __init__(self) -> None:
        super().__init__()
        self.odd: list[OddBody] = []

    def answer_once(self, prefix: str, body: bytes, after: int = 0) -> None:
        self.odd.append(OddBody(prefix, body, after))

    def _route(self, seen: Seen) -> _Answer:
        for odd in self.odd:
            if seen.path.startswith(odd.prefix):
                if odd.after > 0:
                    odd.after -= 1
                    break
                self.odd.remove(odd)
                kind = "text/html" if odd.body.startswith(b"<") else "application/json"
                return _Answer(200, odd.body, {}, kind)
        return super()._route(seen)


@pytest.fixture
def odd_api() -> Iterator[OddBodies]:
    with OddBodies() as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trial.db'}"


@pytest.fixture
def empty_page_api() -> Iterator[EmptyPageX]:
    with EmptyPageX(empty_at="e1") as server:
        yield server


def test_x_page_with_no_tweets_but_a_next_token_is_followed(empty_page_api, sqlite_url
                                                             ) -> None:  # type: ignore[no-untyped-def]
    api = empty_page_api
    ids = know_api(api, 150)
    settings, db = setup(api, sqlite_url, campaign=KNOW_CAMPAIGN)
    record = run(settings, db)
    assert record.status == "ok", record.error
    assert set(stored(db)) == set(ids)
    assert [r.param("next_token") for r in api.seen("/2/tweets/search")] == [None, "e1", "n100"]
    db.dispose()


def test_dry_run_after_a_stopped_run_counts_only_what_is_left_to_read(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as api:
        know_api(api, 250)
        settings, db = setup(api, sqlite_url, "max_posts_per_run = 150", campaign=KNOW_CAMPAIGN)
        first = run(settings, db)
        assert (first.status, first.posts_read) == ("partial", 150)
        [estimate] = ingest.estimate(db, settings, ["x"], hooks())
        assert estimate.details["estimated_posts"] == 100  # not the 150 already stored again
        second = run(settings, db)
        assert second.posts_read == 100
        db.dispose()


def test_posts_a_killed_run_read_still_count_against_the_monthly_budget(tmp_path: Path
                                                                      ) -> None:
    now = dt.datetime.now(dt.UTC)
    with FakeAPI() as api:
        tweets = [x_tweet(x_id(now - dt.timedelta(minutes=5 + i), i), f"Post {i} #KNOWvember",
                          "42", now - dt.timedelta(minutes=5 + i)) for i in range(300)]
        api.add_x_page(x_page(tweets, [x_user("42", "UHLLibraries")]))
        api.fail("/2/tweets/search", "slow", delay=30, after=2)  # the third page hangs
        url = f"sqlite:///{tmp_path / 'kv.db'}"
        (tmp_path / "campaign.toml").write_text(live_config(api.url, db_url=url))
        process = spawn("collect", cwd=tmp_path, env={"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN})
        try:
            deadline = time.monotonic() + 30
            while len(api.seen("/2/tweets/search")) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the second page is stored by now
        finally:
            process.kill()
            process.communicate()
        assert scalar(url, "SELECT count(*) FROM posts") == 200
        assert scalar(url, "SELECT sum(posts_read) FROM runs") == 200


def test_x_page_of_errors_only_mid_pass_is_retried_not_taken_as_the_end(odd_api, sqlite_url
                                                                        ) -> None:  # type: ignore[no-untyped-def]
    ids = know_api(odd_api, 250)
    odd_api.answer_once("/2/tweets/search", b'{"errors": [{"message": "Service busy"}]}',
                        after=1)
    settings, db = setup(odd_api, sqlite_url, "max_retries = 2", campaign=KNOW_CAMPAIGN)
    record = run(settings, db)
    assert record.status == "ok", record.error
    assert set(stored(db)) == set(ids)  # pages 2 and 3 were not skipped for good
    db.dispose()


def test_bluesky_page_without_posts_mid_pass_is_retried_not_taken_as_the_end(
        odd_api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    posts = bsky.know_posts(230)
    odd_api.add_bluesky(posts)
    odd_api.answer_once("/xrpc/app.bsky.feed.searchPosts", b'{"error": "InternalError"}',
                        after=2)  # #kitm, then the first #knowvember page
    settings, db = bsky.setup(odd_api, sqlite_url, "max_retries = 2")
    record = bsky.run(settings, db)
    assert record.status == "ok", record.error
    assert {p["uri"] for p in posts} <= set(stored(db))  # the later pages were read
    db.dispose()


@pytest.mark.parametrize("body", [b"<html><body>502 Bad Gateway</body></html>", b"{}"])
def test_bluesky_login_answered_by_a_proxy_page_is_retried(odd_api, sqlite_url, body
                                                           ) -> None:  # type: ignore[no-untyped-def]
    odd_api.add_bluesky(bsky.know_posts(3))
    odd_api.answer_once("/xrpc/com.atproto.server.createSession", body)
    settings, db = bsky.setup(odd_api, sqlite_url, "max_retries = 2")
    sleeps = bsky.Sleeps()
    record = bsky.run(settings, db, sleeps=sleeps)
    assert record.status == "ok", record.error
    assert len(odd_api.seen("/xrpc/com.atproto.server.createSession")) == 2 and sleeps
    db.dispose()


def test_x_rate_limit_resetting_after_max_wait_on_the_first_page_ends_partial(sqlite_url
                                                                             ) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as api:
        know_api(api, 20)
        api.fail("/2/tweets/search", "429", reset_in=3000)
        settings, db = setup(api, sqlite_url, "max_wait_seconds = 60", campaign=KNOW_CAMPAIGN)
        first = run(settings, db)
        # "a rate limit that resets later ends the run as partial, to be continued"
        assert first.status == "partial", first.error
        assert "longer than max_wait_seconds" in first.error
        assert ingest.CollectOutcome(runs=[first]).exit_code == 4
        second = run(settings, db)
        assert (second.status, second.fetched) == ("ok", 20)
        db.dispose()


def test_bluesky_login_rate_limit_resetting_after_max_wait_ends_partial(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as api:
        api.add_bluesky(bsky.know_posts(3))
        api.fail("/xrpc/com.atproto.server.createSession", "429", reset_in=3000)
        settings, db = bsky.setup(api, sqlite_url, "max_wait_seconds = 60")
        record = bsky.run(settings, db)
        assert record.status == "partial", record.error
        assert "longer than max_wait_seconds" in record.error
        db.dispose()


def test_runs_source_twitter_lists_the_x_runs(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    from knowvember.config import load_settings
    from knowvember.db import open_database
    from knowvember.runs import RunRecord, finish_run, start_run

    write_config()
    db = open_database(load_settings())
    finish_run(db, start_run(db, RunRecord(source="x")), "ok")
    db.dispose()
    result = cli("runs", "--source", "twitter", "--format", "json")
    assert [r["source"] for r in json.loads(result.stdout)] == ["x"]


def test_max_posts_per_run_below_what_one_x_request_reads_is_refused() -> None:
    from knowvember.config import parse_settings
    from knowvember.errors import KnowvemberError

    with pytest.raises((KnowvemberError, ValueError)):
        parse_settings(KNOW_CAMPAIGN + "\n[sources.x]\nmax_posts_per_run = 5\n")

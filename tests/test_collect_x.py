"""Collecting from X: the recorded search pages served locally, faults injected there."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from collectors.x import MAX_QUERY, build_queries
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.hashtags import CampaignTags
from knowvember.models import Post
from knowvember.store import load_state
from tests.conftest import stored_posts as stored
from tests.fakeapi import FIXTURES, X_TOKEN, FakeAPI, x_id, x_page, x_tweet, x_user

NOW = dt.datetime(2021, 9, 23, 12, 0, tzinfo=dt.UTC)  # the day after the fixture was recorded
FIXTURE_CAMPAIGN = """
[campaign]
name = "Fixture campaign"
slug = "fixtures"
hashtags = ["Brexit"]
start = 2021-09-01
end = 2021-09-30
timezone = "UTC"
"""
ENV = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN}


def fixture_page() -> dict:  # type: ignore[type-arg]
    return json.loads((FIXTURES / "twitter_search_recent_2.json").read_text())


def brexit_tweets() -> list[dict]:  # type: ignore[type-arg]
    """The fixture tweets a `#brexit` search matches (hashtag entity or text)."""
    return [t for t in fixture_page()["data"]
            if "brexit" in {h["tag"].lower() for h in t.get("entities", {}).get("hashtags", [])}
            or "#brexit" in t["text"].lower()]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For behaviour that does not depend on the database (faults, messages)."""
    return f"sqlite:///{tmp_path / 'x.db'}"


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI().load_fixtures() as server:
        yield server


def setup(api: FakeAPI, db_url: str, extra: str = "", campaign: str = FIXTURE_CAMPAIGN
          ) -> tuple[Settings, Database]:
    timeout = "" if "timeout" in extra else "timeout = 2"
    settings = parse_settings(campaign + f"""
[sources.x]
enabled = true
api_base = "{api.url}"
{timeout}
{extra}
""")
    return settings, open_database(settings, url=db_url)


class Sleeps(list):  # type: ignore[type-arg]
    """Records every sleep instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def hooks(sleeps: Sleeps | None = None, now: dt.datetime = NOW, **env: str) -> ingest.Hooks:
    return ingest.Hooks(now=lambda: now, sleep=sleeps if sleeps is not None else Sleeps(),
                        lock_wait=0, env={**ENV, **env})


def run(settings: Settings, db: Database, h: ingest.Hooks | None = None):  # type: ignore[no-untyped-def]
    return ingest.collect_source(db, settings, "x", h or hooks())


def test_first_run_stores_campaign_posts_and_the_originals_they_repost(api, db_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, db_url)
    record = run(settings, db)
    matching = brexit_tweets()
    assert record.status == "ok", record.error
    assert record.fetched == len(matching) and record.skipped == 0
    assert record.requests == 1
    assert record.posts_read == len(matching)
    assert record.estimated_cost == pytest.approx(len(matching) * 0.005)
    posts = stored(db)
    assert {t["id"] for t in matching} <= set(posts)
    # Retweets read "RT @author: <the original's full text>" and keep the original's tags.
    page = fixture_page()
    originals = {t["id"]: t for t in page["includes"]["tweets"]}
    retweet = next(t for t in matching if t.get("referenced_tweets", [{}])[0].get("type")
                   == "retweeted" and t["referenced_tweets"][0]["id"] in originals)
    original = originals[retweet["referenced_tweets"][0]["id"]]
    assert posts[retweet["id"]].kind == "repost"
    assert posts[retweet["id"]].text.endswith(original["text"])
    assert posts[retweet["id"]].text.startswith("RT @")
    # ...and the retweeted original is stored too, as a campaign post in its own right.
    assert original["id"] in posts
    # The raw payload is the tweet exactly as received.
    assert orjson.loads(posts[retweet["id"]].raw) == retweet
    db.dispose()


def test_the_request_asks_for_what_the_records_need(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    run(settings, db)
    (request,) = api.seen("/2/tweets/search/recent")
    assert request.param("query") == "#brexit"
    assert request.param("max_results") == "100"
    assert set(request.param("expansions").split(",")) >= {"author_id", "referenced_tweets.id"}
    assert set(request.param("user.fields").split(",")) >= {
        "username", "name", "description", "public_metrics"}
    assert set(request.param("tweet.fields").split(",")) >= {
        "created_at", "public_metrics", "entities", "lang", "conversation_id",
        "referenced_tweets", "note_tweet"}
    assert request.headers["authorization"] == f"Bearer {X_TOKEN}"
    db.dispose()


def test_first_run_warns_and_records_when_the_campaign_is_beyond_recent_search(api, db_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, db_url)
    record = run(settings, db)
    (request,) = api.seen("/2/tweets/search/recent")
    reach = NOW - dt.timedelta(days=7) + dt.timedelta(minutes=2)
    assert request.param("start_time") == reach.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert any("7 days" in w for w in record.details["warnings"])
    # The run covered only the last 7 days: `runs --gaps` shows the rest as missing.
    assert record.details["window"]["from"].startswith(reach.strftime("%Y-%m-%dT%H:%M"))
    gaps = ingest.coverage_gaps(db, settings, now=NOW)
    assert [(g.source, g.start) for g in gaps] == [("x", settings.campaign.window_utc()[0])]
    assert gaps[0].end == reach
    db.dispose()


def test_next_run_starts_from_the_newest_stored_post_and_makes_one_request(api, db_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, db_url)
    run(settings, db)
    newest = max((t["id"] for t in brexit_tweets()), key=int)
    assert load_state(db, "x")[next(k for k in load_state(db, "x") if k.endswith("since_id"))
                               ] == newest
    again = run(settings, db, hooks(now=NOW + dt.timedelta(hours=1)))
    assert (again.status, again.requests, again.fetched, again.new) == ("ok", 1, 0, 0)
    assert api.seen("/2/tweets/search/recent")[-1].param("since_id") == newest
    assert "start_time" not in api.seen("/2/tweets/search/recent")[-1].params
    db.dispose()


def test_full_archive_endpoint_uses_search_all_from_the_campaign_start(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    campaign = FIXTURE_CAMPAIGN.replace('"Brexit"', '"POIUYTREWQ"').replace(
        "2021-09-01", "2021-05-01").replace("2021-09-30", "2021-05-31")
    settings, db = setup(api, sqlite_url, 'endpoint = "all"', campaign=campaign)
    record = run(settings, db)
    assert record.status == "ok"
    (request,) = api.seen("/2/tweets/search/all")
    assert request.param("start_time") == "2021-05-01T00:00:00Z"
    assert request.param("end_time") == "2021-06-08T00:00:00Z"  # end + 7 grace days
    assert "1394735776701816833" in stored(db)
    assert "warnings" not in record.details
    db.dispose()


# -- paging and budgets, on a campaign of generated KNOWvember tweets ----------------------

KNOW_CAMPAIGN = FIXTURE_CAMPAIGN.replace('"Brexit"', '"KNOWvember"')


def know_api(api: FakeAPI, count: int) -> list[str]:
    """`count` #KNOWvember tweets over the two days before NOW, newest first."""
    users = [x_user("101", "UHLLibraries", bio="Library and Knowledge Service")]
    tweets = []
    for i in range(count):
        created = NOW - dt.timedelta(minutes=5 + i * 10)
        tweets.append(x_tweet(x_id(created, i), f"Peer Assist {i} #KNOWvember", "101", created))
    api.add_x_page(x_page(tweets, users))
    return [t["id"] for t in tweets]


def test_pages_are_followed_with_next_token(api, db_url) -> None:  # type: ignore[no-untyped-def]
    ids = know_api(api, 250)
    settings, db = setup(api, db_url, campaign=KNOW_CAMPAIGN)
    record = run(settings, db)
    assert (record.status, record.fetched, record.new, record.requests) == ("ok", 250, 250, 3)
    tokens = [r.param("next_token") for r in api.seen("/2/tweets/search")]
    assert tokens == [None, "n100", "n200"]
    assert set(stored(db)) == set(ids)
    db.dispose()


def test_a_long_post_is_collected_whole_with_its_hashtag_past_280_characters(  # type: ignore[no-untyped-def]
        api, sqlite_url) -> None:
    """X cuts `text` at 280 characters and sends the rest only in note_tweet."""
    whole = "Knowledge cafe on digital literacy: " + "what we learned, " * 16 + "#KNOWvember"
    created = NOW - dt.timedelta(minutes=5)
    tweet = x_tweet(x_id(created, 1), whole[:279] + "…", "101", created)
    tweet["entities"] = {}
    tweet["note_tweet"] = {"text": whole, "entities": {"hashtags": [
        {"start": whole.index("#"), "end": len(whole), "tag": "KNOWvember"}]}}
    api.add_x_page(x_page([tweet], [x_user("101", "UHLLibraries")]))
    settings, db = setup(api, sqlite_url, campaign=KNOW_CAMPAIGN)
    record = run(settings, db)
    assert (record.status, record.new, record.skipped) == ("ok", 1, 0)
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(Post.text)).scalar_one() == whole
    db.dispose()


def test_max_posts_per_run_stops_before_going_over_and_the_next_run_continues(api, db_url) -> None:  # type: ignore[no-untyped-def]
    ids = know_api(api, 95)
    settings, db = setup(api, db_url, "max_posts_per_run = 40", campaign=KNOW_CAMPAIGN)
    first = run(settings, db)
    assert first.status == "partial" and "max_posts_per_run" in (first.error or "")
    assert first.posts_read == 40 and first.fetched == 40
    assert [r.param("max_results") for r in api.seen("/2/tweets/search")] == ["40"]
    reads = [first.posts_read]
    for hour in range(1, 5):
        record = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=hour)))
        reads.append(record.posts_read)
        assert record.posts_read <= 40
        if record.status == "ok":
            break
    assert record.status == "ok"
    assert sum(reads) == 95  # every post read exactly once: nothing paid for twice
    assert set(stored(db)) == set(ids)
    db.dispose()


def test_monthly_budget_stops_before_going_over(api, db_url) -> None:  # type: ignore[no-untyped-def]
    know_api(api, 60)
    settings, db = setup(api, db_url, "monthly_read_budget = 35\nprice_per_read = 0.01",
                         campaign=KNOW_CAMPAIGN)
    first = run(settings, db)
    assert (first.status, first.posts_read) == ("partial", 35)
    assert first.estimated_cost == pytest.approx(0.35)
    assert "monthly read budget" in (first.error or "")
    second = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=5)))
    assert (second.status, second.requests, second.posts_read) == ("partial", 0, 0)
    assert len(api.seen("/2/tweets/search")) == 1
    db.dispose()


def test_dry_run_counts_instead_of_reading(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    know_api(api, 120)
    settings, db = setup(api, sqlite_url, "max_posts_per_run = 50", campaign=KNOW_CAMPAIGN)
    (estimate,) = ingest.estimate(db, settings, ["x"], hooks())
    assert estimate.details["estimated_posts"] == 120
    assert estimate.details["would_read"] == 50
    assert estimate.estimated_cost == pytest.approx(50 * 0.005)
    assert api.seen("/2/tweets/search") == []
    assert len(api.seen("/2/tweets/counts/recent")) == 1
    assert stored(db) == {}
    db.dispose()


def test_long_hashtag_lists_are_split_under_the_query_limit() -> None:
    tags = CampaignTags([f"KNOWvemberTrust{n:03d}Library" for n in range(60)])
    queries = build_queries(tags)
    assert len(queries) > 1
    assert all(len(q) <= MAX_QUERY for q in queries)
    terms = {t for q in queries for t in q.split(" OR ")}
    assert terms == {f"#{t}" for t in tags.query_terms()}


# -- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["429", 500, 503, "malformed", "html", "truncated", "slow"])
def test_a_fault_is_retried_and_the_run_completes(api, sqlite_url, fault) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url, "timeout = 0.3" if fault == "slow" else "")
    api.fail("/2/tweets/search", fault, reset_in=30, delay=1.0)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps))
    assert record.status == "ok", record.error
    assert record.requests == 2
    assert record.fetched == len(brexit_tweets())
    assert sleeps, "the retry waited (through the injected sleep)"
    if fault == "429":
        assert 29 <= sum(sleeps) <= 33  # until x-rate-limit-reset, plus a second
    db.dispose()


def test_persistent_server_errors_fail_the_run_with_a_clear_message(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url, "max_retries = 2")
    api.fail("/2/tweets/search", 503, times=5)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps))
    assert record.status == "failed"
    assert "X server error (503)" in record.error and "gave up after 2 retries" in record.error
    assert sleeps == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # 2 s then 4 s backoff, in 1 s steps
    assert stored(db) == {}
    db.dispose()


def test_rate_limit_on_the_second_page_keeps_the_first_and_resumes_where_it_stopped(
        api, db_url) -> None:  # type: ignore[no-untyped-def]
    ids = know_api(api, 150)
    settings, db = setup(api, db_url, "max_wait_seconds = 60", campaign=KNOW_CAMPAIGN)
    api.fail("/2/tweets/search", "429", reset_in=900, after=1)
    sleeps = Sleeps()
    first = run(settings, db, hooks(sleeps))
    assert first.status == "partial"
    assert "longer than max_wait_seconds" in first.error
    assert first.fetched == 100 and len(stored(db)) == 100
    assert sleeps == []  # it did not sit out 15 minutes
    second = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=20)))
    assert second.status == "ok"
    resumed = [r for r in api.seen("/2/tweets/search") if r.param("until_id")]
    assert resumed[0].param("until_id") == min(ids[:100], key=int)
    assert first.posts_read + second.posts_read == 150  # nothing read twice
    assert set(stored(db)) == set(ids)
    db.dispose()


def test_a_repeated_page_stops_paging_instead_of_looping(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    ids = know_api(api, 250)
    settings, db = setup(api, sqlite_url, campaign=KNOW_CAMPAIGN)
    api.fail("/2/tweets/search", "repeat", after=1)
    record = run(settings, db)
    assert record.status == "partial" and "same page twice" in record.error
    assert len(stored(db)) == 100
    again = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=1)))
    assert again.status == "ok"
    assert set(stored(db)) == set(ids)
    db.dispose()


def test_a_refused_token_fails_clearly_and_is_never_shown(api, sqlite_url, caplog) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    secret = "wrong-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    caplog.set_level(logging.DEBUG)
    record = run(settings, db, hooks(KNOWVEMBER_X_BEARER_TOKEN=secret))
    assert record.status == "failed"
    assert "401" in record.error and "KNOWVEMBER_X_BEARER_TOKEN" in record.error
    assert secret not in json.dumps(record.to_json())
    assert secret not in caplog.text  # tweepy logs request headers at debug level
    db.dispose()


def test_a_missing_token_is_a_failed_run_that_names_the_variable(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    h = hooks()
    h.env = {}
    record = run(settings, db, h)
    assert record.status == "failed" and "KNOWVEMBER_X_BEARER_TOKEN" in record.error
    assert api.requests == []
    db.dispose()


def test_recent_search_cannot_reach_a_campaign_that_ended_long_ago(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    record = run(settings, db, hooks(now=NOW + dt.timedelta(days=60)))
    assert record.status == "failed" and 'endpoint = "all"' in record.error
    assert api.requests == []
    db.dispose()


def test_before_the_campaign_starts_nothing_is_requested(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(api, sqlite_url)
    record = run(settings, db, hooks(now=dt.datetime(2021, 8, 1, tzinfo=dt.UTC)))
    assert (record.status, record.requests) == ("ok", 0)
    assert "starts" in record.details["warnings"][0]
    db.dispose()


def test_cost_and_reads_are_in_the_run_log(api, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from knowvember.runs import list_runs

    settings, db = setup(api, sqlite_url)
    record = run(settings, db)
    (logged,) = list_runs(db)
    assert logged.posts_read == record.posts_read > 0
    assert logged.estimated_cost == pytest.approx(record.estimated_cost)
    assert logged.to_json()["estimated_cost"] == round(record.estimated_cost, 4)
    db.dispose()

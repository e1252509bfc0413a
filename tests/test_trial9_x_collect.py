"""The ninth trial of X collection, as a new coordinator met it: the live collector against the
local fake X API v2 with the shapes X sends in the wild (a pagination token that loops)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.x_payload import snowflake_time
from knowvember import ingest
from knowvember.store import load_state
from tests.conftest import stored_posts as stored
from tests.fakeapi import (
    X_TOKEN,
    FakeAPI,
    Fault,
    Seen,
    _Answer,
    _dump,
    x_id,
    x_page,
    x_tweet,
    x_user,
)
from tests.test_collect_x import KNOW_CAMPAIGN, NOW, Sleeps, hooks, know_api, run, setup


class LoopingAPI(FakeAPI):
    """The fake X API, sending the second page's token again on the third page (n100 ->
    n200 -> n100) while `looping`: X has been seen to hand back a token already used."""

    looping = True

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        answer = super()._x_search(seen, full_archive)
        if not (self.looping and seen.param("next_token") == "n200"):
            return answer
        body = json.loads(answer.body)
        body["meta"]["next_token"] = "n100"
        return _Answer(answer.status, _dump(body), answer.headers)


@pytest.fixture
def looping() -> Iterator[LoopingAPI]:
    with LoopingAPI() as server:
        yield server


def test_a_looping_token_leaves_the_pass_unfinished_for_the_next_run(looping, tmp_path: Path
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    """A repeated next_token stopped the paging, but saved the pass as done: the next run
    began after the newest post, and the 150 posts below the loop were never read (the run
    after said "ok")."""
    ids = know_api(looping, 450)
    settings, db = setup(looping, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    first = run(settings, db)
    assert (first.status, first.fetched) == ("partial", 300)
    assert "repeated a pagination token" in (first.error or "")
    state = load_state(db, "x")
    assert any(k.endswith(":until_id") and v for k, v in state.items()), state
    looping.looping = False
    second = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=5)))
    assert (second.status, second.new) == ("ok", 150), second.error
    assert set(stored(db)) == set(ids)
    db.dispose()


class StrictAPI(FakeAPI):
    """The fake X API, refusing what X refuses: an id bound (`since_id`, `until_id`) with a
    time bound (`start_time`, `end_time`), and on recent search an id or time older than
    7 days before `now` (400, X's words)."""

    now = NOW

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        return self._refused(seen, full_archive) or super()._x_search(seen, full_archive)

    def _x_counts(self, seen: Seen) -> _Answer:
        return self._refused(seen, seen.path.endswith("/all")) or super()._x_counts(seen)

    def _refused(self, seen: Seen, full_archive: bool) -> _Answer | None:
        if any(seen.param(n) and dt.datetime.fromisoformat(seen.param(n) or "") > self.now
               for n in ("start_time", "end_time")):
            return _invalid("Invalid 'start_time'. 'start_time' must be a minimum of 10 "
                            "seconds prior to the request time.")
        ids = [n for n in ("since_id", "until_id") if seen.param(n)]
        times = [n for n in ("start_time", "end_time") if seen.param(n)]
        if ids and times:
            return _invalid("Invalid use of 'since_id' or 'until_id' in conjunction with "
                            "'start_time' or 'end_time'.")
        reach = self.now - dt.timedelta(days=7)
        for name in ids if not full_archive else ():
            if snowflake_time(seen.param(name) or "0") < reach:
                return _invalid(f"Invalid '{name}':'{seen.param(name)}'. '{name}' must be a "
                                f"tweet id created after {reach:%Y-%m-%dT%H:%MZ}.")
        return None


def _invalid(message: str) -> _Answer:
    return _Answer(400, _dump({"errors": [{"parameters": {}, "message": message}],
                               "title": "Invalid Request",
                               "detail": "One or more parameters to your request was invalid.",
                               "type": "https://api.twitter.com/2/problems/invalid-request"}))


@pytest.fixture
def strict() -> Iterator[StrictAPI]:
    with StrictAPI() as server:
        yield server


def test_a_pass_left_unfinished_by_the_first_run_goes_on_as_x_allows(strict, tmp_path: Path
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    """The first run stopped at max_posts_per_run; the next asked for `until_id` with the
    campaign's `start_time`, which X refuses (400), and so did every run after it."""
    ids = know_api(strict, 95)
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", "max_posts_per_run = 40",
                         campaign=KNOW_CAMPAIGN)
    assert run(settings, db).status == "partial"
    for minutes in range(1, 5):
        record = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=minutes)))
        assert record.status in ("ok", "partial"), record.error
        if record.status == "ok":
            break
    assert record.status == "ok", record.error
    assert set(stored(db)) == set(ids)
    (estimate,) = ingest.estimate(db, settings, ["x"], hooks())
    assert estimate.status == "ok", estimate.error
    db.dispose()


def test_a_run_after_the_collection_period_asks_as_x_allows(strict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """After the campaign and its grace days, a run bounds the search at the end: with the
    stored posts' `since_id` that was an `end_time` too, refused by X (400)."""
    know_api(strict, 30)
    campaign = (KNOW_CAMPAIGN.replace("end = 2021-09-30", "end = 2021-09-23")
                + "\n[schedule]\ngrace_days = 1\n")
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", campaign=campaign)
    assert run(settings, db).status == "ok"
    late = NOW + dt.timedelta(days=3)
    strict.now = late
    created = late - dt.timedelta(hours=1)
    strict.add_x_page(x_page([x_tweet(x_id(created), "Too late #KNOWvember", "101", created)],
                             [x_user("101", "UHLLibraries")]))
    record = run(settings, db, hooks(now=late))
    assert (record.status, record.new) == ("ok", 0), record.error
    (request,) = strict.seen("/2/tweets/search")[-1:]
    assert request.param("until_id") and not request.param("end_time")
    db.dispose()


def test_a_pass_left_unfinished_beyond_recent_search_is_closed_saying_so(strict, tmp_path: Path
                                                                        ) -> None:  # type: ignore[no-untyped-def]
    """The month's read budget stopped a pass; the next month's run was over a week later,
    and asking below that pass's `until_id` (older than 7 days) was refused on every run."""
    know_api(strict, 60)
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", "max_posts_per_run = 40",
                         campaign=KNOW_CAMPAIGN.replace("end = 2021-09-30", "end = 2021-10-30"))
    assert run(settings, db).status == "partial"
    later = NOW + dt.timedelta(days=8)
    strict.now = later
    record = run(settings, db, hooks(now=later))
    assert record.status == "ok", record.error
    assert any("cannot be finished" in w for w in record.details["warnings"]), record.details
    assert not any(k.endswith(":until_id") and v for k, v in load_state(db, "x").items())
    db.dispose()


def test_a_dry_run_the_counts_endpoint_refuses_says_what_it_needed(strict, tmp_path: Path
                                                                  ) -> None:  # type: ignore[no-untyped-def]
    """A 403 for the counts endpoint said only "X refused the count (403 Forbidden)": a
    coordinator could not tell a dry run's need from a run's."""
    know_api(strict, 20)
    strict.fail("/2/tweets/counts", 403)
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    (estimate,) = ingest.estimate(db, settings, ["x"], hooks())
    assert estimate.status == "failed"
    assert "403" in estimate.error and "counts endpoint" in estimate.error, estimate.error
    assert "max_posts_per_run" in estimate.error
    db.dispose()


def test_a_run_that_read_nothing_costs_nothing_in_its_line() -> None:
    """"est. -" before " - <error>" read as a stray dash; a run that read nothing says $0.00."""
    from knowvember.cli.collect import summary_line
    from knowvember.runs import RunRecord

    record = RunRecord(source="x", started_at=NOW, status="failed", error="set $TOKEN")
    assert summary_line(record).endswith("0 posts billed, est. $0.00 - set $TOKEN")
    # and one request is "1 request", not "1 requests"
    one = RunRecord(source="mastodon", started_at=NOW, status="ok", requests=1)
    assert summary_line(one).endswith(", 1 request")
    assert summary_line(RunRecord(source="mastodon", started_at=NOW, status="ok",
                                  requests=2)).endswith(", 2 requests")


class PartialAPI(FakeAPI):
    """The fake X API, sending what X sends beside partial data: an `errors` array for a
    retweeted original since deleted and an author since suspended (left out of
    `includes.users`)."""

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        answer = super()._x_search(seen, full_archive)
        body = json.loads(answer.body)
        if "data" not in body:
            return answer
        body["includes"]["users"] = [u for u in body["includes"]["users"] if u["id"] != "666"]
        body["errors"] = [
            {"value": "666", "detail": "Could not find user with author_id: [666].",
             "title": "Not Found Error", "resource_type": "user", "parameter": "author_id",
             "resource_id": "666",
             "type": "https://api.twitter.com/2/problems/resource-not-found"},
            {"value": "999", "detail": "Could not find tweet with referenced_tweets.id: [999].",
             "title": "Not Found Error", "resource_type": "tweet",
             "parameter": "referenced_tweets.id", "resource_id": "999",
             "type": "https://api.twitter.com/2/problems/resource-not-found"}]
        return _Answer(answer.status, _dump(body), answer.headers)


def test_what_x_could_not_return_beside_a_page_is_counted_and_the_page_stored(tmp_path: Path
                                                                            ) -> None:
    """The errors beside partial data were counted by an import of the same pages
    (`details.api_errors`) but not by the live run, which said nothing of them."""
    with PartialAPI() as api:
        made = [NOW - dt.timedelta(minutes=m) for m in (10, 20, 30)]
        api.add_x_page(x_page([
            x_tweet(x_id(made[0], 1), "Peer assist #KNOWvember", "101", made[0]),
            x_tweet(x_id(made[1], 2), "From an account since suspended #KNOWvember", "666",
                    made[1]),
            x_tweet(x_id(made[2], 3), "RT @gone: a deleted original #KNOWvember", "101",
                    made[2], refs=[("retweeted", "999")]),
        ], [x_user("101", "UHLLibraries"), x_user("666", "suspended")]))
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
        record = run(settings, db)
    assert (record.status, record.new) == ("ok", 3), record.error
    assert record.details["api_errors"] == 2
    posts = stored(db)
    assert posts[x_id(made[2], 3)].kind == "repost"
    assert posts[x_id(made[1], 2)].url.endswith(f"/i/web/status/{x_id(made[1], 2)}")
    db.dispose()


def test_a_dry_run_before_the_campaign_starts_asks_nothing(strict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A dry run in October asked X to count from a start_time still to come, which X
    refuses (400): the dry run failed, where a run says there is nothing to collect yet."""
    campaign = KNOW_CAMPAIGN.replace("start = 2021-09-01", "start = 2021-11-01").replace(
        "end = 2021-09-30", "end = 2021-11-30")
    settings, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", campaign=campaign)
    (estimate,) = ingest.estimate(db, settings, ["x"], hooks())
    assert (estimate.status, estimate.requests) == ("ok", 0), estimate.error
    assert estimate.details["estimated_posts"] == 0
    assert "nothing to collect from X yet" in estimate.details["warnings"][0]
    assert strict.requests == []
    db.dispose()


class PerSecondAPI(FakeAPI):
    """The fake X API, answering a fault "per-second" as X does a request over full-archive
    search's one a second: 429 with requests still left in the 15-minute window."""

    def _fault_answer(self, fault: Fault, path: str) -> _Answer:
        if fault.kind != "per-second":
            return super()._fault_answer(fault, path)
        return _Answer(429, _dump({"title": "Too Many Requests", "status": 429,
                                   "detail": "Too Many Requests"}), {
            "x-rate-limit-limit": "300", "x-rate-limit-remaining": "297",
            "x-rate-limit-reset": str(int(self.clock()) + 600)})


def test_full_archive_search_asks_once_a_second_and_a_per_second_429_is_short(
        tmp_path: Path) -> None:
    """Full-archive search allows one request a second: pages were asked for back to back,
    and the 429 that brings (requests still left in the window) was waited out until the
    15-minute window's reset, ten minutes a page."""
    with PerSecondAPI().load_fixtures() as api:
        know_api(api, 250)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", 'endpoint = "all"',
                             campaign=KNOW_CAMPAIGN)
        api.fail("/2/tweets/search", "per-second", after=1)
        sleeps = Sleeps()
        record = run(settings, db, hooks(sleeps))
    assert (record.status, record.new) == ("ok", 250), record.error
    assert sum(sleeps) < 10, sleeps  # not the 600 s to the window's reset
    paced = [s for s in sleeps if 0.5 < s <= 1.05]
    assert len(paced) >= 2, sleeps  # a second between the pages
    db.dispose()


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_token_kept_in_its_quotes_by_an_env_file_is_used_without_them(
        tmp_path: Path, quote: str) -> None:
    """docker --env-file (and a crontab line) keep the quotes of TOKEN="AAAA...": X refused
    the token (401) and the coordinator was told to check a token that was right."""
    with FakeAPI() as api:
        know_api(api, 5)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
        record = run(settings, db, hooks(KNOWVEMBER_X_BEARER_TOKEN=f"{quote}{X_TOKEN}{quote}\r"))
        assert (record.status, record.new, record.error) == ("ok", 5, None)
        assert api.seen("/2/tweets/search")[0].headers["authorization"] == f"Bearer {X_TOKEN}"
    db.dispose()


class MaintenanceAPI(FakeAPI):
    """The fake X API, answering a fault "maintenance" with a 503 that says how long."""

    def _fault_answer(self, fault: Fault, path: str) -> _Answer:
        if fault.kind != "maintenance":
            return super()._fault_answer(fault, path)
        return _Answer(503, _dump({"title": "Service Unavailable", "status": 503}),
                       {"Retry-After": "120"})


def test_a_503_that_says_how_long_is_waited_for_that_long(tmp_path: Path) -> None:
    with MaintenanceAPI() as api:
        know_api(api, 5)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
        api.fail("/2/tweets/search", "maintenance")
        sleeps = Sleeps()
        record = run(settings, db, hooks(sleeps))
    assert (record.status, record.new) == ("ok", 5), record.error
    assert sum(sleeps) == pytest.approx(120)
    db.dispose()

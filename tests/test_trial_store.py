"""What the store and the import runs keep when the same posts come again.

A TAGS sheet stores retweets, and replies whose ids Excel spoiled, without what they refer
to; a later twarc2 archive of the same posts must add the references (never replace one, never
lower a count). A killed run's record says what it stored. Reading in a child process records
the same run as reading in one. `runs --gaps` with only imports reports where no import reached.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import Database, open_database
from knowvember.models import Post
from knowvember.store import unchanged_posts
from tests.conftest import BASE_CONFIG, FIXTURES
from tests.fakeapi import x_id, x_page, x_tweet, x_user
from tests.test_import_files import TAGS_HEADER, tags_row

NOV = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)
# The real recorded page is of #Brexit posts in September 2021: a campaign for them.
BREXIT_CONFIG = BASE_CONFIG.replace(
    'hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember"]', 'hashtags = ["Brexit"]'
).replace("start = 2019-11-01", "start = 2021-09-01").replace("end = 2019-11-30",
                                                              "end = 2021-09-30")


def run_import(db: Database, fmt: str, path: Path, config: str = BASE_CONFIG,
               **options: object) -> ingest.RunRecord:
    (run,) = ingest.import_files(db, parse_settings(config), fmt, [path],
                                 ingest.Hooks(lock_wait=0), **options).runs  # type: ignore[arg-type]
    return run


def references(db: Database) -> dict[str, tuple[str, str | None]]:
    with db.begin() as conn:
        rows = conn.execute(sa.select(Post.platform_id, Post.kind, Post.referenced_id))
        return {r[0]: (r[1], r[2]) for r in rows}


def counts(db: Database) -> dict[str, tuple[int, int, int, int]]:
    with db.begin() as conn:
        rows = conn.execute(sa.select(Post.platform_id, Post.likes, Post.reposts,
                                      Post.replies, Post.quotes))
        return {r[0]: tuple(r[1:]) for r in rows}  # type: ignore[misc]


def jsonl(path: Path, *values: object) -> Path:
    path.write_bytes(b"".join(orjson.dumps(v) + b"\n" for v in values))
    return path


def write_tags(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, TAGS_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def excel_spoiled(tid: str) -> str:
    """An id as Excel shows it after a round trip: 15 significant digits, then zeros."""
    return tid[:15] + "0" * (len(tid) - 15)


def tags_sheet_of(page: dict[str, object], path: Path) -> Path:
    """The page's posts as a TAGS sheet writes them: v1.1 text, no counts, reply ids spoiled
    by Excel (so TAGS cannot say what a retweet or reply refers to), no quote links."""
    users = {u["id"]: u for u in page["includes"]["users"]}  # type: ignore[index]
    rows = []
    for tweet in page["data"]:  # type: ignore[attr-defined]
        created = dt.datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
        user = users[tweet["author_id"]]
        refs = {r["type"]: r["id"] for r in tweet.get("referenced_tweets") or ()}
        extra = {}
        if "replied_to" in refs:
            extra["in_reply_to_status_id_str"] = excel_spoiled(refs["replied_to"])
        rows.append(tags_row(tweet["id"], user["username"], tweet["text"],
                             created_at=created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                             time=created.strftime("%d/%m/%Y %H:%M:%S"),
                             from_user_id_str=user["id"], **extra))
    return write_tags(path, rows)


# -- 1. a reference given later --------------------------------------------------------------


def test_an_archive_after_a_tags_sheet_gives_the_real_posts_their_references(
        db: Database, tmp_path: Path) -> None:
    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text(encoding="utf-8"))
    archive = jsonl(tmp_path / "brexit.jsonl", page)
    sheet = tags_sheet_of(page, tmp_path / "TAGS - Archive.csv")

    run_import(db, "tags", sheet, BREXIT_CONFIG)
    before = references(db)
    assert any(kind == "repost" and ref is None for kind, ref in before.values())
    run_import(db, "twarc2", archive, BREXIT_CONFIG)
    after = references(db)

    alone = open_database(parse_settings(BREXIT_CONFIG), url=f"sqlite:///{tmp_path / 'a.db'}")
    try:
        run_import(alone, "twarc2", archive, BREXIT_CONFIG)
        expected = references(alone)
    finally:
        alone.dispose()
    ids = {t["id"] for t in page["data"]}
    assert {i: after[i] for i in ids} == {i: expected[i] for i in ids}
    assert sum(ref is not None for i, (_, ref) in after.items() if i in ids) > 80
    # A repeat of the archive finds nothing more to add, and is read through the fast path.
    again = run_import(db, "twarc2", archive, BREXIT_CONFIG)
    assert (again.new, again.updated) == (0, 0)


def test_a_stored_reference_is_never_replaced_nor_a_count_lowered(
        db: Database, tmp_path: Path) -> None:
    parent, other, reply = x_id(NOV, 1), x_id(NOV, 2), x_id(NOV, 3)
    users = [x_user("111", "UHLLibraries"), x_user("222", "KnowledgeNHS")]
    tweets = [x_tweet(parent, "Peer assist #KNOWvember19", "111", NOV),
              x_tweet(reply, "@UHLLibraries yes #KNOWvember19", "222", NOV,
                      refs=[("replied_to", parent)], likes=7)]
    run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl", x_page(tweets, users)))
    sheet = write_tags(tmp_path / "TAGS.csv", [
        tags_row(reply, "KnowledgeNHS", "@UHLLibraries yes #KNOWvember19",
                 in_reply_to_status_id_str=other)])
    run = run_import(db, "tags", sheet)
    assert (run.new, run.updated) == (0, 0)
    assert references(db)[reply] == ("reply", parent)
    assert counts(db)[reply] == (7, 0, 0, 0)


def test_a_later_archive_adds_a_kind_but_keeps_higher_counts(
        db: Database, tmp_path: Path) -> None:
    original, retweet = x_id(NOV, 10), x_id(NOV, 11)
    sheet = write_tags(tmp_path / "TAGS.csv", [
        tags_row(retweet, "KnowledgeNHS", "RT @UHLLibraries: Peer assist #KNOWvember19")])
    run_import(db, "tags", sheet)
    assert references(db)[retweet] == ("repost", None)
    with db.begin() as conn:  # fresher counts, say from a live collection
        conn.execute(sa.update(Post).where(Post.platform_id == retweet).values(reposts=9))
    rt = x_tweet(retweet, "RT @UHLLibraries: Peer assist #KNOWvember19", "222", NOV,
                 refs=[("retweeted", original)])
    rt["public_metrics"]["retweet_count"] = 3
    orig = x_tweet(original, "Peer assist #KNOWvember19", "111", NOV)
    page = x_page([rt], [x_user("111", "UHLLibraries"), x_user("222", "KnowledgeNHS")], [orig])
    run = run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl", page))
    assert run.updated == 1
    assert references(db)[retweet] == ("repost", original)
    assert counts(db)[retweet] == (0, 9, 0, 0)


def test_the_fast_path_maps_again_only_posts_that_may_gain_a_reference(
        db: Database, tmp_path: Path) -> None:
    original, plain = x_id(NOV, 20), x_id(NOV, 21)
    sheet = write_tags(tmp_path / "TAGS.csv", [
        tags_row(original, "KnowledgeNHS", "RT @UHLLibraries: Peer assist #KNOWvember19")])
    run_import(db, "tags", sheet)
    page = x_page([x_tweet(plain, "Peer assist #KNOWvember19", "111", NOV)],
                  [x_user("111", "UHLLibraries")])
    run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl", page))
    zero = (0, 0, 0, 0)
    with db.engine.connect() as conn:
        same = unchanged_posts(conn, "x", [(original, zero), (plain, zero)], archive=True)
    assert same == {plain}


# -- 2. a killed run's counts ----------------------------------------------------------------


def test_a_run_record_counts_what_its_committed_chunks_stored(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tweets = [x_tweet(x_id(NOV, n), f"Post {n} #KNOWvember19", "111", NOV) for n in range(30)]
    path = jsonl(tmp_path / "a.jsonl", x_page(tweets, [x_user("111", "UHLLibraries")]))
    monkeypatch.setattr(ingest, "PROGRESS_EVERY_CHUNKS", 1)
    seen: list[tuple[int, int]] = []

    def killed(db_: Database, record: ingest.RunRecord, status: str | None = None) -> None:
        with db_.begin() as conn:  # what the run log holds as the run ends, unfinished
            row = conn.execute(sa.text("SELECT fetched, new, status FROM runs WHERE id = :i"),
                               {"i": record.id}).one()
        seen.append((row[0], row[1]))
        assert row[2] == "running"
        raise SystemExit("killed")

    monkeypatch.setattr(ingest, "finish_run", killed)
    with pytest.raises(SystemExit):
        run_import(db, "twarc2", path, chunk_posts=10)
    assert seen == [(30, 30)]
    (run,) = ingest.list_runs(db)
    assert (run.status, run.fetched, run.new) == ("running", 30, 30)
    assert run.error == "the run did not finish (killed or still running)"


# -- 3. reading in a child process -----------------------------------------------------------


def edited_file(path: Path) -> Path:
    first, second = x_id(NOV, 30), x_id(NOV, 31)
    before = x_tweet(first, "Lunch and learn at 12 #KNOWvember19", "111", NOV, likes=1)
    after = copy.deepcopy(before)
    after.update(id=second, text="Lunch and learn at 1pm #KNOWvember19",
                 edit_history_tweet_ids=[first, second])
    other = x_tweet(x_id(NOV, 32), "Peer assist #KNOWvember19", "111", NOV)
    return jsonl(path, x_page([after, other, before], [x_user("111", "UHLLibraries")]))


@pytest.mark.parametrize("processes", ["1", "2", "3"])
def test_an_edited_tweet_is_counted_alike_read_here_or_beside(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: str) -> None:
    monkeypatch.setenv("KNOWVEMBER_IMPORT_PROCESSES", processes)
    run = run_import(db, "twarc2", edited_file(tmp_path / "edited.jsonl"))
    assert (run.status, run.fetched, run.new) == ("ok", 3, 2)
    assert run.details["superseded"] == 1


# -- 4. gaps after the imports ---------------------------------------------------------------


def test_gaps_after_a_csv_of_two_platforms_with_no_source_enabled(
        db: Database, tmp_path: Path) -> None:
    """Posts of 1-4 Nov imported, nothing enabled: posts after them may be missing, for each
    platform the file held (the run had no single platform, so it covered nothing)."""
    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,1190000000000000001,@UHLLibraries,2019-11-01T12:00:00Z,Day 1 #KNOWvember19\n"
        "mastodon,https://nhs.social/users/lib/statuses/2,@lib@nhs.social,2019-11-02T09:00:00Z,"
        "Day 2 #KNOWvember19\n"
        "x,1190000000000000004,@UHLLibraries,2019-11-04T12:00:00Z,Day 4 #KNOWvember19\n",
        encoding="utf-8")
    run = run_import(db, "csv", path)
    assert (run.status, run.new) == ("ok", 3)
    assert run.details["windows"] == {
        "mastodon": {"from": "2019-11-02T09:00:00Z", "to": "2019-11-02T09:00:00Z"},
        "x": {"from": "2019-11-01T12:00:00Z", "to": "2019-11-04T12:00:00Z"}}
    now = dt.datetime(2019, 11, 10, tzinfo=dt.UTC)
    gaps = [g.to_json() for g in ingest.coverage_gaps(db, parse_settings(BASE_CONFIG), now=now)]
    assert [(g["source"], g["from"], g["to"]) for g in gaps] == [
        ("x", "2019-11-01T00:00:00Z", "2019-11-01T12:00:00Z"),
        ("x", "2019-11-04T12:00:00Z", "2019-11-10T00:00:00Z"),
        ("mastodon", "2019-11-01T00:00:00Z", "2019-11-02T09:00:00Z"),
        ("mastodon", "2019-11-02T09:00:00Z", "2019-11-10T00:00:00Z"),
    ]


# -- the same, through a live collection -----------------------------------------------------


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    from tests.fakeapi import FakeAPI

    with FakeAPI().load_fixtures() as server:
        yield server


def test_a_collection_after_a_tags_sheet_gives_the_posts_their_references(
        api, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_collect_x import hooks, setup

    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text(encoding="utf-8"))
    settings, db = setup(api, db_url)
    try:
        (sheet_run,) = ingest.import_files(db, settings, "tags",
                                           [tags_sheet_of(page, tmp_path / "TAGS.csv")],
                                           ingest.Hooks(lock_wait=0)).runs
        assert sheet_run.status == "ok", sheet_run.error
        record = ingest.collect_source(db, settings, "x", hooks())
        assert record.status == "ok", record.error
        got = references(db)
        collected = [t for t in page["data"] if t["id"] in got]
        assert len(collected) > 50
        assert [t["id"] for t in collected
                if bool(t.get("referenced_tweets")) != (got[t["id"]][1] is not None)] == []
    finally:
        db.dispose()


def test_a_killed_collection_says_what_it_stored(
        api, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tests.test_collect_x import brexit_tweets, hooks, setup

    monkeypatch.setattr(ingest, "PROGRESS_EVERY_CHUNKS", 1)

    def killed(db_: Database, record: ingest.RunRecord, status: str | None = None) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(ingest, "finish_run", killed)
    settings, db = setup(api, db_url)
    try:
        with pytest.raises(SystemExit):
            ingest.collect_source(db, settings, "x", hooks())
        (run,) = ingest.list_runs(db)
        assert run.status == "running" and run.finished_at is None
        assert run.error == "the run did not finish (killed or still running)"
        # Every post stored (the originals the retweets copy too) is counted as new.
        assert (run.fetched, run.new) == (len(brexit_tweets()), len(references(db)))
    finally:
        db.dispose()

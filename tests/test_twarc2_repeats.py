"""twarc2 files: an original repeated in page after page's includes is mapped once unless its
counts grew, and one look-up of stored posts serves a batch of pages, within chunk_posts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from collectors import twarc2
from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from tests.conftest import BASE_CONFIG
from tests.fakeapi import x_id, x_page, x_tweet, x_user

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
USERS = [x_user("42", "UHLLibraries"), x_user("43", "LibTeam")]
ORIGINAL_ID = x_id(NOV, 1)


def original(likes: int = 0, reposts: int = 0) -> dict[str, object]:
    tweet = x_tweet(ORIGINAL_ID, "Our Peer Assist today #KNOWvember19", "42", NOV, likes=likes)
    tweet["public_metrics"]["retweet_count"] = reposts  # type: ignore[index]
    return tweet


def retweet_page(n: int, included: dict[str, object]) -> bytes:
    """A page whose one tweet retweets the original, which comes in its includes."""
    moment = NOV + dt.timedelta(minutes=n + 1)
    retweet = x_tweet(x_id(moment, 100 + n), "RT @UHLLibraries: Our Peer Assist today",
                      "43", moment, refs=[("retweeted", ORIGINAL_ID)])
    return orjson.dumps(x_page([retweet], USERS, included=[included]))


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def copies(path: Path, **options) -> list[tuple[int, int, bool]]:  # type: ignore[no-untyped-def]
    """(likes, reposts, context_only) of every record of the original, over all chunks."""
    return [(p.likes, p.reposts, p.context_only)
            for chunk in twarc2.read(path, **options) for p in chunk.posts
            if p.platform_id == ORIGINAL_ID]


def import_file(db_url: str, path: Path, **options):  # type: ignore[no-untyped-def]
    settings = parse_settings(BASE_CONFIG)
    db = open_database(settings, url=db_url)
    try:
        (run,) = ingest.import_files(db, settings, "twarc2", [path],
                                     ingest.Hooks(lock_wait=0), **options).runs
        with db.begin() as conn:
            counts = conn.execute(sa.text(
                "SELECT likes, reposts FROM posts WHERE platform_id = :id"),
                {"id": ORIGINAL_ID}).one()
            stored = int(conn.execute(sa.text("SELECT count(*) FROM posts")).scalar())
    finally:
        db.dispose()
    return run, tuple(counts), stored


def test_an_original_repeated_with_the_same_or_lower_counts_is_mapped_once(tmp_path) -> None:
    likes = [4, 4, 2, 4, 0]
    path = write(tmp_path / "a.jsonl", [retweet_page(n, original(likes=k))
                                        for n, k in enumerate(likes)])
    assert copies(path, chunk_posts=1) == [(4, 0, True)]  # five chunks, one record


def test_an_original_whose_counts_grew_is_mapped_again(tmp_path) -> None:
    likes = [1, 1, 5, 3, 5]
    path = write(tmp_path / "a.jsonl", [retweet_page(n, original(likes=k))
                                        for n, k in enumerate(likes)])
    assert copies(path, chunk_posts=1) == [(1, 0, True), (5, 0, True)]


@pytest.mark.parametrize(("first", "later"), [((5, 0), (1, 3)), ((0, 2), (1, 0))])
def test_a_count_grown_while_another_fell_is_mapped_again(tmp_path, first, later) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.jsonl", [retweet_page(0, original(*first)),
                                        retweet_page(1, original(*later))])
    assert copies(path, chunk_posts=1) == [(*first, True), (*later, True)]


@pytest.mark.parametrize("likes", [[1, 1, 5, 3, 5], [5, 1, 3]])
def test_an_import_keeps_the_highest_counts_of_a_repeated_original(db_url, tmp_path, likes) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.jsonl", [retweet_page(n, original(likes=k))
                                        for n, k in enumerate(likes)])
    run, counts, stored = import_file(db_url, path, chunk_posts=1)
    assert run.status == "ok"
    assert counts == (5, 0)
    assert stored == len(likes) + 1  # every retweet and the original once


def test_an_included_tweet_later_in_data_is_still_a_post_of_its_own(tmp_path) -> None:
    later = NOV + dt.timedelta(hours=1)
    quote = x_tweet(x_id(later, 7), "Worth reading #KNOWvember19", "43", later,
                    refs=[("quoted", ORIGINAL_ID)])
    path = write(tmp_path / "a.jsonl", [
        retweet_page(0, original(likes=2)),
        orjson.dumps(x_page([original(likes=2)], USERS)),
        orjson.dumps(x_page([quote, original(likes=2)], USERS, included=[original(likes=2)])),
    ])
    found = copies(path, chunk_posts=1)
    assert found[0] == (2, 0, True)
    assert found[1:] == [(2, 0, False), (2, 0, False)]


def test_an_original_first_included_then_in_data_is_counted_as_fetched(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.jsonl", [retweet_page(0, original(likes=2)),
                                        orjson.dumps(x_page([original(likes=2)], USERS))])
    run, counts, stored = import_file(db_url, path, chunk_posts=1)
    assert (run.status, run.fetched, run.new) == ("ok", 2, 2)
    assert counts == (2, 0) and stored == 2


def single_tweet_pages(count: int) -> list[bytes]:
    lines = []
    for n in range(count):
        moment = NOV + dt.timedelta(minutes=n)
        tweet = x_tweet(x_id(moment, n), f"Peer Assist {n} #KNOWvember19", "42", moment)
        lines.append(orjson.dumps(x_page([tweet], USERS)))
    return lines


def test_one_look_up_of_stored_posts_serves_a_batch_of_pages(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(twarc2, "PROBE_TWEETS", 10)
    path = write(tmp_path / "a.jsonl", single_tweet_pages(45))
    asked: list[list[str]] = []

    def known(items):  # type: ignore[no-untyped-def]
        ids = [tid for tid, _ in items]
        asked.append(ids)
        return set(ids[::2])  # every other one is stored already

    chunks = list(twarc2.read(path, known=known))
    assert [len(ids) for ids in asked] == [10, 10, 10, 10, 5]
    assert sum(c.unchanged for c in chunks) == 4 * 5 + 3
    posts = [p.platform_id for c in chunks for p in c.posts]
    assert len(posts) == 45 - 23
    assert not set(posts) & {tid for ids in asked for tid in ids[::2]}


def test_a_repeated_original_is_not_asked_about_again(tmp_path) -> None:
    path = write(tmp_path / "a.jsonl", [retweet_page(n, original(likes=1)) for n in range(3)])
    asked: list[list[str]] = []

    def known(items):  # type: ignore[no-untyped-def]
        asked.append([tid for tid, _ in items])
        return set()

    list(twarc2.read(path, chunk_posts=1, known=known))
    assert [ids.count(ORIGINAL_ID) for ids in asked] == [1, 0, 0]


@pytest.mark.parametrize(("per_page", "chunk_posts", "probe"), [
    (1, 4, 10), (1, 7, 3), (3, 10, 2_000), (5, 12, 4)])
def test_chunks_still_hold_about_chunk_posts(tmp_path, monkeypatch, per_page, chunk_posts,  # type: ignore[no-untyped-def]
                                             probe) -> None:
    monkeypatch.setattr(twarc2, "PROBE_TWEETS", probe)
    lines = []
    for n in range(20):
        moment = NOV + dt.timedelta(minutes=n)
        lines.append(orjson.dumps(x_page(
            [x_tweet(x_id(moment, i), f"#KNOWvember19 {n} {i}", "42", moment)
             for i in range(per_page)], USERS)))
    path = write(tmp_path / "a.jsonl", lines)
    chunks = list(twarc2.read(path, chunk_posts=chunk_posts, known=lambda items: set()))
    sizes = [len(c.posts) for c in chunks]
    assert sum(sizes) == 20 * per_page
    *full, last = sizes
    assert all(chunk_posts <= size < chunk_posts + per_page for size in full), sizes
    assert last <= chunk_posts
    positions = [c.position for c in chunks]
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size


def test_an_import_in_one_chunk_keeps_the_highest_counts_of_a_repeated_original(
        db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.jsonl", [retweet_page(n, original(likes=k))
                                        for n, k in enumerate([1, 5])])
    run, counts, _ = import_file(db_url, path)
    assert run.status == "ok"
    assert counts == (5, 0)

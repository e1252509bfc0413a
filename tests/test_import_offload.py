"""Imports read in a second process (`python -m collectors.offload`): the same posts, accounts
and run records as in one process, the same failures, no child left behind, and the database
URL handed over on stdin, never on the command line.

KNOWVEMBER_IMPORT_PROCESSES=2 sends every file, however small, through the child; =1 keeps
every file in this process.
"""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from collectors import offload, twarc2
from collectors.archive import formats
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import open_database
from knowvember.errors import DatabaseError, InputError
from knowvember.models import Account, Post, PostHashtag, PostTechnique, RawDictionary
from knowvember.payloads import TRAIN_MIN, Unpacker
from tests.conftest import BASE_CONFIG, fresh_pg_schema
from tests.fakeapi import FIXTURES, x_id, x_page, x_tweet, x_user
from tests.test_import_twarc2 import recorded_lines, write
from tests.test_twarc2_repeats import (
    ORIGINAL_ID,
    USERS,
    original,
    retweet_page,
    single_tweet_pages,
)

CONFIG = BASE_CONFIG.replace(
    'hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember"]',
    'hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember", "Brexit", "KITM", '
    '"fgiztsshwiaqqiztpmmjbtvmescsculuvmgjgopwoeidbcrixp"]')
NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
LATER = NOV + dt.timedelta(hours=2)
CAFE = x_tweet(x_id(NOV, 11), "Our Knowledge Cafe with @LibTeam #KNOWvember19", "42", NOV,
               likes=3)
CAFE["entities"]["mentions"] = [{"start": 20, "end": 28, "username": "LibTeam"}]
PARENT = x_tweet(x_id(NOV, 12), "An After Action Review today #KNOWvember19", "43", NOV)
# A reply without a campaign hashtag: stored only once the post it answers is.
REPLY = x_tweet(x_id(LATER, 13), "Thanks, a great Peer Assist", "42", LATER,
                refs=[("replied_to", PARENT["id"])])


# -- the world ----------------------------------------------------------------------------


@pytest.fixture
def config(campaign_dir: Path) -> Settings:
    """The campaign, with the hashtags of the recorded payloads too (KNOWVEMBER_* cleared)."""
    return parse_settings(CONFIG, campaign_dir / "campaign.toml")


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every process an import starts, as (Popen, args, env), recorded as it starts."""
    started: list[Any] = []
    real = subprocess.Popen

    class Recorded(real):  # type: ignore[misc, valid-type]
        def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
            super().__init__(args, *rest, **options)
            started.append((self, list(args), dict(options.get("env") or {})))

    monkeypatch.setattr(subprocess, "Popen", Recorded)
    return started


def flat_and_v1(later: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """A twarc2 flattened tweet (its author inlined) and a v1.1 tweet, one line each."""
    flat = {**x_tweet(x_id(later, 14), "A Retrospect at #KNOWvember19", "43", later),
            "author": x_user("43", "LibTeam")}
    v1 = {"id_str": "1191672311000000001", "id": 1191672311000000001,
          "created_at": "Tue Nov 05 10:00:00 +0000 2019",
          "full_text": "Lessons learned at #KNOWvember19", "lang": "en",
          "entities": {"hashtags": [{"text": "KNOWvember19"}], "user_mentions": []},
          "user": {"id_str": "44", "screen_name": "OldArchive", "name": "Old",
                   "description": "", "followers_count": 7},
          "favorite_count": 3, "retweet_count": 1}
    return flat, v1


def knowvember_lines() -> list[bytes]:
    """Pages that take every mapping path: techniques, a mention, a retweet of an included
    original, a reply before its parent, a flattened and a v1.1 tweet, API errors."""
    flat, v1 = flat_and_v1(LATER)
    return [
        orjson.dumps(x_page([CAFE], USERS)),
        retweet_page(0, original(likes=2)),
        retweet_page(1, original(likes=5)),
        orjson.dumps(x_page([REPLY], USERS)),  # its parent comes three lines later
        orjson.dumps({"errors": [{"value": "1", "detail": "Could not find tweet"}],
                      "meta": {"result_count": 0}}),
        orjson.dumps(flat),
        orjson.dumps(x_page([PARENT], USERS)),
        orjson.dumps(v1),
        *recorded_lines(),
    ]


def env_processes(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(offload.PROCESSES_ENV, value)


def import_once(url: str, settings: Settings, fmt: str, path: Path, **options: Any
                ) -> ingest.ImportOutcome:
    db = open_database(settings, url=url)
    try:
        return ingest.import_files(db, settings, fmt, [path], ingest.Hooks(lock_wait=0),
                                   **options)
    finally:
        db.dispose()


def summary(run: Any) -> tuple[Any, ...]:
    return (run.source, run.status, run.fetched, run.new, run.updated, run.skipped, run.error,
            run.details)


def stored(url: str, settings: Settings) -> dict[str, Any]:
    """Everything an import writes that a report reads, keyed so that row ids do not matter."""
    db = open_database(settings, url=url)
    try:
        with db.begin() as conn:
            keys = {row.id: (row.platform, row.key) for row in conn.execute(
                sa.select(Account.id, Account.platform, Account.key))}
            payload = Unpacker(conn).text  # the same text, however it is kept
            posts = {(row.platform, row.platform_id): (
                keys.get(row.account_id), row.uri, row.url, str(row.created_at), row.text,
                row.lang, row.kind, row.referenced_id, row.conversation_id, row.mentions,
                row.likes, row.reposts, row.replies, row.quotes, row.source,
                payload(row.raw, row.raw_z))
                for row in conn.execute(sa.select(Post))}
            by_id = {row.id: (row.platform, row.platform_id)
                     for row in conn.execute(sa.select(Post.id, Post.platform, Post.platform_id))}
            hashtags = sorted((by_id[pid], tag) for pid, tag in conn.execute(
                sa.select(PostHashtag.post_id, PostHashtag.tag)))
            techniques = sorted((by_id[pid], name) for pid, name in conn.execute(
                sa.select(PostTechnique.post_id, PostTechnique.technique)))
            accounts = {(row.platform, row.key): (
                row.handle, row.platform_user_id, row.display_name, row.bio, row.followers,
                row.url, row.raw, row.organisation_code, row.attribution)
                for row in conn.execute(sa.select(Account))}
    finally:
        db.dispose()
    return {"posts": posts, "hashtags": hashtags, "techniques": techniques,
            "accounts": accounts}


# -- when the child is used ---------------------------------------------------------------


def test_the_setting_says_never_always_or_by_size(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n" * 10)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"{}\n" * 100)
    monkeypatch.setattr(offload, "OFFLOAD_MIN_BYTES", 300)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    env_processes(monkeypatch, "1")
    assert not offload.wanted(big)
    for value in ("2", "3"):
        env_processes(monkeypatch, value)
        assert offload.wanted(small) and offload.wanted(tmp_path / "missing.jsonl")
    for value in ("", "4", "yes"):
        env_processes(monkeypatch, value)
        assert (offload.wanted(small), offload.wanted(big)) == (False, True)
    monkeypatch.delenv(offload.PROCESSES_ENV)
    assert (offload.wanted(small), offload.wanted(big)) == (False, True)
    assert not offload.wanted(tmp_path / "missing.jsonl")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not offload.wanted(big)  # one core: nothing to gain


# -- the same results either way ----------------------------------------------------------


def test_a_twarc2_file_stores_the_same_through_the_child(config, db_url, other_url, tmp_path,  # type: ignore[no-untyped-def]
                                                         monkeypatch, children) -> None:
    path = write(tmp_path / "nov.jsonl", knowvember_lines())
    env_processes(monkeypatch, "1")
    (alone,) = import_once(db_url, config, "twarc2", path, chunk_posts=7).runs
    assert children == []
    env_processes(monkeypatch, "2")
    (beside,) = import_once(other_url, config, "twarc2", path, chunk_posts=7).runs
    assert len(children) == 1
    assert alone.status == "ok" and alone.fetched > 101 and alone.details["api_errors"] == 1
    assert summary(beside) == summary(alone)
    here, there = stored(db_url, config), stored(other_url, config)
    assert there == here
    assert here["techniques"] and any(row[9] for row in here["posts"].values())  # a mention
    reply = x_id(NOV + dt.timedelta(hours=2), 13)
    assert ("x", reply) in here["posts"]  # kept once its parent came


def test_a_reimport_through_the_child_adds_nothing_and_counts_every_tweet(  # type: ignore[no-untyped-def]
        config, db_url, other_url, tmp_path, monkeypatch, children) -> None:
    path = write(tmp_path / "nov.jsonl", knowvember_lines())
    env_processes(monkeypatch, "1")
    (first,) = import_once(db_url, config, "twarc2", path, chunk_posts=7).runs
    import_once(other_url, config, "twarc2", path, chunk_posts=7)
    (alone,) = import_once(db_url, config, "twarc2", path, chunk_posts=7).runs
    before = stored(other_url, config)
    env_processes(monkeypatch, "2")
    (again,) = import_once(other_url, config, "twarc2", path, chunk_posts=7).runs
    assert len(children) == 1
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    assert again.fetched == first.fetched
    assert summary(again) == summary(alone)
    assert stored(other_url, config) == before


def kept_as(url: str, settings: Settings) -> tuple[int, int, int]:
    """(posts whose payload is text, posts whose payload is compressed, dictionaries)."""
    db = open_database(settings, url=url)
    try:
        with db.begin() as conn:
            text = conn.execute(sa.select(sa.func.count()).where(Post.raw.is_not(None))).scalar()
            frames = conn.execute(sa.select(sa.func.count()).where(
                Post.raw_z.is_not(None))).scalar()
            both = conn.execute(sa.select(sa.func.count()).where(
                Post.raw.is_not(None), Post.raw_z.is_not(None))).scalar()
            assert both == 0  # never both
            dictionaries = conn.execute(sa.select(sa.func.count()).select_from(
                RawDictionary)).scalar()
    finally:
        db.dispose()
    return int(text or 0), int(frames or 0), int(dictionaries or 0)


@pytest.mark.parametrize(("processes", "readers"), [("2", 1), ("3", 2)])
def test_a_big_file_through_the_child_keeps_its_payloads_compressed_and_the_same(  # type: ignore[no-untyped-def]
        config, db_url, other_url, tmp_path, monkeypatch, children, processes, readers) -> None:
    """Each reading process trains a dictionary on its first chunk and compresses every
    payload after it; what is read back is the text the one-process import keeps."""
    count = 2 * (TRAIN_MIN + 100)
    path = write(tmp_path / "nov.jsonl", single_tweet_pages(count))
    env_processes(monkeypatch, "1")
    import_once(db_url, config, "twarc2", path, chunk_posts=TRAIN_MIN + 100)
    assert kept_as(db_url, config) == (count, 0, 0)
    env_processes(monkeypatch, processes)
    (beside,) = import_once(other_url, config, "twarc2", path,
                            chunk_posts=TRAIN_MIN + 100).runs
    assert len(children) == readers
    assert (beside.status, beside.new) == ("ok", count)
    assert kept_as(other_url, config) == (0, count, readers)
    assert stored(other_url, config) == stored(db_url, config)
    # a re-import through the children stores no dictionary that nothing uses
    (again,) = import_once(other_url, config, "twarc2", path,
                           chunk_posts=TRAIN_MIN + 100).runs
    assert (again.status, again.new) == ("ok", 0)
    assert kept_as(other_url, config) == (0, count, readers)


@pytest.mark.parametrize("processes", ["2", "3"])
@pytest.mark.parametrize(("fmt", "name"), [("mastodon", "mastodon_tag_timeline_4.json"),
                                           ("bluesky", "bluesky_search_posts_2.json")])
def test_mastodon_and_bluesky_files_store_the_same_through_one_child(  # type: ignore[no-untyped-def]
        config, db_url, other_url, monkeypatch, children, fmt, name, processes) -> None:
    env_processes(monkeypatch, "1")
    (alone,) = import_once(db_url, config, fmt, FIXTURES / name).runs
    env_processes(monkeypatch, processes)  # 3 splits only twarc2 files: still one child
    (beside,) = import_once(other_url, config, fmt, FIXTURES / name).runs
    assert len(children) == 1
    assert alone.status == "ok" and alone.new > 0
    assert summary(beside) == summary(alone)
    assert stored(other_url, config) == stored(db_url, config)


# -- failures read the same ---------------------------------------------------------------


def both_ways(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str,
              path: Path, **options: Any) -> tuple[ingest.ImportOutcome, ingest.ImportOutcome]:
    """The outcome in one process, then through the child (each into a new SQLite file)."""
    outcomes = []
    for value in ("1", "2"):
        env_processes(monkeypatch, value)
        url = f"sqlite:///{tmp_path / f'processes-{value}.db'}"
        outcomes.append(import_once(url, settings, fmt, path, **options))
    return outcomes[0], outcomes[1]


def test_a_cut_short_gzip_ends_the_run_partial_with_the_same_message(  # type: ignore[no-untyped-def]
        config, tmp_path, monkeypatch, children) -> None:
    pages = [orjson.dumps(x_page([x_tweet(x_id(NOV, n), f"Peer Assist {n} #KNOWvember19",
                                          "42", NOV)], USERS)) for n in range(400)]
    whole = gzip.compress(b"\n".join(pages) + b"\n")
    path = tmp_path / "nov.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    alone, beside = both_ways(config, tmp_path, monkeypatch, "twarc2", path, chunk_posts=20)
    assert len(children) == 1
    (run,) = alone.runs
    assert run.status == "partial" and run.new > 0
    assert run.error.startswith(f"{path}: the compressed file is damaged or incomplete (")
    assert summary(beside.runs[0]) == summary(run)


def test_a_plain_file_named_gz_says_it_is_not_compressed_either_way(  # type: ignore[no-untyped-def]
        config, tmp_path, monkeypatch, children) -> None:
    path = write(tmp_path / "nov.jsonl.gz", [orjson.dumps(x_page(
        [x_tweet(x_id(NOV, 1), "Peer Assist #KNOWvember19", "42", NOV)], USERS))])
    alone, beside = both_ways(config, tmp_path, monkeypatch, "twarc2", path)
    (run,) = alone.runs
    assert run.status == "failed" and run.new == 0
    assert run.error.startswith(f"{path}: not a compressed file, though its name ends in .gz")
    assert summary(beside.runs[0]) == summary(run)


def test_a_line_that_is_not_json_is_a_line_error_either_way(  # type: ignore[no-untyped-def]
        config, tmp_path, monkeypatch, children) -> None:
    good = [x_tweet(x_id(NOV, n), f"Peer Assist {n} #KNOWvember19", "42", NOV)
            for n in range(2)]
    with_bad_tweet = x_page(good[1:], USERS)
    with_bad_tweet["data"].append({"id": None, "text": "an id that is null"})
    path = write(tmp_path / "nov.jsonl", [
        orjson.dumps(x_page(good[:1], USERS)),
        b"<html>502 Bad Gateway</html>",
        orjson.dumps(with_bad_tweet),
        b'{"data": [{"id": "1", "text": "cut',
    ])
    alone, beside = both_ways(config, tmp_path, monkeypatch, "twarc2", path)
    assert len(children) == 1
    assert [e.split(": ", 1)[0] for e in alone.line_errors] == [
        f"{path}:2", f"{path}:3", f"{path}:4"]
    assert beside.line_errors == alone.line_errors
    assert beside.error_count == alone.error_count == 3
    assert summary(beside.runs[0]) == summary(alone.runs[0])
    assert alone.runs[0].status == "partial" and alone.runs[0].new == 2


def test_a_child_that_dies_fails_the_run_saying_how_to_read_in_one_process(  # type: ignore[no-untyped-def]
        config, tmp_path, monkeypatch, children) -> None:
    dying = tmp_path / "dying-python"
    dying.write_text("#!/bin/sh\necho 'Fatal Python error: out of luck' >&2\nexit 3\n")
    dying.chmod(0o755)
    path = write(tmp_path / "nov.jsonl", recorded_lines())
    env_processes(monkeypatch, "2")
    monkeypatch.setattr(sys, "executable", str(dying))
    (run,) = import_once(f"sqlite:///{tmp_path / 'k.db'}", config, "twarc2", path).runs
    assert run.status == "failed"
    assert run.error == (
        f"{path}: the process reading the file stopped unexpectedly (exit code 3: Fatal "
        f"Python error: out of luck); run the import again (nothing is doubled), or with "
        f"{offload.PROCESSES_ENV}=1 to read it in one process")


def test_a_damaged_message_from_the_child_fails_the_run_saying_what_to_do(  # type: ignore[no-untyped-def]
        config, tmp_path, monkeypatch, children) -> None:
    """A frame that does not decode (seen once with a profiler attached to the children)
    fails the run with the file's name and the way round it, not an unexpected error."""
    path = write(tmp_path / "nov.jsonl", recorded_lines())
    env_processes(monkeypatch, "2")

    class Garbled:
        @staticmethod
        def loads(body: bytes) -> Any:
            raise ValueError("bad marshal data (unknown type code)")

    monkeypatch.setattr(offload, "marshal", Garbled)
    (run,) = import_once(f"sqlite:///{tmp_path / 'k.db'}", config, "twarc2", path).runs
    assert run.status == "failed"
    assert run.error == (
        f"{path}: the process reading the file sent a damaged message (bad marshal data "
        f"(unknown type code)); run the import again (nothing is doubled), or with "
        f"{offload.PROCESSES_ENV}=1 to read it in one process")
    assert all(child.poll() is not None for child, _, _ in children)  # none left running


def job(settings: Settings, path: Path, fmt: str = "twarc2", *, chunk_posts: int = 5000,
        database_url: str | None = None) -> offload.Job:
    return offload.Job(fmt=fmt, path=path, chunk_posts=chunk_posts, settings=settings,
                       database_url=database_url, platform="x")


def test_an_unknown_format_raises_what_the_reader_look_up_raises(config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", recorded_lines()[:1])
    with pytest.raises(KeyError) as here:
        formats()["nope"]
    with pytest.raises(KeyError) as there:
        list(offload.read_beside(job(config, path, "nope")))
    assert there.value.args == here.value.args


def test_a_missing_file_raises_the_input_error_naming_it(config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "gone.jsonl"
    with pytest.raises(InputError) as here:
        list(formats()["twarc2"][0](path))
    with pytest.raises(InputError) as there:
        list(offload.read_beside(job(config, path)))
    assert str(there.value) == str(here.value)
    assert str(path) in str(there.value)


def test_stopping_early_leaves_no_child_running(config, tmp_path, children) -> None:  # type: ignore[no-untyped-def]
    users = [x_user("42", "UHLLibraries")]
    lines = [orjson.dumps(x_page([x_tweet(x_id(NOV, n * 50 + i), f"#KNOWvember19 {'x' * 200}",
                                          "42", NOV) for i in range(50)], users))
             for n in range(60)]
    path = write(tmp_path / "big.jsonl", lines)  # far more than the pipe holds
    chunks = offload.read_beside(job(config, path, chunk_posts=100))
    first = next(chunks)
    assert len(first.posts) == 100
    ((child, _, _),) = children
    assert child.poll() is None  # still writing: the pipe is full
    chunks.close()
    assert child.poll() is not None


def test_the_database_url_goes_on_stdin_never_on_the_command_line(  # type: ignore[no-untyped-def]
        config, tmp_path, children) -> None:
    secret = "s3cret-Pa55word"
    url = f"postgresql+psycopg://kv:{secret}@127.0.0.1:1/nowhere"  # refuses at once
    path = write(tmp_path / "nov.jsonl", recorded_lines())
    with pytest.raises(DatabaseError) as raised:
        list(offload.read_beside(job(config, path, database_url=url)))
    ((_, args, env),) = children
    assert args == [sys.executable, "-m", "collectors.offload"]
    assert not any(secret in value for value in env.values())
    assert "cannot connect" in str(raised.value)  # the child did receive the URL
    assert secret not in str(raised.value)


def test_an_import_hands_its_database_to_the_child_only_in_the_job(  # type: ignore[no-untyped-def]
        config, db_url, tmp_path, monkeypatch, children) -> None:
    jobs: list[offload.Job] = []
    real = offload.read_beside

    def spy(one: offload.Job) -> Iterator[Any]:
        jobs.append(one)
        return real(one)

    monkeypatch.setattr(offload, "read_beside", spy)
    env_processes(monkeypatch, "2")
    path = write(tmp_path / "nov.jsonl", recorded_lines())
    import_once(db_url, config, "twarc2", path)
    (run,) = import_once(db_url, config, "twarc2", path).runs
    assert (run.status, run.new, run.updated, run.fetched) == ("ok", 0, 0, 101)
    assert [j.database_url for j in jobs] == [db_url, db_url]
    for _, args, _ in children:
        assert db_url not in " ".join(args)
    mastodon = import_once(db_url, config, "mastodon", FIXTURES / "mastodon_tag_timeline_3.json")
    assert mastodon.runs[0].status == "ok"
    assert jobs[-1].database_url is None  # a reader that does not ask is not told



# -- a batch decoded only as far as ids and counts (what the child does on a re-import) ---


def stored_already(*ids: str) -> Any:
    """A `known` that reports `ids` stored with the counts the file has."""
    asked: list[list[str]] = []

    def known(items: list[tuple[str, tuple[int, int, int, int]]]) -> set[str]:
        asked.append([tid for tid, _ in items])
        return {tid for tid, _ in items if tid in ids}

    known.asked = asked  # type: ignore[attr-defined]
    return known


def read_all(path: Path, **options: Any) -> tuple[list[Any], int, list[Any]]:
    chunks = list(twarc2.read(path, **options))
    return ([p for c in chunks for p in c.posts], sum(c.unchanged for c in chunks),
            [e for c in chunks for e in c.errors])


def test_stored_tweets_are_counted_and_a_new_retweet_of_a_stored_original_is_whole(  # type: ignore[no-untyped-def]
        tmp_path) -> None:
    later = NOV + dt.timedelta(minutes=5)
    old = x_tweet(x_id(later, 1), "Peer Assist again #KNOWvember19", "42", later)
    new = x_tweet(x_id(later, 2), "A Knowledge Cafe #KNOWvember19", "43", later)
    retweet = x_tweet(x_id(later, 3), "RT @UHLLibraries: Our Peer Assist today", "43", later,
                      refs=[("retweeted", ORIGINAL_ID)])
    path = write(tmp_path / "nov.jsonl", [orjson.dumps(x_page(
        [old, new, retweet], USERS, included=[original(likes=4)]))])
    everything, _, _ = read_all(path)
    known = stored_already(old["id"], ORIGINAL_ID)
    posts, unchanged, errors = read_all(path, known=known)
    assert known.asked == [[old["id"], new["id"], retweet["id"], ORIGINAL_ID]]
    assert unchanged == 1 and errors == []
    assert [p.platform_id for p in posts] == [new["id"], retweet["id"]]
    (mapped,) = [p for p in posts if p.platform_id == retweet["id"]]
    assert mapped.text == "RT @UHLLibraries: Our Peer Assist today #KNOWvember19"
    assert "knowvember19" in mapped.hashtags  # the original's, the retweet has none
    assert mapped == next(p for p in everything if p.platform_id == retweet["id"])


def test_a_page_all_stored_yields_nothing_but_its_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", [retweet_page(0, original(likes=1))])
    (retweet,) = orjson.loads(path.read_bytes())["data"]
    posts, unchanged, errors = read_all(path, known=stored_already(retweet["id"], ORIGINAL_ID))
    assert (posts, unchanged, errors) == ([], 1, [])


@pytest.mark.parametrize("bad", [
    {"id": None, "text": "an id that is null"},
    {"id": "8", "text": "counts that are words", "public_metrics": "many"},
    {"id": "9", "text": "references that are not a list", "referenced_tweets": {"id": "1"}},
])
@pytest.mark.parametrize("where", ["data", "included"])
def test_a_tweet_that_cannot_be_read_as_a_key_is_the_same_line_error(tmp_path, bad, where  # type: ignore[no-untyped-def]
                                                                      ) -> None:
    good = x_tweet(x_id(NOV, 1), "Peer Assist #KNOWvember19", "42", NOV)
    page = x_page([good], USERS, included=[original()])
    (page["data"] if where == "data" else page["includes"]["tweets"]).append(bad)
    path = write(tmp_path / "nov.jsonl", [orjson.dumps(x_page([], USERS)), orjson.dumps(page)])
    plain = read_all(path)
    posts, unchanged, errors = read_all(path, known=stored_already())
    assert errors and [str(e) for e in errors] == [str(e) for e in plain[2]]
    assert str(errors[0]).startswith(f"{path}:2: ")
    assert (posts, unchanged) == (plain[0], 0)


def test_a_probe_says_whether_its_next_call_will_ask() -> None:
    asked: list[object] = []
    probe = ingest.Probe(lambda items: asked.append(items) or set(), patience=2, every=3)
    said = []
    for _ in range(8):
        said.append(probe.will_ask())
        probe([("1", (0, 0, 0, 0))])
    assert said == [True, True, False, False, True, False, False, True]
    assert len(asked) == said.count(True)


def test_a_probe_that_stopped_asking_asks_again_later_in_the_file(tmp_path, monkeypatch  # type: ignore[no-untyped-def]
                                                                  ) -> None:
    """The Probe's rule: after `patience` batches with nothing stored it skips `every - 1`
    look-ups, then asks again (and asks every batch once something is found)."""
    monkeypatch.setattr(twarc2, "PROBE_TWEETS", 1)  # one page, one batch, one look-up
    lines = single_tweet_pages(40)
    ids = [orjson.loads(line)["data"][0]["id"] for line in lines]
    path = write(tmp_path / "nov.jsonl", lines)
    known = stored_already(*ids[5:])  # the first five are new, the rest stored already
    _, unchanged, _ = read_all(path, known=ingest.Probe(known, patience=5, every=10))
    # Batches 1-5 miss; 6-14 are not asked about; 15 finds one, and 15-40 are all asked.
    assert unchanged == 40 - 14


def test_an_included_retweet_of_a_stored_original_keeps_its_original_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    later = NOV + dt.timedelta(minutes=5)
    retweet = x_tweet(x_id(later, 3), "RT @UHLLibraries: Our Peer Assist today", "43", later,
                      refs=[("retweeted", ORIGINAL_ID)])
    quote = x_tweet(x_id(later, 4), "Look at this", "42", later, refs=[("quoted", retweet["id"])])
    path = write(tmp_path / "nov.jsonl", [orjson.dumps(x_page(
        [quote], USERS, included=[retweet, original()]))])
    everything, _, _ = read_all(path)
    posts, _, _ = read_all(path, known=stored_already(ORIGINAL_ID))
    (context,) = [p for p in posts if p.platform_id == retweet["id"]]
    assert context.text == "RT @UHLLibraries: Our Peer Assist today #KNOWvember19"
    assert context == next(p for p in everything if p.platform_id == retweet["id"])

"""`knowvember import twarc2`: v2 pages, flattened tweets, v1.1 tweets, bad lines, re-imports."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from collectors import twarc2
from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_FAILED, EXIT_PARTIAL
from knowvember.models import Account, Post, PostHashtag
from tests.fakeapi import FIXTURES, x_id, x_page, x_tweet, x_user
from tests.test_trial_inputs import numbers_for_ids

BREXIT = """
[campaign]
name = "Fixture campaign"
slug = "fixtures"
hashtags = ["Brexit", "POIUYTREWQ"]
start = 2021-05-01
end = 2021-09-30
timezone = "UTC"
"""
NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)


def recorded_lines() -> list[bytes]:
    """The recorded pages as twarc2 writes them: one JSON page a line."""
    return [orjson.dumps(json.loads((FIXTURES / name).read_text()))
            for name in ("twitter_search_recent_2.json", "twitter_search_all_1.json")]


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def count(db, table=Post) -> int:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar())


def test_recorded_pages_import_and_a_second_import_adds_nothing(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = parse_settings(BREXIT)
    db = open_database(settings, url=db_url)
    path = write(tmp_path / "archive.jsonl", recorded_lines())
    first = ingest.import_files(db, settings, "twarc2", [path], ingest.Hooks(lock_wait=0))
    (run,) = first.runs
    assert run.status == "ok" and run.source == "import:twarc2"
    assert run.fetched == 101 and run.new > run.fetched - run.skipped  # originals come too
    stored = count(db)
    assert stored == run.new
    again = ingest.import_files(db, settings, "twarc2", [path], ingest.Hooks(lock_wait=0))
    (second,) = again.runs
    assert (second.status, second.new, second.updated) == ("ok", 0, 0)
    assert count(db) == stored
    assert second.details["window"]["from"][:16] == run.details["window"]["from"][:16]
    assert second.details["window"]["to"][:16] == run.details["window"]["to"][:16]
    assert run.details["platform"] == "x"
    db.dispose()


def test_ids_stay_strings_and_raw_payloads_are_kept_as_received(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = parse_settings(BREXIT)
    db = open_database(settings, url=str(sqlite_db.engine.url))
    path = write(tmp_path / "a.jsonl", recorded_lines()[:1])
    ingest.import_files(db, settings, "twarc2", [path], ingest.Hooks(lock_wait=0))
    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text())
    by_id = {t["id"]: t for t in page["data"]}
    with db.session() as session:
        for post in session.scalars(sa.select(Post).where(Post.platform_id.in_(by_id))):
            assert isinstance(post.platform_id, str) and len(post.platform_id) == 19
            assert orjson.loads(post.raw) == by_id[post.platform_id]
    db.dispose()


def test_a_bad_line_is_reported_with_file_and_line_and_the_rest_imports(
        cli, write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_config()
    users = [x_user("42", "UHLLibraries")]
    good = [x_tweet(x_id(NOV, i), f"Peer Assist #KNOWvember19 {i}", "42", NOV)
            for i in range(3)]
    lines = [
        orjson.dumps(x_page(good[:2], users)),
        b'{"data": [{"id": "1", "text": "cut',  # a page cut short (line 2)
        b"<html>502 Bad Gateway</html>",  # line 3
        orjson.dumps({"errors": [{"value": "123", "detail": "Could not find tweet"}],
                      "meta": {"result_count": 0}}),
        orjson.dumps(x_page(good[2:], users)),
    ]
    path = write(tmp_path / "nov.jsonl", lines)
    result = cli("import", "twarc2", str(path), "--format", "json")
    assert result.exit_code == EXIT_PARTIAL
    assert f"{path}:2:" in result.stderr and f"{path}:3:" in result.stderr
    (run,) = json.loads(result.stdout)
    assert run["status"] == "partial" and run["new"] == 3
    assert run["details"]["line_errors"] == 2 and run["details"]["api_errors"] == 1
    assert set(run) >= {"source", "status", "started_at", "finished_at", "fetched", "new",
                        "updated", "skipped", "requests", "estimated_cost", "error"}


def test_flattened_and_v1_tweets_and_gzip(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    original = x_tweet(x_id(NOV, 1), "Our Knowledge Cafe #KNOWvember19", "42", NOV)
    flat_retweet = {
        **x_tweet(x_id(NOV, 2), "RT @UHLLibraries: Our Knowledge Cafe #KNOWvember19", "43",
                  NOV, refs=[("retweeted", original["id"])]),
        "author": x_user("43", "LibTeam"),
        "referenced_tweets": [{"type": "retweeted", "id": original["id"], **original,
                               "author": x_user("42", "UHLLibraries")}],
    }
    v1 = {"id_str": "1191672311000000001", "id": 1191672311000000001,
          "created_at": "Tue Nov 05 10:00:00 +0000 2019",
          "full_text": "A Retrospect at #KNOWvember19", "lang": "en",
          "entities": {"hashtags": [{"text": "KNOWvember19"}], "user_mentions": []},
          "user": {"id_str": "44", "screen_name": "OldArchive", "name": "Old",
                   "description": "", "followers_count": 7},
          "favorite_count": 3, "retweet_count": 1}
    path = tmp_path / "mixed.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(orjson.dumps(flat_retweet) + b"\n" + orjson.dumps(v1) + b"\n")
    outcome = ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                                  ingest.Hooks(lock_wait=0))
    assert outcome.runs[0].status == "ok", outcome.runs[0].error
    with sqlite_db.session() as session:
        posts = {p.platform_id: p for p in session.scalars(sa.select(Post))}
        session.expunge_all()
    assert set(posts) == {original["id"], flat_retweet["id"], "1191672311000000001"}
    assert posts[flat_retweet["id"]].kind == "repost"
    assert posts[flat_retweet["id"]].text == "RT @UHLLibraries: Our Knowledge Cafe #KNOWvember19"
    assert posts["1191672311000000001"].likes == 3  # a v1.1 id as a string, not a float


def _settings(db):  # type: ignore[no-untyped-def]
    from tests.conftest import BASE_CONFIG

    return parse_settings(BASE_CONFIG)


def test_replies_listed_before_their_parent_are_kept(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    users = [x_user("42", "UHLLibraries")]
    parent = x_tweet(x_id(NOV, 1), "Peer Assist today #KNOWvember19", "42", NOV)
    later = NOV + dt.timedelta(hours=1)
    reply = x_tweet(x_id(later, 2), "Great session!", "42", later,
                    refs=[("replied_to", parent["id"])])
    # Newest first, as search writes them, and in separate chunks.
    path = write(tmp_path / "thread.jsonl", [orjson.dumps(x_page([reply], users)),
                                             orjson.dumps(x_page([parent], users))])
    (run,) = ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                                 ingest.Hooks(lock_wait=0), chunk_posts=1).runs
    assert (run.new, run.skipped) == (2, 0)
    assert count(sqlite_db) == 2


def test_reading_streams_in_chunks(tmp_path) -> None:
    users = [x_user("42", "UHLLibraries")]
    lines = [orjson.dumps(x_page([x_tweet(x_id(NOV, n * 100 + i), "#KNOWvember19", "42", NOV)
                                  for i in range(100)], users)) for n in range(30)]
    path = write(tmp_path / "big.jsonl", lines)
    chunks = twarc2.read(path, chunk_posts=500)
    first = next(chunks)
    assert len(first.posts) == 500
    assert first.position < path.stat().st_size  # the file is not read whole
    assert sum(len(c.posts) for c in chunks) == 2500


def test_hashtags_are_stored_folded(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    users = [x_user("42", "UHLLibraries")]
    path = write(tmp_path / "a.jsonl", [orjson.dumps(x_page(
        [x_tweet(x_id(NOV), "#KNOWVEMBER19 and #Knowvmber19 #PeerAssist", "42", NOV)], users))])
    ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                        ingest.Hooks(lock_wait=0))
    with sqlite_db.begin() as conn:
        tags = set(conn.execute(sa.select(PostHashtag.tag)).scalars())
    assert tags == {"knowvember19", "knowvmber19", "peerassist"}


EMPTY = "the file is empty (no posts to import)"
NO_RESULTS = "no posts in the file (an empty page of results)"


@pytest.mark.parametrize(("content", "ok", "says"), [
    pytest.param(b"", False, EMPTY, id="empty"),
    pytest.param(b"\n\n", False, EMPTY, id="blank lines"),
    pytest.param(b"[]\n", True, NO_RESULTS, id="empty list"),
    pytest.param(b'{\n  "data": []\n}\n', True, NO_RESULTS, id="pretty empty page"),
    pytest.param(b'{"meta": {"result_count": 0}}\n{"meta": {"result_count": 0}}\n', True,
                 NO_RESULTS, id="pages of no results"),
])
def test_a_file_with_no_posts_names_the_file_and_fails_only_when_empty(  # type: ignore[no-untyped-def]
        sqlite_db, tmp_path, content, ok, says) -> None:
    """An empty file fails, as a CSV with no header row does; a search that found nothing is
    a true answer: an ok run, exit 0, with a note naming the file."""
    path = tmp_path / "saved.jsonl"
    path.write_bytes(content)
    outcome = ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                                  ingest.Hooks(lock_wait=0))
    (run,) = outcome.runs
    assert run.fetched == 0
    if ok:
        assert (run.status, run.error, outcome.exit_code) == ("ok", None, 0)
        assert run.details["warnings"] == [f"{path}: {says}"]
    else:
        assert (run.status, run.error, outcome.exit_code) == ("failed", f"{path}: {says}",
                                                              EXIT_FAILED)
        assert "warnings" not in run.details


def test_a_file_whose_only_stored_posts_are_context_posts_is_partial_not_failed(
        sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Failed means nothing of the file was kept: a page whose tweets cannot be read but
    whose included original (a campaign post) was stored is partial."""
    users = [x_user("42", "UHLLibraries")]
    original = x_tweet(x_id(NOV, 1), "Peer Assist today #KNOWvember19", "42", NOV)
    broken = x_tweet(x_id(NOV, 2), "RT @UHLLibraries: Peer Assist today", "42", NOV,
                     refs=[("retweeted", original["id"])])
    broken["created_at"] = "not a time"
    path = write(tmp_path / "context.jsonl", [orjson.dumps(x_page([broken], users, [original]))])
    (run,) = ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                                 ingest.Hooks(lock_wait=0)).runs
    assert (run.fetched, run.new) == (0, 1)
    assert run.status == "partial" and "could not be read" in (run.error or "")


# -- ids that a re-export wrote as JSON numbers -------------------------------------------


def tweet_ids(page):  # type: ignore[no-untyped-def]
    for tweet in page["data"]:
        tweet["id"] = int(tweet["id"])


def one_tweet_id(page):  # type: ignore[no-untyped-def]
    """One tweet in the middle, so that the page's first tweet reads as it is."""
    tweet = page["data"][len(page["data"]) // 2]
    tweet["id"] = int(tweet["id"])


def user_ids(page):  # type: ignore[no-untyped-def]
    for user in page["includes"]["users"]:
        user["id"] = int(user["id"])


def author_ids(page):  # type: ignore[no-untyped-def]
    for tweet in [*page["data"], *page["includes"]["tweets"]]:
        tweet["author_id"] = int(tweet["author_id"])


def referenced_ids(page):  # type: ignore[no-untyped-def]
    for tweet in [*page["data"], *page["includes"]["tweets"]]:
        for ref in tweet.get("referenced_tweets", ()):
            ref["id"] = int(ref["id"])


def included_tweet_ids(page):  # type: ignore[no-untyped-def]
    for tweet in page["includes"]["tweets"]:
        tweet["id"] = int(tweet["id"])


def meta_ids(page):  # type: ignore[no-untyped-def]
    page["meta"]["newest_id"] = int(page["meta"]["newest_id"])
    page["meta"]["oldest_id"] = int(page["meta"]["oldest_id"])


def reply_user_ids(page):  # type: ignore[no-untyped-def]
    for tweet in [*page["data"], *page["includes"]["tweets"]]:
        if "in_reply_to_user_id" in tweet:
            tweet["in_reply_to_user_id"] = int(tweet["in_reply_to_user_id"])


def every_id(page):  # type: ignore[no-untyped-def]
    page.update(numbers_for_ids(page))


RECORDED = ("twitter_search_recent_2.json", "twitter_search_all_1.json")
CONVERSIONS = [every_id, tweet_ids, one_tweet_id, user_ids, author_ids, referenced_ids,
               included_tweet_ids, meta_ids]


def converted_line(name: str, convert) -> bytes:  # type: ignore[no-untyped-def]
    page = json.loads((FIXTURES / name).read_text())
    convert(page)
    return orjson.dumps(page)


def read_records(path: Path, known=None):  # type: ignore[no-untyped-def]
    """Every post and account read from `path` as comparable tuples, with the line errors."""
    posts, accounts, errors, unchanged = [], set(), [], 0
    for chunk in twarc2.read(path, known=known):
        posts += [(p.platform_id, p.text, p.account_key, p.kind, p.referenced_id,
                   p.conversation_id, p.hashtags, p.mentions, p.created_at, p.context_only,
                   orjson.loads(p.raw)) for p in chunk.posts]
        accounts |= {(a.key, a.handle, a.display_name, a.raw and orjson.loads(a.raw)["id"])
                     for a in chunk.accounts}
        errors += [str(e) for e in chunk.errors]
        unchanged += chunk.unchanged
    return sorted(posts, key=repr), accounts, errors, unchanged


def asked_and_found(stored: set[str]):  # type: ignore[no-untyped-def]
    """A `known` look-up holding `stored`; what it was asked is kept in `.asked`."""
    def known(items):  # type: ignore[no-untyped-def]
        known.asked += [tid for tid, _ in items]  # type: ignore[attr-defined]
        return {tid for tid, _ in items if tid in stored}
    known.asked = []  # type: ignore[attr-defined]
    return known


@pytest.mark.parametrize("name", RECORDED)
@pytest.mark.parametrize("convert", CONVERSIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("asking", [False, True], ids=["mapped", "asked first"])
def test_ids_written_as_numbers_read_as_the_strings_they_were(tmp_path, name, convert,  # type: ignore[no-untyped-def]
                                                              asking) -> None:
    """Some ids or all, on any tweet or user of a page: the page reads as the recorded one,
    whether its tweets are mapped at once or first looked up (`x_payload.peek`)."""
    plain = write(tmp_path / "plain.jsonl", [converted_line(name, lambda page: None)])
    numbers = write(tmp_path / "numbers.jsonl", [converted_line(name, convert)])
    assert numbers.read_bytes() != plain.read_bytes()
    expected = read_records(plain, known=asked_and_found(set()) if asking else None)
    got = read_records(numbers, known=asked_and_found(set()) if asking else None)
    assert expected[2] == [] and got[2] == []
    assert got == expected


def test_reply_user_ids_as_numbers_alone_are_kept_as_received(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No record is made from `in_reply_to_user_id`, so a page whose only number ids are those
    reads at once, its raw payloads as received."""
    name = RECORDED[0]
    plain = read_records(write(tmp_path / "plain.jsonl", [converted_line(name, lambda p: p)]))
    got = read_records(write(tmp_path / "n.jsonl", [converted_line(name, reply_user_ids)]))
    assert got[2] == [] and got[1] == plain[1]
    assert [post[:-1] for post in got[0]] == [post[:-1] for post in plain[0]]
    replies = [post[-1] for post in got[0] if "in_reply_to_user_id" in post[-1]]
    assert replies and all(isinstance(raw["in_reply_to_user_id"], int) for raw in replies)


@pytest.mark.parametrize("convert", CONVERSIONS, ids=lambda f: f.__name__)
def test_a_page_with_ids_as_numbers_asks_about_its_tweets_as_strings(tmp_path, convert  # type: ignore[no-untyped-def]
                                                                     ) -> None:
    """A re-import finds the tweets stored by an import of the recorded page unchanged."""
    name = RECORDED[0]
    page = json.loads((FIXTURES / name).read_text())
    ids = {t["id"] for t in [*page["data"], *page["includes"]["tweets"]]}
    known = asked_and_found(ids)
    posts, _, errors, unchanged = read_records(
        write(tmp_path / "numbers.jsonl", [converted_line(name, convert)]), known=known)
    assert errors == [] and posts == []
    assert unchanged == len(page["data"])
    assert set(known.asked) == ids and all(isinstance(tid, str) for tid in known.asked)


@pytest.mark.parametrize("convert", [every_id, tweet_ids, one_tweet_id, user_ids],
                         ids=lambda f: f.__name__)
def test_an_import_with_ids_as_numbers_stores_what_the_recorded_pages_store(  # type: ignore[no-untyped-def]
        tmp_path, convert) -> None:
    """The reported case: no tweet skipped, no line error, an ok run, the same posts."""
    settings = parse_settings(BREXIT)
    stored = []
    for which, conversion in (("plain", lambda page: None), ("numbers", convert)):
        db = open_database(settings, url=f"sqlite:///{tmp_path / which}.db")
        path = write(tmp_path / f"{which}.jsonl",
                     [converted_line(name, conversion) for name in RECORDED])
        (run,) = ingest.import_files(db, settings, "twarc2", [path],
                                     ingest.Hooks(lock_wait=0)).runs
        assert (run.status, run.error, run.details["line_errors"]) == ("ok", None, 0)
        assert run.fetched == 101
        with db.session() as session:
            stored.append(sorted(session.execute(
                sa.select(Post.platform_id, Post.text, Post.kind, Account.platform_user_id,
                          Account.handle).join(Account, Post.account_id == Account.id))))
        db.dispose()
    assert stored[0] and stored[1] == stored[0]


def test_unreadable_tweets_on_one_line_are_counted_as_records_on_that_line(
        sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A page line holds a hundred tweets: three bad ones are three records on one line,
    not "3 line(s) could not be read" of a one-line file."""
    users = [x_user("42", "UHLLibraries")]
    good = x_tweet(x_id(NOV, 1), "Peer Assist today #KNOWvember19", "42", NOV)
    bad = [{"id": None, "text": f"an id that is null {n}"} for n in range(3)]
    page = x_page([good], users)
    page["data"].extend(bad)
    path = write(tmp_path / "one.jsonl", [orjson.dumps(page)])
    (run,) = ingest.import_files(sqlite_db, _settings(sqlite_db), "twarc2", [path],
                                 ingest.Hooks(lock_wait=0)).runs
    assert (run.status, run.new) == ("partial", 1)
    assert (run.error or "").startswith("3 unreadable record(s) on 1 line(s) were skipped; "
                                        f"first: {path}:1: ")

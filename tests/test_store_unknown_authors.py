"""Posts stored while X left their author out of `includes` (a suspended or withheld account)
take the author when a later page or file names it, and are never given another one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import Database, open_database
from knowvember.models import Account, Post
from tests.fakeapi import Json, x_id, x_page, x_tweet, x_user

CAMPAIGN = """
[campaign]
name = "KNOWvember 2019"
slug = "knowvember2019"
hashtags = ["KNOWvember19"]
start = 2019-11-01
end = 2019-11-30
timezone = "Europe/London"
"""
NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
TEXT = "Our first Randomised Coffee Trial went well #KNOWvember19"


def _file(path: Path, *pages: Json) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pages))
    return path


def _import(db: Database, path: Path) -> ingest.RunRecord:
    settings = parse_settings(CAMPAIGN)
    (run,) = ingest.import_files(db, settings, "twarc2", [path], ingest.Hooks(lock_wait=0)).runs
    return run


def _authors(db: Database) -> dict[str, str | None]:
    """Stored post id -> its author's handle (None: no author)."""
    with db.begin() as conn:
        rows = conn.execute(sa.select(Post.platform_id, Account.handle)
                            .join(Account, Account.id == Post.account_id, isouter=True))
        return {pid: handle for pid, handle in rows}


def test_a_later_file_naming_the_author_links_the_post_stored_without_one(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = open_database(parse_settings(CAMPAIGN), url=db_url)
    tid = x_id(NOV)
    tweet = x_tweet(tid, TEXT, "501", NOV)
    first = _import(db, _file(tmp_path / "a.jsonl", x_page([tweet], [])))  # author left out
    assert (first.status, first.new) == ("ok", 1)
    assert _authors(db) == {tid: None}
    # The same tweet, unchanged, once the account is back: not skipped as unchanged.
    again = _import(db, _file(tmp_path / "b.jsonl",
                              x_page([tweet], [x_user("501", "kls_team")])))
    assert (again.status, again.new, again.updated) == ("ok", 0, 1)
    assert _authors(db) == {tid: "@kls_team"}
    # Nothing more to do a third time.
    third = _import(db, tmp_path / "b.jsonl")
    assert (third.new, third.updated) == (0, 0)
    db.dispose()


def test_an_author_stored_from_another_page_is_found_for_a_post_whose_page_lacks_it(
        sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = open_database(parse_settings(CAMPAIGN), url=str(sqlite_db.engine.url))
    one, two = x_id(NOV, 1), x_id(NOV + dt.timedelta(hours=1), 2)
    path = _file(tmp_path / "a.jsonl",
                 x_page([x_tweet(one, TEXT, "501", NOV)], [x_user("501", "kls_team")]))
    _import(db, path)
    later = _file(tmp_path / "b.jsonl",
                  x_page([x_tweet(two, "Peer assist today #KNOWvember19", "501",
                                  NOV + dt.timedelta(hours=1))], []))
    run = _import(db, later)
    assert (run.status, run.new) == ("ok", 1)
    assert _authors(db) == {one: "@kls_team", two: "@kls_team"}
    db.dispose()


def test_a_stored_author_is_never_replaced_by_a_later_copy(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = open_database(parse_settings(CAMPAIGN), url=str(sqlite_db.engine.url))
    tid = x_id(NOV)
    _import(db, _file(tmp_path / "a.jsonl",
                      x_page([x_tweet(tid, TEXT, "501", NOV)], [x_user("501", "kls_team")])))
    run = _import(db, _file(tmp_path / "b.jsonl",
                            x_page([x_tweet(tid, TEXT, "777", NOV)], [x_user("777", "other")])))
    assert run.new == 0
    assert _authors(db) == {tid: "@kls_team"}
    db.dispose()

"""A twarc2 page's users are dated by when twarc read the page (`__twarc.retrieved_at`),
not by their tweets: a full-archive search run after the campaign shows each author as they
are then, and the profile it brings replaces one stored from an earlier look."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import Database
from knowvember.models import Account
from tests.conftest import BASE_CONFIG
from tests.fakeapi import x_id, x_page, x_tweet, x_user

USER_ID = "1191672311587868999"
EARLY = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
LATE = dt.datetime(2019, 11, 25, 14, 0, tzinfo=dt.UTC)


def _file(path: Path, when: dt.datetime, username: str, *, retrieved: str | None = None,
          flattened: bool = False) -> Path:
    tweet = x_tweet(x_id(when), f"Peer assist at {username} #KNOWvember19", USER_ID, when)
    user = x_user(USER_ID, username, name=username)
    value = {**tweet, "author": user} if flattened else x_page([tweet], [user])
    if retrieved is not None:
        value["__twarc"] = {"url": "https://api.twitter.com/2/tweets/search/all?query=x",
                            "version": "2.14.0", "retrieved_at": retrieved}
    path.write_bytes(orjson.dumps(value) + b"\n")
    return path


def _import(db: Database, path: Path) -> None:
    (run,) = ingest.import_files(db, parse_settings(BASE_CONFIG), "twarc2", [path],
                                 ingest.Hooks(lock_wait=0)).runs
    assert run.status == "ok", run.error


def _handle(db: Database) -> str:
    with db.begin() as conn:
        return str(conn.execute(sa.select(Account.handle)).scalar_one())


def test_a_search_run_after_the_campaign_brings_the_renamed_handle(db, tmp_path: Path
                                                                  ) -> None:  # type: ignore[no-untyped-def]
    # Stored first: the account as of its tweet of 25 November.
    _import(db, _file(tmp_path / "sheet.jsonl", LATE, "UHL_Library"))
    # A full-archive search of 2 December finds its tweet of 5 November, and shows the
    # account as it is on 2 December: renamed.
    search = _file(tmp_path / "search.jsonl", EARLY, "UHL_Knowledge",
                   retrieved="2019-12-02T10:00:00+00:00")
    # Pages whose `__twarc` says no time in a readable form are read as any other.
    page = orjson.loads(search.read_bytes())
    odd = [{**page, "__twarc": value} for value in ("2.14.0", {"retrieved_at": 5},
                                                    {"retrieved_at": "yesterday"})]
    search.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in [page, *odd]))
    _import(db, search)
    assert _handle(db) == "@uhl_knowledge"


def test_a_flattened_tweet_is_dated_by_its_twarc_time_too(db, tmp_path: Path
                                                         ) -> None:  # type: ignore[no-untyped-def]
    _import(db, _file(tmp_path / "sheet.jsonl", LATE, "UHL_Library"))
    _import(db, _file(tmp_path / "flat.jsonl", EARLY, "UHL_Knowledge", flattened=True,
                      retrieved="2019-12-02T10:00:00+00:00"))
    assert _handle(db) == "@uhl_knowledge"


def test_an_archive_read_before_the_stored_profile_does_not_replace_it(
        db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(db, _file(tmp_path / "search.jsonl", LATE, "UHL_Knowledge",
                      retrieved="2019-12-02T10:00:00+00:00"))
    # Read on 26 November, before that search: an older profile, whatever its tweets' dates.
    _import(db, _file(tmp_path / "older.jsonl", LATE + dt.timedelta(hours=1), "UHL_Library",
                      retrieved="2019-11-26T08:00:00+00:00"))
    assert _handle(db) == "@uhl_knowledge"

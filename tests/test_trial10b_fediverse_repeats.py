"""The tenth session's second trial of Mastodon and Bluesky over a campaign month: pages a
coordinator's script saved every half hour and appended to one file hold each post many
times, its counts rising and its text edited; files joined out of order (`cat toots-*.jsonl`
puts toots-10 before toots-2) hold the newest copy first. The store kept the copy last in
the file, so such a file lost the edit (text, techniques) and lowered the counts."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_id, mastodon_status

HOME = "https://nhs.social"
AT = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
LIBRARY = mastodon_account("uhl_library", HOME, note="Library 📚 &amp; knowledge")


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


def stored(db) -> list[tuple[str, int, int, str]]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT platform_id, likes, reposts, text FROM posts ORDER BY platform_id"))]


def _versions() -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    """A toot as three half-hourly saves saw it: first, edited (a Retrospect added, 4
    likes), then with more likes and a boost."""
    first = mastodon_status(mastodon_id(AT, 1), HOME, 1,
                            "<p>Our first Peer Assist 🎉<br>#<span>KNOWvember19</span></p>",
                            ["KNOWvember19"], LIBRARY, AT, favourites=1)
    edited = copy.deepcopy(first)
    edited.update(content="<p>Our first Peer Assist 🎉 and a Retrospect<br>"
                          "#<span>KNOWvember19</span></p>",
                  edited_at="2019-11-05T12:00:00.000Z", favourites_count=4)
    later = copy.deepcopy(edited)
    later.update(favourites_count=9, reblogs_count=2)
    return first, edited, later


def test_a_file_holding_a_toots_newest_copy_first_keeps_its_edit_and_counts(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, edited, later = _versions()
    other = mastodon_status(mastodon_id(AT, 2), HOME, 2, "<p>Coffee trial #KNOWvember19</p>",
                            ["KNOWvember19"], LIBRARY, AT)
    path = tmp_path / "toots.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(page) for page in (
        [later], [edited, other], [first, other])) + b"\n")
    record = run_import(sqlite_db, "mastodon", path)
    assert (record.status, record.new, record.fetched) == ("ok", 2, 5), record.error
    (toot, likes, reposts, text), (_, *_ignored) = stored(sqlite_db)
    assert toot == first["uri"]
    assert (likes, reposts) == (9, 2)
    assert "and a Retrospect" in text


def test_a_file_holding_copies_in_order_is_stored_as_before(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "toots.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps([v]) for v in _versions()) + b"\n")
    record = run_import(sqlite_db, "mastodon", path)
    assert (record.status, record.new, record.fetched) == ("ok", 1, 3), record.error
    ((_, likes, reposts, text),) = stored(sqlite_db)
    assert (likes, reposts) == (9, 2) and "and a Retrospect" in text


def test_a_bluesky_file_holding_the_higher_counts_first_keeps_them(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    early = bluesky_post("3kx00001aaaa", "did:plc:uhl", "uhl-library.bsky.social",
                         "Peer Assist on the wards 🎉\n#KNOWvember19", AT, likes=1)
    late = copy.deepcopy(early)
    late.update(likeCount=12, repostCount=3)
    path = tmp_path / "skeets.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps({"posts": [p]}) for p in (late, early)) + b"\n")
    record = run_import(sqlite_db, "bluesky", path)
    assert (record.status, record.new, record.fetched) == ("ok", 1, 2), record.error
    ((_, likes, reposts, _text),) = stored(sqlite_db)
    assert (likes, reposts) == (12, 3)

"""The generic CSV with a post's link where its id goes, as a coordinator copies it from the
browser: a toot's or Bluesky post's link was stored as the post's id, so the same post
collected live (keyed by its status URI, or its at:// URI) was stored twice and counted
twice in every report; an X link was refused as "not an X post id"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from tests.conftest import stored_posts as stored
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial10b_fediverse_gzip import run_import

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
HOME = "https://nhs.social"
DID = "did:plc:uhl0000000000000000000"


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,author_id,created_at,text,referenced_id\n"
                    + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def test_a_toot_by_its_link_is_the_toot_collected_live(sqlite_db, tmp_path: Path
                                                       ) -> None:  # type: ignore[no-untyped-def]
    local = mastodon_id(NOV, 1)
    path = _csv(tmp_path, [
        f"mastodon,{HOME}/@uhl_library/{local},@uhl_library@nhs.social,,2019-11-05 09:30,"
        "Peer assist #KNOWvember19,",
        f"mastodon,{HOME}/@uhl_library/{local}2/,@uhl_library@nhs.social,,2019-11-05 10:30,"
        f"Thanks! #KNOWvember19,{HOME}/@uhl_library/{local}"])
    assert run_import(sqlite_db, "csv", path).new == 2
    uri = f"{HOME}/users/uhl_library/statuses/{local}"
    posts = stored(sqlite_db)
    assert set(posts) == {uri, f"{uri}2"}
    assert posts[uri].url == f"{HOME}/@uhl_library/{local}"
    assert posts[f"{uri}2"].referenced_id == uri
    # ...and the saved timeline page holding it adds nothing new
    account = mastodon_account("uhl_library", HOME)
    status = mastodon_status(local, HOME, 1, "<p>Peer assist #KNOWvember19</p>",
                             ["KNOWvember19"], account, NOV)
    status["uri"] = uri
    page = tmp_path / "page.json"
    page.write_bytes(orjson.dumps([status]))
    record = run_import(sqlite_db, "mastodon", page)
    assert record.new == 0 and len(stored(sqlite_db)) == 2


def test_a_bluesky_post_by_its_link_is_keyed_by_its_at_uri(sqlite_db, tmp_path: Path
                                                           ) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, [
        f"bluesky,https://bsky.app/profile/{DID}/post/3k000001,uhl.bsky.social,,"
        "2019-11-05 09:30,Retrospect #KNOWvember19,",
        f"bluesky,https://bsky.app/profile/uhl.bsky.social/post/3k000002,uhl.bsky.social,{DID},"
        "2019-11-05 10:30,Knowledge cafe #KNOWvember19,",
        "bluesky,https://bsky.app/profile/other.bsky.social/post/3k000003,other.bsky.social,,"
        "2019-11-05 11:30,No DID to key it by #KNOWvember19,"])
    assert run_import(sqlite_db, "csv", path).new == 3
    assert set(stored(sqlite_db)) == {
        f"at://{DID}/app.bsky.feed.post/3k000001", f"at://{DID}/app.bsky.feed.post/3k000002",
        "https://bsky.app/profile/other.bsky.social/post/3k000003"}
    page = tmp_path / "search.json"
    page.write_bytes(orjson.dumps({"posts": [bluesky_post(
        "3k000001", DID, "uhl.bsky.social", "Retrospect #KNOWvember19", NOV)]}))
    assert run_import(sqlite_db, "bluesky", page).new == 0


def test_an_x_post_by_its_link_is_read(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, [
        "x,https://x.com/UHLLibraries/status/1191672311587868672?s=20,@UHLLibraries,,"
        "2019-11-05 09:30,Peer assist #KNOWvember19,",
        "x,https://twitter.com/UHLLibraries/status/1191672311587868680,@UHLLibraries,,"
        "2019-11-05 10:30,More #KNOWvember19,https://x.com/UHLLibraries/status/1191672311587868672"])
    record = run_import(sqlite_db, "csv", path)
    assert record.status == "ok", record.error
    posts = stored(sqlite_db)
    assert set(posts) == {"1191672311587868672", "1191672311587868680"}
    assert posts["1191672311587868680"].referenced_id == "1191672311587868672"

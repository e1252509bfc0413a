"""`import csv` keys a Bluesky row without `author_id` by DID where it can: its post's link
as the browser shows it names the author's handle (`bsky.app/profile/HANDLE/post/RKEY`),
and the post was stored under the link and its author under the handle, beside the post
and account collected by DID: one post counted twice, one person two contributors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember.models import Account
from tests.conftest import stored_posts
from tests.fakeapi import bluesky_post
from tests.test_import_files import run_import

DID = "did:plc:uhllibrary0000000000000"
WHEN = dt.datetime(2019, 11, 7, 10, 0, tzinfo=dt.UTC)
HEADER = "platform,id,author_handle,created_at,text,likes,referenced_id\n"


def test_a_bsky_app_link_and_its_author_are_the_ones_collected(db, tmp_path: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    search = tmp_path / "bluesky_search.json"
    search.write_bytes(orjson.dumps({"posts": [
        bluesky_post("3kcafe", DID, "uhl.bsky.social", "Knowledge cafe #KNOWvember19", WHEN,
                     likes=2)]}))
    (run,) = run_import(db, "bluesky", search).runs
    assert run.status == "ok" and run.new == 1
    sheet = tmp_path / "posts we saw.csv"
    sheet.write_text(HEADER + (
        # The post again, from the browser's address bar, with the likes it has now.
        "bluesky,https://bsky.app/profile/UHL.bsky.social/post/3kcafe,uhl.bsky.social,"
        "2019-11-07T10:00:00Z,Knowledge cafe #KNOWvember19,5,\n"
        # A reply to it, linked the same way; and a post named by its URI alone.
        "bluesky,https://bsky.app/profile/uhl.bsky.social/post/3kthanks,uhl.bsky.social,"
        "2019-11-07T11:00:00Z,Thank you all!,0,https://bsky.app/profile/uhl.bsky.social/"
        "post/3kcafe\n"
        f"bluesky,at://{DID}/app.bsky.feed.post/3kclub,@UHL.bsky.social,"
        "2019-11-08T10:00:00Z,Journal club #KNOWvember19,1,\n"), encoding="utf-8")
    (run,) = run_import(db, "csv", sheet).runs
    assert run.status == "ok" and run.new == 2, run.error
    stored = stored_posts(db)
    assert set(stored) == {f"at://{DID}/app.bsky.feed.post/{rkey}"
                           for rkey in ("3kcafe", "3kthanks", "3kclub")}
    assert stored[f"at://{DID}/app.bsky.feed.post/3kcafe"].likes == 5
    assert stored[f"at://{DID}/app.bsky.feed.post/3kthanks"].referenced_id == (
        f"at://{DID}/app.bsky.feed.post/3kcafe")
    with db.begin() as conn:
        assert conn.execute(sa.select(Account.key, Account.handle)).all() == [
            (DID, "uhl.bsky.social")]

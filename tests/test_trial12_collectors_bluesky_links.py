"""`import csv` keys a Bluesky or Mastodon row without `author_id` as a collection does,
where the row says whose it is: a Bluesky post's URI names its author's DID, and its
bsky.app link (as the browser shows it) the handle of an account collected by DID; a
Mastodon status URI (or toot link) names its account. The posts were stored under the
link and their authors under the handle, beside those collected: one post counted twice,
one person two contributors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember.models import Account
from tests.conftest import stored_posts
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_status
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


def test_a_toot_link_without_author_id_is_by_the_account_collected(db, tmp_path: Path
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    home = "https://nhs.social"
    account = mastodon_account("lib", home)
    pages = tmp_path / "nhs.social.jsonl"
    pages.write_bytes(orjson.dumps([mastodon_status(
        "1", home, 109876, "<p>Knowledge cafe #KNOWvember19</p>", ["KNOWvember19"], account,
        WHEN)]) + b"\n")
    (run,) = run_import(db, "mastodon", pages).runs
    assert run.status == "ok" and run.new == 1
    sheet = tmp_path / "toots.csv"
    sheet.write_text(HEADER + (
        "mastodon,https://nhs.social/@lib/109876,@lib@nhs.social,2019-11-07T10:00:00Z,"
        "Knowledge cafe #KNOWvember19,3,\n"
        "mastodon,https://nhs.social/@lib/109999,@lib@nhs.social,2019-11-08T10:00:00Z,"
        "Journal club #KNOWvember19,1,\n"), encoding="utf-8")
    (run,) = run_import(db, "csv", sheet).runs
    assert run.status == "ok" and run.new == 1, run.error
    with db.begin() as conn:
        assert conn.execute(sa.select(Account.key, Account.handle)).all() == [
            ("https://nhs.social/users/lib", "@lib@nhs.social")]

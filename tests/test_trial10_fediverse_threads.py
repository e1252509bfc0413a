"""The tenth session's trial of importing saved conversations and listings: a Bluesky thread
(`getPostThread`) and a Mastodon toot's context (`/api/v1/statuses/ID/context`), as a
coordinator saves the discussion under a campaign post to keep it, and an account's posts
listed with `com.atproto.repo.listRecords`, and a Mastodon search answer. All were refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from tests.conftest import stored_posts as stored
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial9_fediverse_archives import _tid
from tests.test_trial_fediverse import CAMPAIGN

WHEN = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)
HOME = "https://nhs.social"


def _import(tmp_path: Path, kind: str, document: Any) -> tuple[ingest.RunRecord, dict]:  # type: ignore[type-arg]
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    settings = parse_settings(CAMPAIGN)
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    records = ingest.import_files(db, settings, kind, [path]).runs
    posts = stored(db)
    db.dispose()
    return records[0], posts


def _bsky(rkey: str, text: str, hours: int, parent: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    view = bluesky_post(rkey, f"did:plc:{rkey}", f"{rkey}.bsky.social", text,
                        WHEN + dt.timedelta(hours=hours))
    if parent is not None:
        ref = {"uri": parent["uri"], "cid": parent["cid"]}
        view["record"]["reply"] = {"root": ref, "parent": ref}
    return view


def test_a_saved_bluesky_thread_imports_its_posts(tmp_path: Path) -> None:
    root = _bsky("root", "Our first Retrospect #KNOWvember", 0)
    reply = _bsky("reply", "A Peer Assist next? #KNOWvember", 1, root)
    deeper = _bsky("deeper", "Yes please #KNOWvember", 2, reply)
    above = _bsky("above", "What did you all try? #KNOWvember", -1)
    thread = {"thread": {
        "$type": "app.bsky.feed.defs#threadViewPost", "post": root,
        "parent": {"$type": "app.bsky.feed.defs#threadViewPost", "post": above},
        "replies": [
            {"$type": "app.bsky.feed.defs#threadViewPost", "post": reply, "replies": [
                {"$type": "app.bsky.feed.defs#threadViewPost", "post": deeper,
                 "replies": []}]},
            {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://x/gone",
             "notFound": True},
            {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://y/blocked",
             "blocked": True, "author": {"did": "did:plc:y"}},
        ]}}
    record, posts = _import(tmp_path, "bluesky", thread)
    assert record.status == "ok", record.error
    assert set(posts) == {v["uri"] for v in (root, reply, deeper, above)}
    assert (posts[deeper["uri"]].kind, posts[deeper["uri"]].referenced_id) == (
        "reply", reply["uri"])


def test_a_saved_mastodon_conversation_imports_its_statuses(tmp_path: Path) -> None:
    person = mastodon_account("lib", HOME)
    parent = mastodon_status(mastodon_id(WHEN), HOME, 1, "<p>Retrospect #KNOWvember</p>",
                             ["knowvember"], person, WHEN)
    reply = mastodon_status(mastodon_id(WHEN + dt.timedelta(hours=1)), HOME, 2,
                            "<p>Peer Assist next? #KNOWvember</p>", ["knowvember"], person,
                            WHEN + dt.timedelta(hours=1))
    reply["in_reply_to_id"] = parent["id"]
    record, posts = _import(tmp_path, "mastodon", {"ancestors": [parent],
                                                   "descendants": [reply]})
    assert record.status == "ok", record.error
    assert set(posts) == {parent["uri"], reply["uri"]}
    assert (posts[reply["uri"]].kind, posts[reply["uri"]].referenced_id) == (
        "reply", parent["uri"])


def test_an_account_s_posts_saved_with_list_records_import(tmp_path: Path) -> None:
    """`com.atproto.repo.listRecords` (the no-sign-in way guides give to save an account's
    posts) answers records, not post views: it was refused as not a searchPosts response."""
    did = "did:plc:uhl7q3m2xk4w5v6"
    post = bluesky_post(_tid(WHEN), did, "uhl.bsky.social",
                        "Our Peer Assist today #KNOWvember", WHEN)
    like = {"uri": f"at://{did}/app.bsky.feed.like/{_tid(WHEN, 3)}", "cid": "bafylike",
            "value": {"$type": "app.bsky.feed.like", "createdAt": "2026-11-06T10:00:00Z",
                      "subject": {"uri": post["uri"], "cid": post["cid"]}}}
    listing = {"records": [{"uri": post["uri"], "cid": post["cid"], "value": post["record"]},
                           like], "cursor": "3lbq2xk4w5v6a"}
    record, posts = _import(tmp_path, "bluesky", listing)
    assert record.status == "ok", record.error
    assert set(posts) == {post["uri"]}
    assert posts[post["uri"]].created_at.replace(tzinfo=dt.UTC) == WHEN


def test_a_saved_mastodon_search_answer_imports_its_statuses(tmp_path: Path) -> None:
    """`/api/v2/search?q=%23KNOWvember&type=statuses`, what the web app's search asks."""
    person = mastodon_account("lib", HOME)
    found = mastodon_status(mastodon_id(WHEN), HOME, 5, "<p>Knowledge café #KNOWvember</p>",
                            ["knowvember"], person, WHEN)
    record, posts = _import(tmp_path, "mastodon", {"accounts": [], "statuses": [found],
                                                   "hashtags": []})
    assert record.status == "ok", record.error
    assert set(posts) == {found["uri"]}

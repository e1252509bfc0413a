"""A Bluesky profile whose display name was cleared no longer shows (and is no longer
matched to an organisation by) the name it had."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from collectors.bluesky_payload import account_from_author, from_posts
from knowvember.hashtags import CampaignTags
from knowvember.models import Account
from knowvember.store import PostWriter
from tests.fakeapi import bluesky_post

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
AT = dt.datetime(2019, 11, 8, 10, 0, tzinfo=dt.UTC)


def test_a_cleared_display_name_replaces_the_stored_one(db) -> None:  # type: ignore[no-untyped-def]
    writer = PostWriter(db, CampaignTags(["knowvember19"]), source="bluesky")
    first = bluesky_post("3ka", DID, "jane.bsky.social", "Peer assist #KNOWvember19", AT)
    first["author"]["displayName"] = "Jane, librarian at Alder Hey"
    writer.write(*from_posts([first]))
    later = bluesky_post("3kb", DID, "jane.bsky.social", "Knowledge cafe #KNOWvember19",
                         AT + dt.timedelta(days=1))
    del later["author"]["displayName"]
    writer.write(*from_posts([later]))
    with db.begin() as conn:
        assert conn.execute(sa.select(Account.display_name)).scalar_one() == ""


def test_an_author_known_by_did_alone_keeps_the_stored_name() -> None:
    assert account_from_author({"did": DID}).display_name is None
    assert account_from_author({"did": DID, "handle": "a.bsky.social",
                                "displayName": "  Jane  "}).display_name == "Jane"

"""The tenth session's trial of Mastodon payloads: quote posts of Mastodon 4.5 whose quoted
post is not in the answer were read as original posts."""

from __future__ import annotations

import datetime as dt

import pytest

from collectors.mastodon_payload import from_statuses
from tests.fakeapi import mastodon_account, mastodon_id, mastodon_status

WHEN = dt.datetime(2026, 11, 9, 10, tzinfo=dt.UTC)
HOME = "https://nhs.social"


def _status(number: int, quote: object) -> dict[str, object]:
    person = mastodon_account("lib", HOME)
    status = mastodon_status(mastodon_id(WHEN, number), HOME, number,
                             "<p>Worth a read before your Retrospect #KNOWvember</p>",
                             ["knowvember"], person, WHEN)
    status["quote"] = quote
    return status


@pytest.mark.parametrize("state", ["pending", "deleted", "unauthorized", "revoked",
                                   "rejected", "blocked_account"])
def test_a_quote_whose_post_is_not_sent_is_still_a_quote(state: str) -> None:
    posts, _ = from_statuses([_status(1, {"state": state, "quoted_status": None})])
    assert [(p.kind, p.referenced_id) for p in posts] == [("quote", None)]


def test_a_shallow_quote_is_linked_by_the_instance_s_local_id() -> None:
    """A quote inside a quote names its post by the serving instance's id only."""
    quoted = _status(2, None)
    quoting = _status(3, {"state": "accepted", "quoted_status_id": quoted["id"]})
    posts, _ = from_statuses([quoted, quoting])
    kinds = {p.platform_id: (p.kind, p.referenced_id) for p in posts}
    assert kinds[quoting["uri"]] == ("quote", quoted["uri"])
    assert kinds[quoted["uri"]] == ("original", None)


def test_a_status_without_a_quote_is_an_original() -> None:
    posts, _ = from_statuses([_status(4, None)])
    assert posts[0].kind == "original"


def test_custom_emoji_codes_are_left_out_of_a_toot_s_text() -> None:
    """A report quoted "Thank you all :blobcatheart: :nhs_logo:"; the apps show pictures."""
    status = _status(5, None)
    status["content"] = ("<p>Thank you all :blobcatheart: for the Peer Assist :nhs_logo:</p>"
                         "<p>Starts 10:30: bring a mug #KNOWvember</p>")
    status["spoiler_text"] = ":nhs_logo: KM news"
    status["emojis"] = [{"shortcode": "blobcatheart", "url": "https://x/1.png"},
                        {"shortcode": "nhs_logo", "url": "https://x/2.png"},
                        {"shortcode": "30", "url": "https://x/3.png"}]
    status["account"]["display_name"] = "UHL Library :nhs_logo::blobcatheart:"
    status["account"]["emojis"] = status["emojis"]
    posts, accounts = from_statuses([status])
    assert accounts[0].display_name == "UHL Library"
    assert posts[0].text == ("KM news\n\nThank you all for the Peer Assist\n\n"
                             "Starts 10:30: bring a mug #KNOWvember")


def test_a_boost_that_carries_its_original_reads_as_it() -> None:
    """Some servers send the boosted Note inside the Announce: its words are the boost's."""
    from collectors.mastodon_payload import from_outbox

    actor = f"{HOME}/users/lib"
    note = {"id": "https://med-mastodon.com/users/km/statuses/9", "type": "Note",
            "attributedTo": "https://med-mastodon.com/users/km",
            "published": "2026-11-08T10:00:00Z", "content": "<p>Knowledge café #KNOWvember</p>",
            "tag": [{"type": "Hashtag", "name": "#KNOWvember"}]}
    boost = {"id": f"{actor}/statuses/5/activity", "type": "Announce", "actor": actor,
             "published": "2026-11-09T10:00:00Z",
             "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": note}
    posts, _ = from_outbox([boost])
    assert [(p.kind, p.referenced_id, p.text, p.hashtags) for p in posts] == [
        ("repost", note["id"], "Knowledge café #KNOWvember", ("knowvember",))]

"""The ninth session's trial of how Mastodon statuses read: polls and custom emoji, as the
apps show them. Each test is a defect the trial found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from collectors.mastodon_payload import from_statuses
from knowvember.db import open_database
from tests.fakeapi import mastodon_account, mastodon_status
from tests.test_trial_fediverse import all_accounts, import_file, settings_for

HOME = "https://nhs.social"
NOV = dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC)
HASHTAG = (f'<a href="{HOME}/tags/knowvember" class="mention hashtag" rel="tag">'
           "#<span>KNOWvember</span></a>")


def test_a_polls_options_are_part_of_its_text_and_techniques(tmp_path: Path) -> None:
    """A poll "Which will your team try this month?" names the techniques only in its
    options; the text had none of them, and the post was tagged with no technique."""
    status = mastodon_status("1", HOME, 1, f"<p>Which will your team try? {HASHTAG}</p>",
                             ["KNOWvember"], mastodon_account("uhlibrary", HOME), NOV)
    status["poll"] = {"id": "34", "expires_at": None, "expired": False, "multiple": False,
                      "votes_count": 10, "voters_count": 10, "emojis": [],
                      "options": [{"title": "Peer Assist", "votes_count": 6},
                                  {"title": "After Action Review", "votes_count": 4}]}
    (post,), _ = from_statuses([status])
    assert post.text == "Which will your team try? #KNOWvember\n\nPeer Assist\nAfter Action Review"
    path = tmp_path / "page.json"
    path.write_text(json.dumps([status]))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "mastodon", path).new == 1
    with db.begin() as conn:
        found = {r[0] for r in conn.execute(sa.text("SELECT technique FROM post_techniques"))}
    assert len(found) == 2, found
    db.dispose()


def test_custom_emoji_are_left_out_of_a_display_name(tmp_path: Path) -> None:
    """Mastodon shows `:nhs:` in a name as the instance's picture; the leaderboard showed
    "KM Lead :nhs: :blobcat:". A colon pair that is no emoji of the account stays."""
    account = mastodon_account("kmlead", "https://med-mastodon.com",
                               acct="kmlead@med-mastodon.com")
    account["display_name"] = "KM Lead :nhs: :blobcat: (Alder Hey) 9:30:00"
    account["emojis"] = [{"shortcode": "nhs", "url": "https://med-mastodon.com/e/nhs.png",
                          "static_url": "https://med-mastodon.com/e/nhs.png",
                          "visible_in_picker": True},
                         {"shortcode": "blobcat", "url": "https://med-mastodon.com/e/b.png",
                          "static_url": "https://med-mastodon.com/e/b.png",
                          "visible_in_picker": True}]
    status = mastodon_status("1", "https://med-mastodon.com", 1, f"<p>Hello {HASHTAG}</p>",
                             ["KNOWvember"], account, NOV)
    path = tmp_path / "page.json"
    path.write_text(json.dumps([status]))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "mastodon", path).new == 1
    (stored,) = all_accounts(db)
    assert stored.display_name == "KM Lead (Alder Hey) 9:30:00"
    db.dispose()


def test_statuses_saved_by_mastodon_py_to_json_are_read(tmp_path: Path) -> None:
    """Mastodon.py 2 saves what it returned with `to_json()`, wrapped in
    `{"_mastopy_type": ..., "_mastopy_data": ...}`: a page saved so (pretty-printed, or one
    per line) was refused as 'not a Mastodon tag timeline page'."""
    from mastodon.return_types import Status
    from mastodon.types_base import PaginatableList, try_cast_recurse

    lib = mastodon_account("uhlibrary", HOME, acct="uhlibrary")
    statuses = [mastodon_status(str(n), HOME, n, f"<p>Peer Assist {n} {HASHTAG}</p>",
                                ["KNOWvember"], lib, NOV + dt.timedelta(hours=n))
                for n in range(1, 4)]
    page = try_cast_recurse(PaginatableList[Status], statuses)
    one = try_cast_recurse(Status, statuses[0])
    whole, lines = tmp_path / "page.json", tmp_path / "statuses.jsonl"
    whole.write_text(page.to_json())
    lines.write_text(one.to_json(pretty=False) + "\n")
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    first = import_file(db, settings, "mastodon", whole)
    assert (first.status, first.new) == ("ok", 3), first.error
    second = import_file(db, settings, "mastodon", lines)
    assert (second.status, second.fetched, second.new) == ("ok", 1, 0), second.error
    db.dispose()


class _NoCopies(dict[str, str]):
    """A map of local ids that fails when copied (dict() of a subclass that overrides
    `__iter__` goes through `keys`)."""

    def keys(self):  # type: ignore[no-untyped-def,override]
        raise AssertionError("the caller's local_uris was copied")

    def __iter__(self):  # type: ignore[no-untyped-def,override]
        raise AssertionError("the caller's local_uris was copied")


def test_the_local_ids_map_grows_in_place_and_is_never_copied() -> None:
    """Each page copied the whole map of local ids (up to 200,000) twice: reading a file was
    quadratic, 2,700 statuses a second at 20,000. The map must grow where it is, and a reply
    on a later page still finds its parent's URI through it."""
    parent = mastodon_status("1", HOME, 1, f"<p>Peer assist today {HASHTAG}</p>",
                             ["KNOWvember"], mastodon_account("uhlibrary", HOME), NOV)
    reply = mastodon_status("2", HOME, 2, f"<p>Great session {HASHTAG}</p>", ["KNOWvember"],
                            mastodon_account("kls", HOME), NOV + dt.timedelta(minutes=5))
    reply["in_reply_to_id"] = "1"
    uris = _NoCopies()
    from_statuses([parent], local_uris=uris)
    assert dict.get(uris, "1") == parent["uri"]
    (post,), _ = from_statuses([reply], local_uris=uris)
    assert post.referenced_id == parent["uri"] and post.kind == "reply"

"""The tenth session's trial of a Mastodon account archive as a library downloads it: a ZIP
(Settings > Import and export > Request your archive) holding outbox.json, actor.json and the
media. `import mastodon` refused it as "a ZIP archive, not JSON"; its likes.json imported as
an empty page, and its actor.json was "not a tag timeline page"."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from knowvember.db import open_database
from tests.conftest import stored_posts as stored
from tests.test_trial9_fediverse_archives import ACTOR, library_outbox
from tests.test_trial_fediverse import all_accounts, import_file, settings_for


def _archive(tmp_path: Path, outbox: bytes | None) -> Path:
    path = tmp_path / "archive-20261201093000-3f9c2a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("actor.json", json.dumps({
            "id": ACTOR, "type": "Person", "preferredUsername": "uhlibrary",
            "name": "UHL Library and Knowledge Service :nhs:",
            "summary": "<p>Evidence for <a href=\"https://nhs.social/tags/nhs\">#NHS</a> staff</p>",
            "tag": [{"type": "Emoji", "name": ":nhs:", "icon": {"url": "https://x/nhs.png"}}]}))
        archive.writestr("media_attachments/files/113/401/original/a.png", b"\x89PNG" * 500)
        if outbox is not None:
            archive.writestr("outbox.json", outbox)
        archive.writestr("likes.json", json.dumps({"type": "OrderedCollection",
                                                   "orderedItems": []}))
    return path


def test_a_downloaded_account_archive_imports_its_outbox(tmp_path: Path) -> None:
    outbox = json.dumps(library_outbox("https://med-mastodon.com/users/kmlead/statuses/77"),
                        indent=2).encode()
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", _archive(tmp_path, outbox))
    posts = stored(db)
    again = import_file(db, settings, "mastodon", _archive(tmp_path, outbox))
    accounts = all_accounts(db)
    db.dispose()
    assert record.status == "ok", record.error
    assert f"{ACTOR}/statuses/113401" in posts and record.details["not_public"] == 2
    assert (again.status, again.new) == ("ok", 0)
    library = next(a for a in accounts if a.key == ACTOR)  # named from actor.json
    assert (library.display_name, library.bio) == ("UHL Library and Knowledge Service",
                                                   "Evidence for #NHS staff")


def test_a_bad_line_in_an_archive_is_named_by_the_archive(tmp_path: Path) -> None:
    """A problem is reported as ARCHIVE.zip:outbox.json:N, not by a temporary copy."""
    lines = [json.dumps(item) for item in library_outbox("x")["orderedItems"][:2]]
    path = _archive(tmp_path, "\n".join([lines[0], '{"type": "Create", "act', lines[1]])
                    .encode())
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    db.dispose()
    assert record.status == "partial" and record.new == 1
    assert f"{path}:outbox.json:2" in json.dumps(record.details)
    assert "knowvember-" not in json.dumps(record.details)


def test_a_zip_without_an_outbox_is_still_refused_by_name(tmp_path: Path) -> None:
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", _archive(tmp_path, None))
    db.dispose()
    assert record.status == "failed" and "ZIP" in (record.error or "")


def test_the_archive_s_likes_json_is_named_not_imported_as_empty(tmp_path: Path) -> None:
    """likes.json (and bookmarks.json) list post addresses only: it imported as "ok, no
    posts in the file (an empty page of results)", and the librarian thought it done."""
    path = tmp_path / "likes.json"
    path.write_text(json.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                                "id": "likes.json", "type": "OrderedCollection",
                                "orderedItems": ["https://nhs.social/users/a/statuses/1",
                                                 "https://med-mastodon.com/@b/2"]}))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    db.dispose()
    assert record.status == "failed"
    assert "likes.json or bookmarks.json" in json.dumps(record.details) + (record.error or "")


def test_the_archive_s_actor_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "actor.json"
    path.write_text(json.dumps({"id": ACTOR, "type": "Person", "preferredUsername": "lib",
                                "outbox": "outbox.json"}))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    db.dispose()
    assert record.status == "failed"
    assert "actor.json" in json.dumps(record.details) + (record.error or "")


def test_a_boost_of_the_library_s_own_post_reads_as_that_post(tmp_path: Path) -> None:
    """A boost in an outbox named its original by URI only and was stored without text,
    so a library boosting its own campaign post had a repost with no words and no
    hashtags. An original in the same outbox (before or after the boost) gives its own."""
    outbox = library_outbox("unused")
    items = outbox["orderedItems"]
    own = f"{ACTOR}/statuses/113401"
    items[8]["object"] = own  # the boost now boosts the library's own Peer Assist post
    items.reverse()  # newest first, as a server's outbox page lists them
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps(outbox))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    posts = stored(db)
    db.dispose()
    assert record.status == "ok", record.error
    boost = posts[f"{ACTOR}/statuses/113409/activity"]
    assert (boost.kind, boost.referenced_id) == ("repost", own)
    assert boost.text == posts[own].text and "Peer Assist" in boost.text

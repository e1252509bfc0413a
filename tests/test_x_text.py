"""X tweet text as people wrote it: X sends `&`, `<`, `>` as HTML entities, the records do not.

The recorded search page shows it ("Debt &amp; owned"). Every way an X post arrives is
checked: a twarc2 page (mapped, and looked up first), a retweet whose text is built from its
original, a flattened tweet, a v1.1 tweet, and live collection. The raw payload stays as sent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from collectors import twarc2
from collectors.x_payload import from_flat_tweet, from_v1_tweet
from knowvember.records import PostRecord
from tests.fakeapi import FIXTURES, FakeAPI
from tests.test_collect_x import run, setup, stored

DEBT = "1440716848299872269"  # "Id rather have had Billions in Debt &amp; owned ..."
STURGEON = "1440715975020584960"  # "And @AngelaRayner &amp; #NicolaSturgeon blame #Brexit.."
RETWEET = "1440716165953687555"  # "RT @ScoPoliticsNews: ... 'Better Together' &amp; 'Brexit' ..."
RETWEETED = "1440640864158556162"  # its original, in includes.tweets


def recorded() -> dict[str, Any]:
    return json.loads((FIXTURES / "twitter_search_recent_2.json").read_text())


def tweet(page: dict[str, Any], tid: str) -> dict[str, Any]:
    return next(t for t in [*page["data"], *page["includes"]["tweets"]] if t["id"] == tid)


def read(tmp_path: Path, page: dict[str, Any], *, asking: bool = False,
         raw_bytes: bool = False) -> dict[str, PostRecord]:
    path = tmp_path / "page.jsonl"
    path.write_bytes(orjson.dumps(page) + b"\n")
    known = (lambda items: set()) if asking else None
    posts = {}
    for chunk in twarc2.read(path, known=known, raw_bytes=raw_bytes):
        assert chunk.errors == []
        posts.update((p.platform_id, p) for p in chunk.posts)
    return posts


@pytest.mark.parametrize("asking", [False, True], ids=["mapped", "asked first"])
def test_a_recorded_page_stores_the_text_unescaped_and_the_raw_payload_as_sent(
        tmp_path: Path, asking: bool) -> None:
    page = recorded()
    posts = read(tmp_path, page, asking=asking)
    assert "Billions in Debt & owned something" in posts[DEBT].text
    escaped = [t for t in [*page["data"], *page["includes"]["tweets"]] if "&amp;" in t["text"]]
    assert len(escaped) == 10
    for sent in escaped:
        post = posts[sent["id"]]
        assert "&amp;" not in post.text and "&" in post.text
        assert post.raw == orjson.dumps(sent).decode()  # the line's bytes for the tweet
    # Not one stored text still holds an entity X put there.
    assert not [p.text for p in posts.values() if "&amp;" in p.text or "&lt;" in p.text]


def test_the_raw_bytes_handed_on_are_the_bytes_received(tmp_path: Path) -> None:
    page = recorded()
    post = read(tmp_path, page, raw_bytes=True)[DEBT]
    assert post.raw == orjson.dumps(tweet(page, DEBT))
    assert "Debt & owned" in post.text


def test_text_that_held_an_entity_keeps_it_and_lt_gt_are_read(tmp_path: Path) -> None:
    """Unescaped once: someone who typed "&amp;" (sent as "&amp;amp;") sees "&amp;"."""
    page = recorded()
    debt = tweet(page, DEBT)
    debt["text"] = debt["text"].replace("&amp;", "&amp;amp;") + " &lt;3 &gt;_&lt;"
    text = read(tmp_path, page)[DEBT].text
    assert "Billions in Debt &amp; owned" in text
    assert text.endswith(" <3 >_<")


def test_hashtags_and_mentions_are_read_beside_an_entity(tmp_path: Path) -> None:
    page = recorded()
    assert "&amp; #NicolaSturgeon" in tweet(page, STURGEON)["text"]
    post = read(tmp_path, page)[STURGEON]
    assert post.text.startswith("And @AngelaRayner & #NicolaSturgeon blame #Brexit")
    assert post.hashtags == ("nicolasturgeon", "brexit")
    assert post.mentions == ("@angelarayner",)
    del tweet(page, STURGEON)["entities"]  # tags then come from the text itself
    assert read(tmp_path, page)[STURGEON].hashtags == ("nicolasturgeon", "brexit")


def test_a_retweet_built_from_its_original_is_unescaped_once(tmp_path: Path) -> None:
    page = recorded()
    original = tweet(page, RETWEETED)
    assert "&amp;" in original["text"]
    original["text"] = original["text"].replace("&amp;", "&amp;amp;")
    posts = read(tmp_path, page)
    expected = original["text"].replace("&amp;amp;", "&amp;")
    assert posts[RETWEET].text == f"RT @ScoPoliticsNews: {expected}"
    assert posts[RETWEETED].text == expected and posts[RETWEETED].context_only


def test_a_flattened_tweet_is_unescaped(tmp_path: Path) -> None:
    page = recorded()
    users = {u["id"]: u for u in page["includes"]["users"]}
    flat = copy.deepcopy(tweet(page, RETWEET))
    original = tweet(page, RETWEETED)
    flat["author"] = users[flat["author_id"]]
    flat["referenced_tweets"] = [{"type": "retweeted", **original,
                                  "author": users[original["author_id"]]}]
    posts, _ = from_flat_tweet(flat)
    assert posts[0].text == "RT @ScoPoliticsNews: " + original["text"].replace("&amp;", "&")
    assert posts[1].text == original["text"].replace("&amp;", "&")
    assert "&amp;" in posts[0].raw
    path = tmp_path / "flat.jsonl"
    path.write_bytes(orjson.dumps(flat) + b"\n")
    (chunk,) = twarc2.read(path)
    assert [p.text for p in chunk.posts] == [p.text for p in posts]


def test_a_v1_tweet_and_its_retweeted_original_are_unescaped_once() -> None:
    text = tweet(recorded(), DEBT)["text"]  # v1.1 escaped text the same way
    typed = text  # what someone who wrote "&amp;" in the original sees: sent as "&amp;amp;"
    user = {"id_str": "44", "screen_name": "OldArchive", "name": "Old & New"}
    original = {"id_str": "1191672311000000001", "full_text": text.replace("&amp;", "&amp;amp;"),
                "created_at": "Tue Nov 05 10:00:00 +0000 2019", "user": user}
    retweet = {"id_str": "1191672311000000002", "created_at": "Tue Nov 05 11:00:00 +0000 2019",
               "text": "RT @OldArchive: " + text[:100], "user": user,
               "retweeted_status": original}
    posts, accounts = from_v1_tweet(retweet)
    assert posts[0].text == "RT @OldArchive: " + typed
    assert posts[1].text == typed and "Debt &amp; owned" in typed
    assert "Debt & owned" in from_v1_tweet({**retweet, "retweeted_status": None})[0][0].text
    assert accounts[0].display_name == "Old & New"  # names come plain: left as they are
    assert "&amp;amp;" in posts[1].raw


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI().load_fixtures() as server:
        yield server


def test_live_collection_stores_the_text_unescaped(api: FakeAPI, tmp_path: Path) -> None:
    settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}")
    record = run(settings, db)
    assert record.status == "ok", record.error
    posts = stored(db)
    assert "Billions in Debt & owned something" in posts[DEBT].text
    assert "&amp;" in posts[DEBT].raw and orjson.loads(posts[DEBT].raw) == tweet(recorded(), DEBT)
    assert not [p.text for p in posts.values() if "&amp;" in p.text]
    db.dispose()

"""A new coordinator's trial of the X archive imports against real-world shapes.

Long posts (`note_tweet`), v1.1 tweets re-exported without `id_str`, TAGS sheets with X's
HTML-escaped text and Excel-spoiled reply ids, the "RT @name:" retweet prefix read alike by
every X import, and the same post arriving through TAGS and then twarc2.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from collectors import csvfile, tags, twarc2, x_payload
from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.models import Account
from tests.conftest import BASE_CONFIG, hashtags_of
from tests.conftest import stored_posts as stored
from tests.fakeapi import x_id, x_page, x_tweet, x_user
from tests.test_import_files import TAGS_HEADER, tags_row

NOV = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)
CAFE = ("Our Knowledge Cafe today brought clinicians and librarians together to share what "
        "works when evidence meets practice on the wards. ") * 3


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (run,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                 ingest.Hooks(lock_wait=0)).runs
    return run


def jsonl(path: Path, *values: object) -> Path:
    path.write_bytes(b"".join(orjson.dumps(v) + b"\n" for v in values))
    return path


def long_post(tid: str, author: str = "111") -> dict[str, object]:
    """A post over 280 characters as the v2 API sends it: `text` cut at 280 (the campaign
    hashtag at its end lost), the whole text and its hashtags in `note_tweet`."""
    whole = CAFE + "Thanks all! #KNOWvember2019 #PeerAssist"
    tweet = x_tweet(tid, CAFE[:279] + "…", author, NOV)
    tweet["note_tweet"] = {"text": whole, "entities": {"hashtags": [
        {"start": whole.index("#KNOW"), "end": whole.index("#KNOW") + 15, "tag": "KNOWvember2019"},
        {"start": whole.index("#Peer"), "end": len(whole), "tag": "PeerAssist"}]}}
    return tweet


# -- long posts (note_tweet) --------------------------------------------------------------


def test_a_long_post_is_stored_with_its_whole_text_and_the_hashtags_past_280(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tid = x_id(NOV, 1)
    path = jsonl(tmp_path / "knowvember2019.jsonl",
                 x_page([long_post(tid)], [x_user("111", "UHLLibraries")]))
    run = run_import(db, "twarc2", path)
    assert (run.status, run.new, run.skipped) == ("ok", 1, 0)
    post = stored(db)[tid]
    assert post.text.endswith("Thanks all! #KNOWvember2019 #PeerAssist")
    assert post.text.startswith(CAFE)
    assert hashtags_of(db, tid) == {"knowvember2019", "peerassist"}


def test_a_long_post_whose_note_has_no_entities_is_tagged_from_its_text(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tid = x_id(NOV, 2)
    tweet = long_post(tid)
    del tweet["note_tweet"]["entities"]  # type: ignore[attr-defined]
    path = jsonl(tmp_path / "a.jsonl", x_page([tweet], [x_user("111", "UHLLibraries")]))
    assert run_import(db, "twarc2", path).new == 1
    assert hashtags_of(db, tid) == {"knowvember2019", "peerassist"}


def test_a_retweet_of_a_long_post_reads_the_originals_whole_text(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    original_id, retweet_id = x_id(NOV, 3), x_id(NOV, 4)
    retweet = x_tweet(retweet_id, "RT @UHLLibraries: " + CAFE[:110] + "…", "222", NOV,
                      refs=[("retweeted", original_id)])
    page = x_page([retweet], [x_user("111", "UHLLibraries"), x_user("222", "KnowledgeNHS")],
                  [long_post(original_id)])
    run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl", page))
    posts = stored(db)
    assert posts[retweet_id].kind == "repost"
    assert posts[retweet_id].text == "RT @UHLLibraries: " + posts[original_id].text
    assert "knowvember2019" in hashtags_of(db, retweet_id)


def test_a_flattened_long_post_is_read_from_its_note(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tid = x_id(NOV, 5)
    flat = {**long_post(tid), "author": x_user("111", "UHLLibraries"),
            "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.12.0",
                        "retrieved_at": "2019-12-01T10:00:00+00:00"}}
    run = run_import(db, "twarc2", jsonl(tmp_path / "flat.jsonl", flat))
    assert (run.new, run.skipped) == (1, 0)
    assert stored(db)[tid].text.endswith("#PeerAssist")


# -- v1.1 ---------------------------------------------------------------------------------


def test_a_v1_tweet_re_exported_without_id_str_is_read_as_v1(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tid = x_id(NOV, 6)
    tweet = {"created_at": "Wed Nov 06 10:00:00 +0000 2019", "id": int(tid),
             "text": "Journal club &amp; coffee #KNOWvember19", "truncated": False,
             "entities": {"hashtags": [{"text": "KNOWvember19", "indices": [26, 39]}]},
             "user": {"id": 111, "screen_name": "UHLLibraries", "name": "UHL Libraries"},
             "retweet_count": 2, "favorite_count": 4}
    run = run_import(db, "twarc2", jsonl(tmp_path / "twarc1.jsonl", tweet))
    assert (run.status, run.new) == ("ok", 1)
    post = stored(db)[tid]
    assert (post.text, post.likes) == ("Journal club & coffee #KNOWvember19", 4)


def v1_tweet(tid: str, text: str, **extra: object) -> dict[str, object]:
    tweet: dict[str, object] = {
        "created_at": "Wed Nov 06 10:00:00 +0000 2019", "id": int(tid), "id_str": tid,
        "text": text, "user": {"id": 111, "id_str": "111", "screen_name": "UHLLibraries"},
        "entities": {"hashtags": [], "user_mentions": []}, "is_quote_status": False}
    tweet.update(extra)
    return tweet


def test_v1_quotes_replies_and_times_as_re_exports_write_them(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quote_id, quoted_id, reply_id, iso_id = (x_id(NOV, n) for n in (40, 41, 42, 43))
    quoted = v1_tweet(quoted_id, "Our story wall #KNOWvember19")
    rows = [
        # The quoted tweet embedded, without quoted_status_id_str.
        v1_tweet(quote_id, "Look at this #KNOWvember19", is_quote_status=True,
                 quoted_status=quoted),
        # Only the numeric in_reply_to_status_id kept.
        v1_tweet(reply_id, "@UHLLibraries lovely", in_reply_to_status_id=int(quoted_id)),
        v1_tweet(iso_id, "Rewritten time #KNOWvember19", created_at="2019-11-06T11:00:00.000Z"),
    ]
    run = run_import(db, "twarc2", jsonl(tmp_path / "twarc1.jsonl", *rows))
    assert (run.status, run.details["line_errors"]) == ("ok", 0)
    posts = stored(db)
    assert (posts[quote_id].kind, posts[quote_id].referenced_id) == ("quote", quoted_id)
    assert (posts[reply_id].kind, posts[reply_id].referenced_id) == ("reply", quoted_id)
    assert posts[iso_id].created_at.replace(tzinfo=None) == dt.datetime(2019, 11, 6, 11, 0)


def test_a_v1_time_that_is_no_time_is_named(tmp_path) -> None:
    tid = x_id(NOV, 44)
    path = jsonl(tmp_path / "twarc1.jsonl", v1_tweet(tid, "x #KNOWvember19", created_at="soon"))
    (chunk,) = twarc2.read(path)
    assert not chunk.posts
    assert [(e.line, "soon" in e.message) for e in chunk.errors] == [(1, True)]


@pytest.mark.parametrize("name", ["tweet.json", "tweet.jsonl"])
def test_a_saved_single_tweet_lookup_reads_as_a_page_of_one(db, tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    tid = x_id(NOV, 45)
    response = {"data": x_tweet(tid, "Single lookup #KNOWvember19", "111", NOV),
                "includes": {"users": [x_user("111", "UHLLibraries")]}}
    path = tmp_path / name
    path.write_text(json.dumps(response, indent=2 if name.endswith(".json") else None))
    run = run_import(db, "twarc2", path)
    assert (run.status, run.new) == ("ok", 1)
    assert stored(db)[tid].url == f"https://x.com/UHLLibraries/status/{tid}"


# -- TAGS ---------------------------------------------------------------------------------


def write_tags(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, TAGS_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_tags_text_is_unescaped_once_and_the_raw_row_kept_as_the_sheet_had_it(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [tags_row("1191672311587869001", "KnowledgeNHS",
                     "Peer assist &amp; lunch &lt;3 #KNOWvember19"),
            tags_row("1191672311587869002", "UHLLibraries",
                     "Q&amp;A: what &amp;lt; means #KNOWvember19")]
    run_import(db, "tags", write_tags(tmp_path / "TAGS - Archive.csv", rows))
    posts = stored(db)
    assert posts["1191672311587869001"].text == "Peer assist & lunch <3 #KNOWvember19"
    assert posts["1191672311587869002"].text == "Q&A: what &lt; means #KNOWvember19"
    assert json.loads(posts["1191672311587869001"].raw)["text"] == rows[0]["text"]


def test_the_same_post_through_tags_then_twarc2_is_one_post_with_plain_text(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tid = "1191672311587869001"
    sheet = write_tags(tmp_path / "TAGS.csv", [tags_row(tid, "UHLLibraries",
                                                        "Peer assist &amp; lunch #KNOWvember19",
                                                        from_user_id_str="111")])
    run_import(db, "tags", sheet)
    tweet = x_tweet(tid, "Peer assist &amp; lunch #KNOWvember19", "111", NOV, likes=7)
    again = run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl",
                                           x_page([tweet], [x_user("111", "UHLLibraries")])))
    assert (again.new, again.updated) == (0, 1)
    posts = stored(db)
    assert list(posts) == [tid]
    assert (posts[tid].text, posts[tid].likes) == ("Peer assist & lunch #KNOWvember19", 7)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1


def test_an_excel_spoiled_reply_id_keeps_the_reply_but_no_wrong_reference(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [tags_row("1191672311587869020", "UHLLibraries", "@KnowledgeNHS great #KNOWvember19",
                     in_reply_to_status_id_str="1191672311587870000"),  # Excel kept 15 digits
            tags_row("1191672311587869021", "UHLLibraries", "@KnowledgeNHS yes #KNOWvember19",
                     in_reply_to_status_id_str="1.19167E+18"),
            tags_row("1191672311587869022", "UHLLibraries", "@KnowledgeNHS ok #KNOWvember19",
                     in_reply_to_status_id_str="1191672311587868672")]
    run = run_import(db, "tags", write_tags(tmp_path / "excel.csv", rows, "cp1252"))
    assert (run.status, run.new) == ("ok", 3)
    posts = stored(db)
    assert [(posts[r["id_str"]].kind, posts[r["id_str"]].referenced_id) for r in rows] == [
        ("reply", None), ("reply", None), ("reply", "1191672311587868672")]


def entities_with_links(*expanded: str) -> str:
    return json.dumps({"hashtags": [{"text": "KNOWvember19"}], "user_mentions": [],
                       "urls": [{"url": f"https://t.co/{n}", "expanded_url": url}
                                for n, url in enumerate(expanded)]})


def test_a_tags_quote_is_read_from_the_permalink_x_appends(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quoted = "1191672311587868672"
    rows = [
        tags_row("1191672311587869040", "UHLLibraries", "So true #KNOWvember19 https://t.co/1",
                 entities_str=entities_with_links("https://nhs.uk/km",
                                                  f"https://twitter.com/KfH/status/{quoted}")),
        tags_row("1191672311587869041", "UHLLibraries", "@KfH yes #KNOWvember19 https://t.co/0",
                 in_reply_to_status_id_str="1191672311587860001",
                 entities_str=entities_with_links(f"https://x.com/KfH/status/{quoted}?s=20")),
        tags_row("1191672311587869042", "UHLLibraries", "A link #KNOWvember19 https://t.co/0",
                 entities_str=entities_with_links("https://nhs.uk/status/123")),
        tags_row("1191672311587869043", "UHLLibraries", "Own link #KNOWvember19",
                 entities_str=entities_with_links(
                     "https://twitter.com/UHLLibraries/status/1191672311587869043")),
    ]
    run_import(db, "tags", write_tags(tmp_path / "TAGS.csv", rows))
    posts = stored(db)
    assert [(posts[r["id_str"]].kind, posts[r["id_str"]].referenced_id) for r in rows] == [
        ("quote", quoted), ("quote", quoted), ("original", None), ("original", None)]


# -- "RT @name:" read alike ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "author"), [
    ("RT @KnowledgeNHS: Peer assist #KNOWvember19", "KnowledgeNHS"),
    ("RT @a_b_1: x", "a_b_1"),
    ("RT @KnowledgeNHS Peer assist, typed by hand #KNOWvember19", None),
    ("rt @KnowledgeNHS: lower case is typed by hand", None),
    ("Great RT @KnowledgeNHS: quoted inside", None),
    ("RT @: nobody", None),
])
def test_every_x_import_reads_a_retweet_prefix_alike(text: str, author: str | None) -> None:
    assert x_payload.retweeted_author(text) == author
    kind = "repost" if author else "original"
    tags_post, _ = tags.from_row(tags_row("1191672311587869001", "UHLLibraries", text))
    csv_post, _ = csvfile.from_row({"platform": "x", "id": "1191672311587869001",
                                    "author_handle": "@UHLLibraries",
                                    "created_at": "2019-11-05T09:30:00Z", "text": text})
    assert (tags_post.kind, csv_post.kind) == (kind, kind)


def test_a_csv_rows_kind_wins_over_its_text_and_only_x_text_is_read(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    retweet = "@UHLLibraries,2019-11-05T09:30:00Z,RT @Kfh: Peer Assist #KNOWvember19"
    path.write_text(
        "platform,id,author_handle,created_at,text,kind\n"
        f"x,1191672311587869030,{retweet},\n"
        f"x,1191672311587869031,{retweet},quote\n"
        "mastodon,https://nhs.social/users/lib/statuses/1,@lib@nhs.social,2019-11-06 10:00,"
        "RT @a: b #knowvember19,\n", encoding="utf-8")
    assert run_import(db, "csv", path).new == 3
    posts = stored(db)
    assert [posts[i].kind for i in ("1191672311587869030", "1191672311587869031",
                                    "https://nhs.social/users/lib/statuses/1")] == [
        "repost", "quote", "original"]


# -- edited tweets ------------------------------------------------------------------------


def versions(first: str, second: str) -> tuple[dict[str, object], dict[str, object]]:
    """An edited tweet's two versions: the first as captured before the edit (its history
    only itself), the second after it (both ids, oldest first)."""
    before = x_tweet(first, "Lunch and learn at 12 #KNOWvember2019", "111", NOV, likes=1)
    after = x_tweet(second, "Lunch and learn at 1pm #KNOWvember2019", "111", NOV, likes=4)
    after["edit_history_tweet_ids"] = [first, second]
    return before, after


@pytest.mark.parametrize("newest_first", [True, False])
def test_an_edited_tweet_in_a_file_is_one_post_the_latest(db, tmp_path, newest_first) -> None:  # type: ignore[no-untyped-def]
    first, second, reply_id = x_id(NOV, 10), x_id(NOV, 11), x_id(NOV, 12)
    before, after = versions(first, second)
    reply = x_tweet(reply_id, "@UHLLibraries see you there", "222", NOV,
                    refs=[("replied_to", first)])  # no hashtag: belongs as a reply
    tweets = [after, before, reply] if newest_first else [before, reply, after]
    users = [x_user("111", "UHLLibraries"), x_user("222", "KnowledgeNHS")]
    run = run_import(db, "twarc2", jsonl(tmp_path / "a.jsonl", x_page(tweets, users)))
    posts = stored(db)
    assert set(posts) == {second, reply_id}
    assert posts[second].text == "Lunch and learn at 1pm #KNOWvember2019"
    assert (posts[reply_id].kind, posts[reply_id].referenced_id) == ("reply", second)
    assert run.status == "ok"


def test_an_earlier_version_in_a_later_chunk_or_flattened_is_left_out(tmp_path) -> None:
    first, second, third = x_id(NOV, 20), x_id(NOV, 21), x_id(NOV, 22)
    before, after = versions(first, second)
    other = x_tweet(third, "Another #KNOWvember2019", "111", NOV)
    author = {"author": x_user("111", "UHLLibraries")}
    path = jsonl(tmp_path / "flat.jsonl", {**after, **author}, {**other, **author},
                 {**before, **author})
    chunks = list(twarc2.read(path, chunk_posts=1))
    assert [p.platform_id for c in chunks for p in c.posts] == [second, third]
    assert sum(c.superseded for c in chunks) == 1
    pages = jsonl(tmp_path / "pages.jsonl", x_page([after], [x_user("111", "UHLLibraries")]),
                  x_page([other, before], [x_user("111", "UHLLibraries")]))
    assert [p.platform_id for c in twarc2.read(pages, chunk_posts=1) for p in c.posts] == [
        second, third]


def test_an_unedited_tweets_history_changes_nothing(tmp_path) -> None:
    tweets = [x_tweet(x_id(NOV, n), f"Post {n} #KNOWvember2019", "111", NOV) for n in (30, 31)]
    path = jsonl(tmp_path / "a.jsonl", x_page(tweets, [x_user("111", "UHLLibraries")]))
    (chunk,) = twarc2.read(path)
    assert len(chunk.posts) == 2 and chunk.superseded == 0


def test_importing_a_file_with_an_edited_tweet_again_adds_nothing(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = x_id(NOV, 50), x_id(NOV, 51)
    before, after = versions(first, second)
    path = jsonl(tmp_path / "a.jsonl", x_page([after, before], [x_user("111", "UHLLibraries")]))
    assert run_import(db, "twarc2", path).new == 1
    again = run_import(db, "twarc2", path)  # the stored latest version is only peeked at
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    assert set(stored(db)) == {second}

"""Trial: `forget x:@gone2` left "Thanks @gone2 ..." in other people's posts (their text, their
`mentions`, their payloads), and so in posts.csv, the XLSX and the report's top posts.

Forgetting someone now also removes them from the posts of others that name them: the
@-handle in the text, the `mentions` entry, the display name in posts about them, references
to their erased posts (a Mastodon or Bluesky URI spells the account) and payloads that embed
them. All in the one transaction of the erasure, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember import privacy
from knowvember.db import Database
from knowvember.hashtags import CampaignTags
from knowvember.models import Post
from knowvember.privacy import REDACTED, forget, preview, redact_incoming
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.reliability_support import dump_tables

WHEN = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
TAGS = ("knowvember19",)


def _account(key: str, handle: str, name: str, platform: str = "x") -> AccountRecord:
    return AccountRecord(platform=platform, key=key, handle=handle, display_name=name,
                         bio="Clinical librarian", followers=10,
                         raw=json.dumps({"id": key, "username": handle.lstrip("@")}))


def _post(pid: str, key: str, text: str, *, platform: str = "x", kind: str = "original",
          ref: str | None = None, conversation: str | None = None,
          mentions: tuple[str, ...] = (), raw: dict | None = None) -> PostRecord:
    return PostRecord(platform=platform, platform_id=pid, account_key=key, created_at=WHEN,
                      text=text, hashtags=TAGS, kind=kind, referenced_id=ref,
                      conversation_id=conversation, mentions=mentions,
                      raw=json.dumps(raw if raw is not None else {"id": pid, "author_id": key}))


def _x_posts() -> list[PostRecord]:
    """Gone (@gone2, "Gail Onetwo", id 700) posts twice; Bob names her in every way."""
    return [
        _post("10", "700", "Our #KNOWvember19 journal club"),
        _post("11", "700", "Our #KNOWvember19 knowledge cafe"),
        _post("20", "2", "Thanks @Gone2 and @carol for the #KNOWvember19 cafe, Gail Onetwo rocks",
              mentions=("@gone2", "@carol"),
              raw={"id": "20", "entities": {"mentions": [{"username": "Gone2", "id": "700"},
                                                         {"username": "carol", "id": "3"}]}}),
        _post("21", "2", "@gone2 Great idea #KNOWvember19", kind="reply", ref="10",
              conversation="10", mentions=("@gone2",),
              raw={"id": "21", "in_reply_to_user_id": "700"}),
        _post("22", "2", "Worth a look #KNOWvember19", kind="quote", ref="11",
              raw={"id": "22", "includes": {"users": [{"id": "700", "name": "Gail Onetwo",
                                                       "username": "gone2"}]}}),
        # Not about her: another Gail Onetwo may be meant, and @gone22 is someone else.
        _post("23", "2", "Gail Onetwo from the other trust said hi to @gone22 #KNOWvember19",
              mentions=("@gone22",)),
        _post("24", "2", "Our own #KNOWvember19 day"),
        # A retweet of one of her posts that is not stored: her words all the same.
        _post("25", "2", "RT @Gone2: Our #KNOWvember19 peer assist", kind="repost", ref="99",
              mentions=("@gone2",)),
    ]


def _x_accounts() -> list[AccountRecord]:
    return [_account("700", "@gone2", "Gail Onetwo 📚 (she/her)"),
            _account("2", "@boblib", "Bob Lib"),
            _account("3", "@carol", "Carol C")]


def _writer(db: Database) -> PostWriter:
    return PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")


def _rows(db: Database) -> dict[str, sa.Row]:
    with db.begin() as conn:
        return {r.platform_id: r for r in conn.execute(
            sa.select(Post.platform_id, Post.text, Post.mentions, Post.referenced_id,
                      Post.conversation_id, Post.kind, Post.raw, Post.raw_z))}


def _names_gone(row: sa.Row) -> bool:
    values = " ".join(str(v) for v in row if v is not None).lower()
    return "gone2" in values.replace("gone22", "") or "gail onetwo" in values \
        or '"700"' in values


def test_forget_removes_the_account_from_other_peoples_posts(db, settings) -> None:  # type: ignore[no-untyped-def]
    _writer(db).write(_x_posts(), _x_accounts())
    report = forget(db, "x:@gone2", settings)
    assert (report.posts, report.reposts) == (2, 1)  # the retweet of a post not stored
    assert (report.others_posts_redacted, report.raw_payloads_cleared) == (3, 3)
    rows = _rows(db)
    assert sorted(rows) == ["20", "21", "22", "23", "24"]  # Bob's posts stay
    mention, reply, quote = rows["20"], rows["21"], rows["22"]
    assert mention.text == (f"Thanks {REDACTED} and @carol for the #KNOWvember19 cafe, "
                            f"{REDACTED} rocks")
    assert mention.mentions == "@carol" and mention.raw is None
    assert reply.text == f"{REDACTED} Great idea #KNOWvember19" and reply.mentions is None
    assert reply.kind == "reply" and quote.kind == "quote"  # still counted as such
    assert reply.referenced_id == reply.conversation_id == privacy.reference_mark("x", "10")
    assert quote.referenced_id == privacy.reference_mark("x", "11") and quote.raw is None
    assert quote.text == "Worth a look #KNOWvember19"
    assert not any(_names_gone(row) for row in rows.values() if row is not rows["23"])
    # Not about her: a name alone does not say who is meant; @gone22 is another account.
    other = rows["23"]
    assert other.text.startswith("Gail Onetwo from") and "@gone22" in other.text
    assert other.mentions == "@gone22" and other.raw is not None


def test_forget_removes_mastodon_and_bluesky_mentions_references_and_payloads(db, settings) -> None:  # type: ignore[no-untyped-def]
    gone_key = "https://nhs.social/users/gone"
    gone_post = f"{gone_key}/statuses/1"
    bob_key = "https://other.social/users/bob"
    did = "did:plc:gonegonegone"
    at_post = f"at://{did}/app.bsky.feed.post/abc"
    writer = _writer(db)
    writer.write(
        [_post(gone_post, gone_key, "#KNOWvember19 cafe", platform="mastodon"),
         _post(f"{bob_key}/statuses/2", bob_key, "@gone Lovely! #KNOWvember19",
               platform="mastodon", kind="reply", ref=gone_post, mentions=("@gone@nhs.social",),
               raw={"id": "2", "mentions": [{"acct": "gone@nhs.social",
                                             "url": "https://nhs.social/@gone"}]}),
         _post(f"{bob_key}/statuses/3", bob_key, "Ask @gone@nhs.social #KNOWvember19",
               platform="mastodon", mentions=("@gone@nhs.social",))],
        [_account(gone_key, "@gone@nhs.social", "Gone Person", "mastodon"),
         _account(bob_key, "@bob@other.social", "Bob", "mastodon")])
    writer.write(
        [_post(at_post, did, "#KNOWvember19", platform="bluesky"),
         # A reply deep in her thread: its text does not name her, its URIs do.
         _post("at://did:plc:bob/app.bsky.feed.post/r", "did:plc:bob",
               "Same here #KNOWvember19", platform="bluesky", kind="reply",
               ref="at://did:plc:carol/app.bsky.feed.post/c",
               conversation=f"at://{did}/app.bsky.feed.post/root",
               raw={"record": {"reply": {"root": {"uri": f"at://{did}/app.bsky.feed.post/root"}}}})],
        [_account(did, "gone.bsky.social", "Gone Person", "bluesky"),
         _account("did:plc:bob", "bob.bsky.social", "Bob", "bluesky")])
    assert forget(db, "mastodon:@gone@nhs.social", settings).others_posts_redacted == 2
    assert forget(db, "bluesky:gone.bsky.social", settings).others_posts_redacted == 1
    rows = _rows(db)
    assert len(rows) == 3
    for row in rows.values():
        values = " ".join(str(v) for v in row if v is not None).lower()
        assert "gone" not in values and did not in values, row
    reply = rows[f"{bob_key}/statuses/2"]
    assert reply.text == f"{REDACTED} Lovely! #KNOWvember19" and reply.raw is None
    deep = rows["at://did:plc:bob/app.bsky.feed.post/r"]
    assert deep.referenced_id == "at://did:plc:carol/app.bsky.feed.post/c"  # Carol's: kept
    assert deep.conversation_id.startswith(privacy.REFERENCE_MARK)


def test_dry_run_and_the_question_count_what_the_real_run_removes(db, settings) -> None:  # type: ignore[no-untyped-def]
    _writer(db).write(_x_posts(), _x_accounts())
    before = dump_tables(db.engine.url.render_as_string(hide_password=False))
    would = preview(db, "x:@gone2", settings)
    assert dump_tables(db.engine.url.render_as_string(hide_password=False)) == before
    did = forget(db, "x:@gone2", settings)
    assert would.to_json() == did.to_json()


def test_a_failure_part_way_leaves_everything_as_it_was(db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The scrubbing of other posts is written, then the erasure fails: nothing stays."""
    _writer(db).write(_x_posts(), _x_accounts())
    before = dump_tables(db.engine.url.render_as_string(hide_password=False))

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(privacy.payloads, "retrain", broken)
    with pytest.raises(RuntimeError):
        forget(db, "x:@gone2", settings)
    assert dump_tables(db.engine.url.render_as_string(hide_password=False)) == before


def test_importing_the_same_posts_again_brings_nothing_back(db, settings) -> None:  # type: ignore[no-untyped-def]
    _writer(db).write(_x_posts(), _x_accounts())
    forget(db, "x:@gone2", settings)
    scrubbed = _rows(db)
    again = _writer(db).write(_x_posts(), _x_accounts())
    assert again.new == 0
    assert _rows(db) == scrubbed  # a stored text, payload or reference is never replaced


def test_redact_incoming_scrubs_a_new_post_that_names_a_forgotten_account(db, settings) -> None:  # type: ignore[no-untyped-def]
    """What PostWriter needs to call so a new post mentioning the account stays clean."""
    forget(db, "x:@gone2", settings)
    forget(db, "mastodon:@gone@nhs.social", settings)
    with db.begin() as conn:
        digests = privacy.forgotten_digests(conn)
    post = _post("30", "2", "RT-free thanks @GONE2, @gone22 and @carol #KNOWvember19",
                 mentions=("@gone2", "@gone22", "@carol"))
    assert redact_incoming(post, digests)
    assert post.text == f"RT-free thanks {REDACTED}, @gone22 and @carol #KNOWvember19"
    assert post.mentions == ("@gone22", "@carol") and post.raw is None
    toot = _post("https://a.social/users/bob/statuses/9", "bob", "@gone hello #KNOWvember19",
                 platform="mastodon", kind="reply",
                 ref="https://nhs.social/users/gone/statuses/1", mentions=("@gone@nhs.social",))
    assert redact_incoming(toot, digests)
    assert toot.text == f"{REDACTED} hello #KNOWvember19" and toot.mentions == ()
    assert toot.referenced_id.startswith(privacy.REFERENCE_MARK)
    quote = _post("32", "2", "Worth a look #KNOWvember19", kind="quote", ref="12")
    assert not redact_incoming(quote, digests)  # an X id spells nobody...
    assert redact_incoming(quote, digests, left_out={("x", "12")})  # ...unless it was left out
    assert quote.referenced_id == privacy.reference_mark("x", "12") and quote.raw is None
    clean = _post("31", "2", "Thanks @carol #KNOWvember19", mentions=("@carol",))
    assert not redact_incoming(clean, digests) and clean.raw is not None


def test_a_new_post_mentioning_a_forgotten_account_is_stored_without_it(db, settings) -> None:  # type: ignore[no-untyped-def]
    forget(db, "x:@gone2", settings)
    _writer(db).write([_post("40", "2", "Thanks @gone2 #KNOWvember19", mentions=("@gone2",))],
                      [_account("2", "@boblib", "Bob Lib")])
    (row,) = _rows(db).values()
    assert "gone2" not in row.text and row.mentions is None


def test_the_command_says_what_it_removed_and_the_log_does_not_repeat_the_handle(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir: Path, caplog) -> None:
    write_config('[logging]\nfile = "knowvember.log"\n')
    from knowvember.config import load_settings_file
    from knowvember.db import open_database

    database = open_database(load_settings_file(campaign_dir / "campaign.toml"))
    try:
        _writer(database).write(_x_posts(), _x_accounts())
    finally:
        database.dispose()
    dry = cli("forget", "x:@gone2", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    with caplog.at_level(logging.INFO):
        real = cli("forget", "x:@gone2", "--yes", "--format", "json")
    assert real.exit_code == 0, real.stderr
    assert json.loads(dry.stdout) == json.loads(real.stdout)
    assert json.loads(real.stdout)["others_posts_redacted"] == 3
    log_file = campaign_dir / "knowvember.log"
    logged = caplog.text + (log_file.read_text(encoding="utf-8") if log_file.exists() else "")
    entry = privacy.digest("x", "handle", "@gone2")[:12]
    assert f"Forgot an account on x (forgotten list entry {entry})" in logged  # on record...
    assert "gone2" not in logged.lower()  # ...without the handle it erased
    again = cli("forget", "x:@gone2", "--dry-run")
    assert "Nothing was changed" in again.stdout and "0 post(s)" in again.stdout
    table = cli("forget", "x:@carol", "--yes")
    assert ("the account's handle, name and links to its posts from 1 post(s) by others"
            in table.stdout)


def test_a_compressed_payload_of_a_retweet_of_a_quote_of_her_is_cleared(db, settings) -> None:  # type: ignore[no-untyped-def]
    """Carol retweets Bob's quote of Gone's post: the retweet's text and reference name Bob,
    but its payload (compressed, so the database cannot search it) links to Gone's post."""
    import zstandard

    posts = _x_posts()
    payload = {"id": "26", "entities": {"urls": [
        {"expanded_url": "https://twitter.com/Gone2/status/11"}]}}
    retweet = _post("26", "3", "RT @boblib: Worth a look #KNOWvember19", kind="repost",
                    ref="22", mentions=("@boblib",))
    retweet.raw = None
    retweet.raw_z = zstandard.ZstdCompressor().compress(json.dumps(payload).encode())
    _writer(db).write([*posts, retweet], _x_accounts())
    report = forget(db, "x:@gone2", settings)
    row = _rows(db)["26"]
    assert row.raw is None and row.raw_z is None
    assert row.text == "RT @boblib: Worth a look #KNOWvember19" and row.referenced_id == "22"
    assert report.raw_payloads_cleared == 4

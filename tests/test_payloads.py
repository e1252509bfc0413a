"""Compressed raw payloads (knowvember.payloads, migration 0004): every payload reads back as
the text received, whatever kept it; a dictionary is stored once, with the first post that
needs it; a clashing dictionary id leaves its posts as text; `forget` scrubs compressed
payloads as it scrubs text; a downgrade gives every payload back as text."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic import command

from knowvember import payloads
from knowvember.db import alembic_config, create_db_engine, head_revision, open_database
from knowvember.hashtags import CampaignTags
from knowvember.models import Post, RawDictionary
from knowvember.payloads import TRAIN_MIN, Dictionary, Packer, Unpacker
from knowvember.privacy import forget, preview
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter

WHEN = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
COUNT = TRAIN_MIN + 50


def payload(n: int, *, mentions: str = "") -> str:
    tweet = {"id": str(1000 + n), "text": f"Peer Assist number {n} #KNOWvember19",
             "created_at": "2019-11-05T09:30:00.000Z", "author_id": "1",
             "public_metrics": {"retweet_count": n % 3, "like_count": n % 7},
             "entities": {"hashtags": [{"start": 20, "end": 33, "tag": "KNOWvember19"}]}}
    if mentions:
        tweet["entities"]["mentions"] = [{"username": mentions, "id": "9"}]
    return json.dumps(tweet)


def posts(texts: list[str], packer: Packer) -> list[PostRecord]:
    """Posts whose payloads the packer compressed, as a reading process sends them."""
    frames = packer.pack([t.encode() for t in texts])
    assert frames is not None
    return [PostRecord(platform="x", platform_id=str(1000 + n), account_key="1",
                       created_at=WHEN, text=f"Peer Assist {n} #KNOWvember19",
                       hashtags=("knowvember19",), raw_z=frame)
            for n, frame in enumerate(frames)]


def account() -> AccountRecord:
    return AccountRecord(platform="x", key="1", handle="@annlib")


def stored(db) -> dict[str, tuple[str | None, bytes | None]]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        return {r.platform_id: (r.raw, None if r.raw_z is None else bytes(r.raw_z))
                for r in conn.execute(sa.select(Post.platform_id, Post.raw, Post.raw_z))}


def texts_of(db) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        unpacker = Unpacker(conn)
        return {r.platform_id: unpacker.text(r.raw, r.raw_z)
                for r in conn.execute(sa.select(Post.platform_id, Post.raw, Post.raw_z))}


def dictionaries(db) -> list[int]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        return [r[0] for r in conn.execute(sa.select(RawDictionary.id))]


def test_too_few_payloads_stay_text_and_enough_train_a_dictionary_sent_once() -> None:
    packer = Packer()
    assert packer.pack([payload(n).encode() for n in range(TRAIN_MIN - 1)]) is None
    assert packer.take_new() == []
    texts = [payload(n) for n in range(COUNT)]
    frames = packer.pack([t.encode() for t in texts] + [None])
    assert frames is not None and frames[-1] is None
    (dictionary,) = packer.take_new()
    assert packer.take_new() == []  # sent with the first compressed batch only
    assert all(payloads.frame_dictionary(f) == dictionary.id for f in frames[:-1])
    assert sum(map(len, frames[:-1])) * 3 < sum(map(len, texts))  # several times smaller
    unpacker = Unpacker(None, [dictionary])
    assert [unpacker.text(None, f) for f in frames[:-1]] == texts
    assert unpacker.text("as received", None) == "as received"


def test_payloads_no_dictionary_can_be_trained_on_stay_text(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import zstandard

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise zstandard.ZstdError("Src size is incorrect")

    monkeypatch.setattr(zstandard, "train_dictionary", refuse)
    packer = Packer()
    batch = [payload(n).encode() for n in range(COUNT)]
    assert packer.pack(batch) is None and packer.pack(batch) is None  # not tried again
    assert packer.take_new() == []


def test_a_frame_whose_dictionary_is_missing_says_so(db) -> None:  # type: ignore[no-untyped-def]
    packer = Packer()
    (frame, *_) = packer.pack([payload(n).encode() for n in range(COUNT)]) or []
    with db.begin() as conn, pytest.raises(LookupError, match=r"dictionary .* missing"):
        Unpacker(conn).text(None, frame)


def test_the_writer_stores_the_dictionary_with_the_first_post_that_needs_it(db) -> None:  # type: ignore[no-untyped-def]
    texts = [payload(n) for n in range(COUNT)]
    packer = Packer()
    records = posts(texts, packer)
    (dictionary,) = packer.take_new()
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", archive=True)
    writer.write(records[:0], [account()], dictionaries=[dictionary])  # nothing needs it yet
    assert dictionaries(db) == []
    result = writer.write(records, [account()])
    assert result.new == COUNT
    assert dictionaries(db) == [dictionary.id]
    assert all(raw is None and frame for raw, frame in stored(db).values())
    assert texts_of(db) == {str(1000 + n): t for n, t in enumerate(texts)}
    # a second writer (another import) with the same dictionary stores it no second time
    other = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", archive=True)
    other.write(posts([payload(n) for n in range(COUNT, 2 * COUNT)], packer), [account()],
                dictionaries=[dictionary])
    assert dictionaries(db) == [dictionary.id]


def test_a_dictionary_whose_id_is_taken_leaves_its_posts_as_text(db) -> None:  # type: ignore[no-untyped-def]
    texts = [payload(n) for n in range(COUNT)]
    packer = Packer()
    records = posts(texts, packer)
    (dictionary,) = packer.take_new()
    with db.begin() as conn:  # another import's dictionary that drew the same id
        payloads.store(conn, [Dictionary(dictionary.id, b"another dictionary")])
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", archive=True)
    writer.write(records[:10], [account()], dictionaries=[dictionary])
    writer.write(records[10:], [account()])  # the next batch of the same reader too
    assert all(frame is None for _, frame in stored(db).values())
    assert texts_of(db) == {str(1000 + n): t for n, t in enumerate(texts)}
    with db.begin() as conn:
        assert bytes(conn.execute(sa.select(RawDictionary.data)).scalar()) == (
            b"another dictionary")


def forget_world(db, trained_on: str) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    """Ann (@annlib) posts; Bob replies to her 550 times, his payloads compressed against a
    dictionary trained on payloads that mention `trained_on`. Reply 2003 names Ann."""
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", archive=True)
    ann = AccountRecord(platform="x", key="1", handle="@annlib")
    bob = AccountRecord(platform="x", key="2", handle="@boblib")
    writer.write([PostRecord(platform="x", platform_id="1", account_key="1", created_at=WHEN,
                             text="Our #KNOWvember19 journal club", hashtags=("knowvember19",),
                             raw=payload(0))], [ann])
    packer = Packer()
    packer.pack([payload(n, mentions=trained_on).encode() for n in range(COUNT)])
    texts = [payload(n, mentions="annlib" if n == 3 else "carol") for n in range(COUNT)]
    frames = packer.pack([t.encode() for t in texts]) or []
    replies = [PostRecord(platform="x", platform_id=str(2000 + n), account_key="2",
                          created_at=WHEN, text="Great idea", kind="reply", referenced_id="1",
                          raw_z=frame) for n, frame in enumerate(frames)]
    writer.write(replies, [bob], dictionaries=packer.take_new())
    assert packer.dictionary is not None
    return texts, packer.dictionary.id


def test_forget_clears_compressed_payloads_that_name_the_account(db, settings) -> None:  # type: ignore[no-untyped-def]
    """A compressed reply that names Ann is cleared like text; a dictionary that does not
    hold her stays, with the frames made with it."""
    texts, dictionary = forget_world(db, trained_on="carol")
    report = forget(db, "x:@annlib", settings)
    assert (report.raw_payloads_cleared, report.payload_dictionaries_dropped) == (1, 0)
    kept = stored(db)
    assert kept["2003"] == (None, None)
    assert all(raw is None and frame for pid, (raw, frame) in kept.items() if pid != "2003")
    assert dictionaries(db) == [dictionary]
    assert texts_of(db) == {str(2000 + n): (None if n == 3 else t) for n, t in enumerate(texts)}


def test_forget_replaces_a_dictionary_that_holds_the_account(db, settings) -> None:  # type: ignore[no-untyped-def]
    """A dictionary is made of fragments of the payloads it learnt from: one that holds
    Ann's handle goes, and the payloads it compressed are compressed again against a new
    dictionary trained on them with her handle masked."""
    texts, first = forget_world(db, trained_on="annlib")
    with db.begin() as conn:
        assert payloads.naming(conn, ["annlib"]) == [first]  # it did learn her handle
    assert preview(db, "x:@annlib").payload_dictionaries_dropped == 1
    assert dictionaries(db) == [first]  # a preview removes nothing
    report = forget(db, "x:@annlib", settings)
    assert (report.raw_payloads_cleared, report.payload_dictionaries_dropped) == (1, 1)
    (second,) = dictionaries(db)
    assert second != first
    with db.begin() as conn:
        assert payloads.naming(conn, ["annlib", "@annlib"]) == []
    kept = stored(db)
    assert kept["2003"] == (None, None)
    assert all(raw is None and payloads.frame_dictionary(frame) == second
               for pid, (raw, frame) in kept.items() if pid != "2003" and frame)
    assert texts_of(db) == {str(2000 + n): (None if n == 3 else t) for n, t in enumerate(texts)}


def test_forget_keeps_payloads_as_text_when_no_clean_dictionary_can_be_trained(  # type: ignore[no-untyped-def]
        db, settings, monkeypatch) -> None:
    texts, _ = forget_world(db, trained_on="annlib")
    monkeypatch.setattr(Packer, "train", lambda self, samples: False)
    report = forget(db, "x:@annlib", settings)
    assert report.payload_dictionaries_dropped == 1
    assert dictionaries(db) == []
    assert all(frame is None for _, frame in stored(db).values())
    assert texts_of(db) == {str(2000 + n): (None if n == 3 else t) for n, t in enumerate(texts)}


def test_a_downgrade_gives_every_compressed_payload_back_as_text(settings, db_url) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings, url=db_url)
    texts = [payload(n) for n in range(COUNT)]
    try:
        packer = Packer()
        writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", archive=True)
        writer.write(posts(texts, packer), [account()], dictionaries=packer.take_new())
    finally:
        db.dispose()
    engine = create_db_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            assert "raw_dictionaries" not in inspector.get_table_names()
            assert "raw_z" not in {c["name"] for c in inspector.get_columns("posts")}
            got = dict(conn.exec_driver_sql("SELECT platform_id, raw FROM posts").all())
        assert got == {str(1000 + n): t for n, t in enumerate(texts)}
        with engine.begin() as conn:  # and up again: nothing to rewrite
            command.upgrade(alembic_config(conn), head_revision())
    finally:
        engine.dispose()

"""New posts get their own hashtags and techniques: the ids read back after a bulk insert
(consecutive on SQLite, looked up on PostgreSQL) belong to the posts inserted."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from knowvember.hashtags import CampaignTags
from knowvember.models import Post, PostHashtag, PostTechnique
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter

START = dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC)


def _batch(first: int, count: int) -> tuple[list[PostRecord], list[AccountRecord]]:
    accounts = [AccountRecord(platform="x", key=f"u{n}", handle=f"@user{n}") for n in range(3)]
    posts = [PostRecord(platform="x", platform_id=str(n), account_key=f"u{n % 3}",
                        created_at=START + dt.timedelta(minutes=n), text=f"post {n}",
                        hashtags=("knowvember19", f"n{n}"))
             for n in range(first, first + count)]
    return posts, accounts


def _tags_by_post(db) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    posts, tags, techniques = Post.__table__, PostHashtag.__table__, PostTechnique.__table__
    found: dict[str, set[str]] = {}
    with db.begin() as conn:
        for pid, tag in conn.execute(sa.select(posts.c.platform_id, tags.c.tag)
                                     .join(tags, tags.c.post_id == posts.c.id)):
            found.setdefault(pid, set()).add(tag)
        for pid, name in conn.execute(sa.select(posts.c.platform_id, techniques.c.technique)
                                      .join(techniques, techniques.c.post_id == posts.c.id)):
            found.setdefault(pid, set()).add(name)
    return found


def test_each_new_post_gets_its_own_tags(db) -> None:  # type: ignore[no-untyped-def]
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test",
                        tagger=lambda text: [f"t:{text}"])
    posts, accounts = _batch(0, 40)
    assert writer.write(posts, accounts).new == 40
    # The newest post is erased, so the next rows reuse ids below the old maximum.
    with db.begin() as conn:
        conn.execute(sa.delete(Post.__table__).where(Post.__table__.c.platform_id == "39"))
    posts, accounts = _batch(39, 30)  # one already gone, the rest new
    assert writer.write(posts, accounts).new == 30
    found = _tags_by_post(db)
    assert set(found) == {str(n) for n in range(69)}
    for n in range(69):
        assert found[str(n)] == {"knowvember19", f"n{n}", f"t:post {n}"}

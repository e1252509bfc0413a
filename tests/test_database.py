"""Migrations on empty and existing databases, and the post upsert on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from knowvember.db import create_db_engine, head_revision, open_database, upgrade
from knowvember.hashtags import CampaignTags
from knowvember.models import Base, Post, PostHashtag
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter, load_state


def _post(pid: str, *, likes: int = 0, tags=("knowvember19",), ref=None, kind="original"):  # type: ignore[no-untyped-def]
    return PostRecord(
        platform="x", platform_id=pid, account_key="42",
        created_at=dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC),
        text="Our #KNOWvember19 Peer Assist", hashtags=tags, likes=likes,
        referenced_id=ref, kind=kind,
    )


ACCOUNT = AccountRecord(platform="x", key="42", handle="@uhllibraries", display_name="UHL")


def test_migrations_match_models(db_url: str) -> None:
    engine = create_db_engine(db_url)
    assert upgrade(engine) == (None, head_revision())
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []


def test_upgrade_existing_database_keeps_data(settings, db_url: str) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings, url=db_url)
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write([_post("1")], [ACCOUNT])
    db.dispose()
    again = open_database(settings, url=db_url)  # opening an up-to-date database is a no-op
    assert upgrade(again.engine) == (head_revision(), head_revision())
    with again.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar() == 1
    again.dispose()


def test_second_write_updates_counts_never_duplicates(db) -> None:  # type: ignore[no-untyped-def]
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")
    first = writer.write([_post("100", likes=1), _post("101")], [ACCOUNT],
                         checkpoint={"since_id": "101"})
    assert (first.new, first.updated, first.fetched) == (2, 0, 2)
    second = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(
        [_post("100", likes=7), _post("101")], [ACCOUNT]
    )
    assert (second.new, second.updated, second.unchanged) == (0, 1, 1)
    with db.begin() as conn:
        rows = conn.execute(sa.select(Post.platform_id, Post.likes).order_by(Post.platform_id))
        assert [tuple(r) for r in rows] == [("100", 7), ("101", 0)]
        tags = conn.execute(sa.select(sa.func.count()).select_from(PostHashtag)).scalar()
        assert tags == 2
    assert load_state(db, "test") == {"since_id": "101"}


def test_off_campaign_posts_are_skipped_but_replies_to_campaign_posts_kept(db) -> None:  # type: ignore[no-untyped-def]
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")
    result = writer.write(
        [
            _post("1"),
            _post("2", tags=("brexit",)),
            _post("3", tags=(), ref="1", kind="reply"),
            _post("4", tags=(), ref="3", kind="reply"),
        ],
        [ACCOUNT],
    )
    assert (result.new, result.skipped) == (3, 1)
    later = writer.write([_post("5", tags=(), ref="4", kind="reply")], [ACCOUNT])
    assert later.new == 1


def test_ids_stay_strings(db) -> None:  # type: ignore[no-untyped-def]
    big = "1196412263462813696"  # beyond float precision
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write([_post(big)], [ACCOUNT])
    with db.begin() as conn:
        assert conn.execute(sa.select(Post.platform_id)).scalar() == big


def test_campaign_row_created_concurrently_is_read_not_duplicated(settings, db_url) -> None:  # type: ignore[no-untyped-def]
    """Two processes opening a new database at once: the loser of the insert race reads the row."""
    from concurrent.futures import ThreadPoolExecutor

    from knowvember.db import ensure_campaign

    engine = create_db_engine(db_url)
    upgrade(engine)
    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(lambda _: ensure_campaign(engine, settings), range(8)))
    engine.dispose()
    assert len(ids) == 1

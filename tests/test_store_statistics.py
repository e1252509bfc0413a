"""On PostgreSQL a writer refreshes table statistics as it fills a new table, so the
planner looks posts up through the (platform, platform_id) index instead of reading every
post of the platform for each batch."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import knowvember.store as store
from knowvember.db import open_database
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord

START = dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC)


def _batch(first: int, count: int) -> tuple[list[PostRecord], list[AccountRecord]]:
    accounts = [AccountRecord(platform="x", key="u1", handle="@user1")]
    posts = [PostRecord(platform="x", platform_id=str(n), account_key="u1",
                        created_at=START + dt.timedelta(seconds=n), hashtags=("knowvember19",))
             for n in range(first, first + count)]
    return posts, accounts


def _analyses(db) -> int:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        return int(conn.execute(sa.text(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = 'posts'::regclass"
        )).scalar() or 0)


@pytest.mark.postgres
def test_a_growing_table_is_analysed_as_it_doubles(settings, pg_url: str,  # type: ignore[no-untyped-def]
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "ANALYZE_FIRST", 20)
    db = open_database(settings, url=pg_url)
    try:
        writer = store.PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")
        before = _analyses(db)
        writer.write(*_batch(0, 10))  # 10 new: not yet
        assert _analyses(db) == before
        writer.write(*_batch(10, 15))  # 25 new: analysed, next at 50
        assert _analyses(db) == before + 1
        writer.write(*_batch(25, 20))  # 45: not yet
        writer.write(*_batch(0, 45))  # nothing new
        assert _analyses(db) == before + 1
        writer.write(*_batch(45, 10))  # 55: analysed again
        assert _analyses(db) == before + 2
    finally:
        db.dispose()

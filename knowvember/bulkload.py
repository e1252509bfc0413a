"""Big imports into SQLite: the secondary indexes are built once at the end, not row by row.

Keeping four secondary indexes (the reports' covering index, posts by account, hashtags and
techniques by name) up to date one row at a time was half of what SQLite spent on a
million-post import. When a file is large and the database holds at most half as many posts
as the file brings, the import drops those indexes, loads, and builds them again in one sorted
pass each (about 2 s for a million posts). The unique key that stops a post being stored twice
is never dropped, so every look-up the import makes stays indexed, and queries from other
commands stay correct meanwhile, only slower.

A run killed half-way leaves the indexes missing: the next command that opens the database
builds them again, unless a bulk load still holds `<database>.bulk-load.lock` (loaders share
it; whoever can take it alone knows none is running).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from knowvember.models import Post, PostHashtag, PostTechnique

log = logging.getLogger(__name__)

BULK_MIN_POSTS = 50_000  # smaller files import as fast with the indexes kept
ARCHIVE_BYTES_PER_POST = 2_000  # a twarc2 page line carries about this much per tweet

DEFERRABLE = ("ix_posts_campaign_created", "ix_posts_account_id", "ix_post_hashtags_tag",
              "ix_post_techniques_technique")


def _indexes() -> dict[str, sa.Index]:
    found = {index.name: index
             for table in (Post.__table__, PostHashtag.__table__, PostTechnique.__table__)
             for index in table.indexes}  # type: ignore[attr-defined]
    return {name: found[name] for name in DEFERRABLE}


def _lock_path(engine: Engine) -> Path | None:
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}.bulk-load.lock")


def missing(conn: Connection) -> list[str]:
    """The deferrable indexes the database lacks (none, unless a bulk load is running or was
    killed)."""
    if conn.dialect.name != "sqlite":
        return []
    present = {row[0] for row in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [name for name in DEFERRABLE if name not in present]


def build_missing(engine: Engine) -> list[str]:
    """Build the deferrable indexes that are missing; return their names."""
    from knowvember.db import translate_errors

    with translate_errors(engine), engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        names = missing(conn)
        indexes = _indexes()
        for name in names:
            indexes[name].create(conn, checkfirst=True)
    return names


def repair(engine: Engine) -> list[str]:
    """After a killed bulk load: build the indexes it dropped, unless a load is running."""
    path = _lock_path(engine)
    if path is None:
        return []
    with engine.connect() as conn:
        if not missing(conn):
            return []
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # a bulk load is running: it builds them when it ends
        started = time.perf_counter()
        names = build_missing(engine)
        if names:
            log.warning("built the indexes %s, which an interrupted import had left out "
                        "(%.1f s)", ", ".join(names), time.perf_counter() - started)
        return names
    finally:
        os.close(fd)


def worth_it(conn: Connection, expected_posts: int) -> bool:
    """Whether dropping and rebuilding beats keeping the indexes: a big file, into a database
    holding at most half as many posts as the file brings. Rebuilding then costs less than
    the load; a re-import of a file already stored (whose size says only roughly how many
    posts it holds) keeps them, since it writes next to nothing."""
    if conn.dialect.name != "sqlite" or expected_posts < BULK_MIN_POSTS:
        return False
    stored = conn.exec_driver_sql(f"SELECT max(id) FROM {Post.__tablename__}").scalar() or 0
    return 2 * int(stored) <= expected_posts


@contextlib.contextmanager
def deferred_indexes(engine: Engine, expected_posts: int) -> Iterator[bool]:
    """Within the block, the deferrable indexes are absent when that is worth it (yields
    whether they are); they are built again on the way out, whatever happened inside."""
    from knowvember.db import translate_errors

    path = _lock_path(engine)
    with translate_errors(engine), engine.connect() as conn:
        wanted = path is not None and worth_it(conn, expected_posts)
    if not wanted or path is None:
        yield False
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        with translate_errors(engine), engine.begin() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            for name in DEFERRABLE:
                conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
        log.info("bulk load: the secondary indexes are built at the end")
        try:
            yield True
        finally:
            started = time.perf_counter()
            built = build_missing(engine)
            log.info("built %d index(es) in %.1f s", len(built), time.perf_counter() - started)
    finally:
        os.close(fd)

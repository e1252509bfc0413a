"""Big SQLite imports: the secondary indexes are dropped for the load, built again at the end
(also when the load fails), left alone while a load runs, and rebuilt after a killed one."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from collectors import twarc2
from knowvember import bulkload, ingest
from knowvember import db as dbmod
from knowvember.bulkload import DEFERRABLE, deferred_indexes, repair
from knowvember.db import open_database
from knowvember.errors import DatabaseError
from knowvember.models import Post
from tests.fakeapi import x_id, x_page, x_tweet, x_user

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
TECHNIQUES = ("Peer Assist", "After Action Review", "knowledge cafe", "Retrospect")


def index_sql(engine: sa.Engine) -> dict[str, str]:
    """The deferrable indexes the database holds, with the SQL that made them."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name: sql for name, sql in rows if name in DEFERRABLE}


def drop_indexes(path: Path) -> None:
    """What a bulk load killed half-way leaves behind."""
    with sqlite3.connect(path) as conn:
        for name in DEFERRABLE:
            conn.execute(f'DROP INDEX "{name}"')
    conn.close()


def integrity(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


@contextlib.contextmanager
def shared_load_lock(database: Path) -> Iterator[None]:
    """Hold the lock a running bulk load holds."""
    fd = os.open(f"{database}.bulk-load.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def campaign_pages(pages: int = 6, per_page: int = 4) -> list[bytes]:
    """twarc2 lines: originals naming techniques, retweets of them, the originals included."""
    users = [x_user("42", "UHLLibraries"), x_user("43", "LibTeam")]
    lines = []
    for n in range(pages):
        moment = NOV + dt.timedelta(hours=n)
        originals = [x_tweet(x_id(moment, 10 * n + i),
                             f"Our {TECHNIQUES[(n + i) % len(TECHNIQUES)]} today #KNOWvember19",
                             "42", moment, likes=n + i) for i in range(per_page)]
        retweet = x_tweet(x_id(moment, 10 * n + 9),
                          f"RT @UHLLibraries: {originals[0]['text']}", "43", moment,
                          refs=[("retweeted", originals[0]["id"])])
        lines.append(orjson.dumps(x_page([retweet, *originals[1:]], users,
                                         included=originals[:1])))
    return lines


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def stored(db) -> dict[str, set[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    """Everything an import stores about posts, keyed by platform id (not by row id)."""
    with db.begin() as conn:
        def rows(sql: str) -> set[tuple[object, ...]]:
            return {tuple(r) for r in conn.exec_driver_sql(sql)}

        return {
            "posts": rows("SELECT p.platform_id, p.kind, p.text, p.likes, p.reposts, "
                          "p.referenced_id, a.handle FROM posts p "
                          "LEFT JOIN accounts a ON a.id = p.account_id"),
            "hashtags": rows("SELECT p.platform_id, h.tag FROM post_hashtags h "
                             "JOIN posts p ON p.id = h.post_id"),
            "techniques": rows("SELECT p.platform_id, t.technique FROM post_techniques t "
                               "JOIN posts p ON p.id = t.post_id"),
        }


def import_file(db, settings, path: Path, **options):  # type: ignore[no-untyped-def]
    (run,) = ingest.import_files(db, settings, "twarc2", [path], ingest.Hooks(lock_wait=0),
                                 **options).runs
    return run


@pytest.fixture
def bulk_always(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Bulk mode for any file; the list collects whether each load deferred its indexes."""
    monkeypatch.setattr(bulkload, "BULK_MIN_POSTS", 1)
    used: list[bool] = []
    real = bulkload.deferred_indexes

    @contextlib.contextmanager
    def recording(engine: sa.Engine, expected_posts: int) -> Iterator[bool]:
        with real(engine, expected_posts) as deferred:
            used.append(deferred)
            yield deferred

    monkeypatch.setattr(bulkload, "deferred_indexes", recording)
    return used


# -- deferred_indexes ---------------------------------------------------------------------


def test_a_big_load_into_an_empty_database_builds_the_indexes_at_the_end(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    before = index_sql(sqlite_db.engine)
    assert set(before) == set(DEFERRABLE)
    with deferred_indexes(sqlite_db.engine, bulkload.BULK_MIN_POSTS) as deferred:
        assert deferred is True
        assert index_sql(sqlite_db.engine) == {}
    assert index_sql(sqlite_db.engine) == before  # the same definitions, covering columns too


def test_the_indexes_come_back_when_the_load_fails(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    before = index_sql(sqlite_db.engine)
    with pytest.raises(RuntimeError), deferred_indexes(sqlite_db.engine,
                                                       bulkload.BULK_MIN_POSTS):
        assert index_sql(sqlite_db.engine) == {}
        raise RuntimeError("the reader broke")
    assert index_sql(sqlite_db.engine) == before
    with pytest.raises(KeyboardInterrupt), deferred_indexes(sqlite_db.engine,
                                                            bulkload.BULK_MIN_POSTS):
        raise KeyboardInterrupt
    assert index_sql(sqlite_db.engine) == before


def test_a_small_file_keeps_the_indexes(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    with deferred_indexes(sqlite_db.engine, bulkload.BULK_MIN_POSTS - 1) as deferred:
        assert deferred is False
        assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)


def test_a_database_holding_over_half_what_the_file_brings_keeps_the_indexes(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    big = bulkload.BULK_MIN_POSTS
    with sqlite_db.session() as session:
        session.add(Post(id=big, campaign_id=sqlite_db.campaign_id, platform="x",
                         platform_id="1", created_at=NOV, source="test"))
    for expected in (big, 2 * big - 1):  # a re-import, or a file not much bigger than that
        with deferred_indexes(sqlite_db.engine, expected) as deferred:
            assert deferred is False
            assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)
    with deferred_indexes(sqlite_db.engine, 2 * big) as deferred:
        assert deferred is True


def test_an_in_memory_database_keeps_the_indexes(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings, url="sqlite://")
    try:
        with deferred_indexes(db.engine, 10 * bulkload.BULK_MIN_POSTS) as deferred:
            assert deferred is False
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_keeps_its_indexes(settings, pg_url) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings, url=pg_url)

    def names() -> set[str]:
        with db.begin() as conn:
            return set(conn.execute(sa.text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            )).scalars())

    try:
        assert names() >= set(DEFERRABLE)
        with deferred_indexes(db.engine, 10 * bulkload.BULK_MIN_POSTS) as deferred:
            assert deferred is False
            assert names() >= set(DEFERRABLE)
        assert repair(db.engine) == []
    finally:
        db.dispose()


# -- repair after a killed load -----------------------------------------------------------


def test_opening_the_database_after_a_killed_load_builds_the_indexes(
        settings, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "knowvember.db"
    url = f"sqlite:///{path}"
    db = open_database(settings, url=url)
    before = index_sql(db.engine)
    db.dispose()
    drop_indexes(path)
    db = open_database(settings, url=url)
    try:
        assert index_sql(db.engine) == before
        assert integrity(db.engine) == "ok"
        assert "ix_posts_campaign_created" in caplog.text  # said, not silent
        assert repair(db.engine) == []  # nothing left to do
    finally:
        db.dispose()


def test_a_running_load_keeps_its_indexes_dropped_until_it_ends(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "knowvember.db"
    url = f"sqlite:///{path}"
    open_database(settings, url=url).dispose()
    drop_indexes(path)
    with shared_load_lock(path):
        db = open_database(settings, url=url)  # another command, during the load
        try:
            assert index_sql(db.engine) == {}
            assert repair(db.engine) == []
            assert index_sql(db.engine) == {}
        finally:
            db.dispose()
    db = open_database(settings, url=url)
    try:
        assert set(index_sql(db.engine)) == set(DEFERRABLE)
    finally:
        db.dispose()


def test_a_command_opened_during_a_bulk_load_leaves_the_indexes_to_it(sqlite_db, settings) -> None:  # type: ignore[no-untyped-def]
    with deferred_indexes(sqlite_db.engine, bulkload.BULK_MIN_POSTS):
        other = open_database(settings, url=str(sqlite_db.engine.url))
        try:
            assert index_sql(other.engine) == {}
        finally:
            other.dispose()
    assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)


def test_repair_returns_the_indexes_it_built(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    drop_indexes(tmp_path / "knowvember.db")
    assert repair(sqlite_db.engine) == list(DEFERRABLE)
    assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)


# -- through an import --------------------------------------------------------------------


def test_a_bulk_import_stores_exactly_what_a_normal_one_does(
        settings, tmp_path, monkeypatch, bulk_always) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", campaign_pages())
    bulk = open_database(settings, url=f"sqlite:///{tmp_path / 'bulk.db'}")
    normal = open_database(settings, url=f"sqlite:///{tmp_path / 'normal.db'}")
    try:
        seen_missing: list[list[str]] = []
        real_read = twarc2.read

        def read(*args, **kwargs):  # type: ignore[no-untyped-def]
            for chunk in real_read(*args, **kwargs):
                with bulk.engine.connect() as conn:
                    seen_missing.append(bulkload.missing(conn))
                yield chunk

        monkeypatch.setattr(twarc2, "read", read)
        first = import_file(bulk, settings, path, chunk_posts=5)
        assert bulk_always == [True]
        assert seen_missing and all(m == list(DEFERRABLE) for m in seen_missing)
        monkeypatch.setattr(twarc2, "read", real_read)
        monkeypatch.setattr(bulkload, "BULK_MIN_POSTS", 10**9)
        reference = import_file(normal, settings, path, chunk_posts=5)
        assert bulk_always == [True, False]

        assert first.status == reference.status == "ok"
        assert (first.fetched, first.new, first.skipped) == (
            reference.fetched, reference.new, reference.skipped)
        got, want = stored(bulk), stored(normal)
        assert got == want
        assert len(got["posts"]) == 6 * 5  # 4 originals and a retweet a page
        assert {t for _, t in got["techniques"]} == {
            "Peer Assist", "After Action Review", "Knowledge Café", "Retrospect"}
        assert {t for _, t in got["hashtags"]} == {"knowvember19"}
        assert set(index_sql(bulk.engine)) == set(DEFERRABLE)
        assert integrity(bulk.engine) == "ok"

        monkeypatch.setattr(bulkload, "BULK_MIN_POSTS", 1)
        again = import_file(bulk, settings, path, chunk_posts=5)
        assert (again.status, again.new, again.updated) == ("ok", 0, 0)
        assert stored(bulk) == want
        assert set(index_sql(bulk.engine)) == set(DEFERRABLE)
    finally:
        bulk.dispose()
        normal.dispose()


def foreign_key_checks_at_insert(engine: sa.Engine) -> list[int]:
    """Whether SQLite checked foreign keys (1) or not (0) at each insert of posts."""
    seen: list[int] = []

    def spy(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO posts"):
            seen.append(cursor.connection.execute("PRAGMA foreign_keys").fetchone()[0])

    sa.event.listen(engine, "before_cursor_execute", spy)
    return seen


def test_a_bulk_load_skips_foreign_key_checks_and_sets_them_back(
        settings, tmp_path, monkeypatch, bulk_always) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", campaign_pages())
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'bulk.db'}")
    try:
        checks = foreign_key_checks_at_insert(db.engine)
        run = import_file(db, settings, path, chunk_posts=5)
        assert (run.status, run.new, bulk_always) == ("ok", 30, [True])
        assert checks and set(checks) == {0}
        with db.engine.connect() as conn:
            # every reference the load made holds, and the pooled connection checks again
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(sa.exc.IntegrityError):
                conn.exec_driver_sql("INSERT INTO post_hashtags (post_id, tag) VALUES (-1, 'x')")
    finally:
        db.dispose()
    monkeypatch.setattr(bulkload, "BULK_MIN_POSTS", 10**9)
    small = open_database(settings, url=f"sqlite:///{tmp_path / 'small.db'}")
    try:
        checks = foreign_key_checks_at_insert(small.engine)
        import_file(small, settings, path, chunk_posts=5)  # not bulk: indexes and checks kept
        assert bulk_always == [True, False]
        assert checks and set(checks) == {1}
    finally:
        small.dispose()


def test_a_reader_failing_half_way_leaves_the_indexes_built(
        sqlite_db, settings, tmp_path, monkeypatch, bulk_always) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", campaign_pages())
    real_read = twarc2.read

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        chunks = real_read(*args, **kwargs)
        yield next(chunks)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(twarc2, "read", failing)
    run = import_file(sqlite_db, settings, path, chunk_posts=5)
    assert bulk_always == [True]
    assert run.status == "partial" and "cannot read the file" in (run.error or "")
    assert run.new >= 5
    assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)
    assert integrity(sqlite_db.engine) == "ok"


def test_ctrl_c_during_a_bulk_import_leaves_the_indexes_built(
        sqlite_db, settings, tmp_path, monkeypatch, bulk_always) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "nov.jsonl", campaign_pages())
    real_read = twarc2.read

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        chunks = real_read(*args, **kwargs)
        yield next(chunks)
        raise KeyboardInterrupt

    monkeypatch.setattr(twarc2, "read", interrupted)
    run = import_file(sqlite_db, settings, path, chunk_posts=5)
    assert bulk_always == [True]
    assert run.status == "partial" and "interrupted" in (run.error or "")
    assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)


def test_a_cut_short_gzip_leaves_the_indexes_built(sqlite_db, settings, tmp_path,
                                                   bulk_always) -> None:  # type: ignore[no-untyped-def]
    whole = gzip.compress(b"\n".join(campaign_pages(pages=40)) + b"\n")
    path = tmp_path / "nov.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    run = import_file(sqlite_db, settings, path, chunk_posts=5)
    assert bulk_always == [True]
    assert run.status == "partial" and "damaged or incomplete" in (run.error or "")
    assert run.new > 0
    assert set(index_sql(sqlite_db.engine)) == set(DEFERRABLE)
    assert integrity(sqlite_db.engine) == "ok"


def test_a_database_too_busy_to_drop_the_indexes_fails_the_run(
        settings, tmp_path, monkeypatch, bulk_always) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dbmod, "SQLITE_BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "knowvember.db"
    db = open_database(settings, url=f"sqlite:///{path}")
    archive = write(tmp_path / "nov.jsonl", campaign_pages())
    other_writer = sqlite3.connect(path, isolation_level=None)
    real_worth_it, real_finish_run = bulkload.worth_it, ingest.finish_run

    def busy_now(conn, expected_posts):  # type: ignore[no-untyped-def]
        other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock past the busy timeout
        return real_worth_it(conn, expected_posts)

    def finish_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        if other_writer.in_transaction:
            other_writer.execute("ROLLBACK")  # so that the run can be recorded
        return real_finish_run(*args, **kwargs)

    monkeypatch.setattr(bulkload, "worth_it", busy_now)
    monkeypatch.setattr(ingest, "finish_run", finish_run)
    try:
        try:
            run = import_file(db, settings, archive)
        except DatabaseError:
            pass
        else:
            assert run.status == "failed" and "busy" in (run.error or "")
        with db.begin() as conn:
            assert conn.exec_driver_sql("SELECT status FROM runs").scalar() != "ok"
    finally:
        other_writer.close()
        db.dispose()


def test_a_compressed_file_is_estimated_as_compressed_whatever_its_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bulk-load decision estimates a file's posts from its size, eight times over when it
    is read through gzip: `.GZ` from Windows, and gzip saved without `.gz`, are read so."""
    import gzip

    from knowvember.ingest import _gzipped

    data = gzip.compress(b'{"data": []}\n')
    (tmp_path / "ARCHIVE.JSONL.GZ").write_bytes(data)
    (tmp_path / "download").write_bytes(data)
    (tmp_path / "plain.jsonl").write_bytes(b'{"data": []}\n')
    assert _gzipped(tmp_path / "ARCHIVE.JSONL.GZ") and _gzipped(tmp_path / "download")
    assert not _gzipped(tmp_path / "plain.jsonl")
    assert not _gzipped(tmp_path / "missing.jsonl")

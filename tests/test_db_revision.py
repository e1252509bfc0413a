"""The schema revision read from the migration files and alembic's table without importing
alembic, and the page size new SQLite databases get."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember import db as dbmod
from knowvember.db import (
    _declared_head,
    alembic_config,
    create_db_engine,
    current_revision,
    head_revision,
    open_database,
)


def page_size(path: Path) -> int:
    """The page size of the file itself (a plain connection: no pragmas of ours)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def test_a_new_sqlite_database_gets_16_kib_pages(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert page_size(tmp_path / "knowvember.db") == 16384


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_an_existing_database_keeps_its_page_size(settings, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                  journal) -> None:
    path = tmp_path / "old.db"
    with monkeypatch.context() as patch:
        patch.setattr(dbmod, "SQLITE_PAGE_SIZE", 4096)  # as versions before 16 KiB made them
        open_database(settings, url=f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.close()
    assert page_size(path) == 4096
    db = open_database(settings, url=f"sqlite:///{path}")
    try:
        with db.begin() as conn:
            conn.execute(sa.text("UPDATE campaigns SET name = name || '!'"))
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        db.dispose()
    assert page_size(path) == 4096


def test_the_declared_head_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    alembic_head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _declared_head() == alembic_head
    assert head_revision() == alembic_head


@pytest.fixture
def migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrations folder of our own for `_declared_head` to read."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    monkeypatch.setattr(dbmod, "MIGRATIONS", tmp_path / "migrations")
    _declared_head.cache_clear()
    yield versions
    _declared_head.cache_clear()


def migration(revision: str, down: str, *, typed: bool = False) -> str:
    annotation = (": str", ": Union[str, Sequence[str], None]") if typed else ("", "")
    return (f'"""A step\n\nRevision ID: {revision}\nRevises: {down}\n"""\n'
            f"revision{annotation[0]} = {revision!r}\n"
            f"down_revision{annotation[1]} = {down}\n")


def test_a_chain_of_migrations_has_its_last_step_as_head(migrations) -> None:  # type: ignore[no-untyped-def]
    (migrations / "0001_a.py").write_text(migration("0001", "None"))
    (migrations / "0002_b.py").write_text(migration("0002", "'0001'", typed=True))
    (migrations / "0003_c.py").write_text(migration("0003", '"0002"'))
    assert _declared_head() == "0003"


@pytest.mark.parametrize("down", ["('0001', '0002')", "'0001'  # after a"])
def test_files_it_cannot_read_simply_are_left_to_alembic(migrations, down) -> None:  # type: ignore[no-untyped-def]
    (migrations / "0001_a.py").write_text(migration("0001", "None"))
    (migrations / "0002_b.py").write_text(migration("0002", "'0001'"))
    (migrations / "0003_merge.py").write_text(migration("0003", down))
    assert _declared_head() is None


def test_two_heads_or_a_missing_parent_are_left_to_alembic(migrations) -> None:  # type: ignore[no-untyped-def]
    (migrations / "0001_a.py").write_text(migration("0001", "None"))
    (migrations / "0002_b.py").write_text(migration("0002", "'0001'"))
    (migrations / "0003_c.py").write_text(migration("0003", "'0001'"))
    assert _declared_head() is None
    (migrations / "0003_c.py").write_text(migration("0003", "'0009'"))
    _declared_head.cache_clear()
    assert _declared_head() is None


def test_current_revision_is_none_for_a_new_database_then_the_head(settings, db_url) -> None:  # type: ignore[no-untyped-def]
    from alembic.runtime.migration import MigrationContext

    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) is None
        open_database(settings, url=db_url).dispose()
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert current_revision(conn) == MigrationContext.configure(
                conn).get_current_revision()
    finally:
        engine.dispose()

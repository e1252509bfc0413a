"""Migration 0003: the hashtag and technique tables become WITHOUT ROWID on SQLite, keeping
every row (and back again on downgrade); PostgreSQL is left as it was."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from knowvember.db import alembic_config, create_db_engine, head_revision, open_database
from tests.test_trial_stories import every_row, fill

TABLES = ("post_hashtags", "post_techniques")


def table_sql(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            TABLES).fetchall())


def plan(engine: sa.Engine, sql: str) -> str:
    with engine.connect() as conn:
        return " ".join(str(row[-1]) for row in conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {sql}"))


def at_0002(url: str, settings) -> None:  # type: ignore[no-untyped-def]
    """A database as the release before 0003 left it, holding rows of every kind."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        fill(conn, settings)
    engine.dispose()


def test_an_upgrade_keeps_every_row_and_stores_tag_rows_once(settings, db_url) -> None:  # type: ignore[no-untyped-def]
    at_0002(db_url, settings)
    before = every_row(db_url)
    assert before["post_hashtags"] and before["post_techniques"]
    engine = create_db_engine(db_url)
    if engine.dialect.name == "sqlite":
        assert all("WITHOUT ROWID" not in sql for sql in table_sql(engine).values())
    db = open_database(settings, url=db_url, upgrade_shared=True)  # upgrades to the head
    try:
        assert every_row(db_url) == before
        with db.begin() as conn:
            names = {t: {ix["name"] for ix in sa.inspect(conn).get_indexes(t)} for t in TABLES}
        assert names == {"post_hashtags": {"ix_post_hashtags_tag"},
                         "post_techniques": {"ix_post_techniques_technique"}}
        if engine.dialect.name == "sqlite":
            assert all(sql.endswith("WITHOUT ROWID") for sql in table_sql(engine).values())
            # the name index now holds the post id: a technique's posts are read from it alone
            assert "COVERING INDEX ix_post_techniques_technique" in plan(
                engine, "SELECT post_id FROM post_techniques WHERE technique = 'Peer Assist'")
            # and deleting a post still deletes its tag rows
            with db.begin() as conn:
                conn.exec_driver_sql("DELETE FROM posts")
            after = every_row(db_url)
            assert after["post_hashtags"] == after["post_techniques"] == []
    finally:
        db.dispose()
        engine.dispose()


def test_a_downgrade_gives_the_rowid_tables_back_with_their_rows(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'knowvember.db'}"
    at_0002(url, settings)
    before = every_row(url)
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), head_revision())
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert all("WITHOUT ROWID" not in sql for sql in table_sql(engine).values())
        assert every_row(url) == before
    finally:
        engine.dispose()


def test_a_new_database_has_the_tag_tables_without_rowid(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    sql = table_sql(sqlite_db.engine)
    assert set(sql) == set(TABLES)
    assert all(s.endswith("WITHOUT ROWID") for s in sql.values())

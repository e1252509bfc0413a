"""A throw-away PostgreSQL schema for the import figure, when a server answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def answers(url: str) -> str | None:
    """None when the server answers; otherwise why not (for the skipped figure)."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {_safe(url)} does not answer: {type(exc).__name__}"
    return None


def _safe(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped afterwards."""
    import sqlalchemy as sa

    schema = f"kv_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield scoped.render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()

"""One run per (database, source) at a time, across processes and machines.

SQLite: an exclusive `flock` on a file beside the database. PostgreSQL: a session-level
advisory lock, so collectors on two machines against one server do not collide.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from knowvember.db import Database, describe_db_error, translate_errors
from knowvember.errors import AlreadyRunningError

log = logging.getLogger(__name__)


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def run_lock(db: Database, name: str, *, wait: float = 10.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the lock `name` (e.g. `collect:x`) or raise AlreadyRunningError after `wait` s."""
    if db.is_sqlite:
        with _file_lock(db, name, wait, poll):
            yield
    else:
        with _advisory_lock(db, name, wait, poll):
            yield


def command_for(name: str) -> str:
    """The command a lock stands for, as the user types it: `collect:x` is
    `collect --source x`, `import:twarc2` is `import twarc2` (its format is an argument)."""
    kind, _, what = name.partition(":")
    if not what:
        return kind
    return f"collect --source {what}" if kind == "collect" else f"{kind} {what}"


def _refuse(name: str, holder: str = "") -> AlreadyRunningError:
    return AlreadyRunningError(
        f"another `{command_for(name)}` run{holder} is already running on this database; "
        "this one did nothing (try again when it has finished)"
    )


def _holder(fd: int) -> str:
    """` (process N)` from the lock file the holder wrote its id in, or "": a coordinator
    told only "another run is already running" for hours could not tell which process to
    look at (a run stuck on a dead connection, a forgotten `schedule` in another terminal)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {text})" if text.isdigit() else ""


@contextlib.contextmanager
def _file_lock(db: Database, name: str, wait: float, poll: float) -> Iterator[None]:
    database = db.engine.url.database or ""
    if not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.{name.replace(':', '-')}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _refuse(name, _holder(fd)) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_lock(db: Database, name: str, wait: float, poll: float) -> Iterator[None]:
    with translate_errors(db.engine):  # the server out of reach: a DatabaseError, not a crash
        conn = db.engine.connect()
    try:
        with translate_errors(db.engine):
            # Advisory locks are per database; the schema makes them per knowvember data set,
            # so two campaigns kept in separate schemas of one database never block each other.
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or "public"
            key = _lock_id(f"knowvember:{schema}:{name}")
            _take_advisory_lock(conn, key, name, wait, poll)
        try:
            yield
        finally:
            _release_advisory_lock(conn, key, name)
    finally:
        _close_quietly(conn)


def _take_advisory_lock(conn: sa.Connection, key: int, name: str, wait: float,
                        poll: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if got:
            return
        if time.monotonic() >= deadline:
            raise _refuse(name)
        time.sleep(poll)


def _release_advisory_lock(conn: sa.Connection, key: int, name: str) -> None:
    """Unlock; if the lock's connection broke during the run (PostgreSQL restarted, the
    network dropped), the server ended that session and its locks with it, so there is
    nothing left to release: the finished run must not turn into a crash here."""
    try:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except SQLAlchemyError as exc:
        log.warning("the connection holding the %s lock was lost during the run (%s); the "
                    "server released the lock with it", name, describe_db_error(exc))


def _close_quietly(conn: sa.Connection) -> None:
    try:
        conn.close()
    except SQLAlchemyError:  # already broken: the pool discards it
        log.debug("closing a broken lock connection failed", exc_info=True)

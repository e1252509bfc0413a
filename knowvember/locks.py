"""One run per (database, source) at a time, across processes and machines.

SQLite: an exclusive `flock` on a file beside the database. PostgreSQL: a session-level
advisory lock, so collectors on two machines against one server do not collide.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
import re
import socket
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


class HeldLock:
    """A run lock being held. A file lock stays held as long as its process lives, so
    `keep()` has nothing to do on SQLite; `AdvisoryLock` overrides it for PostgreSQL."""

    def keep(self) -> None:
        """Make sure the lock is still held, taking it again if it was lost."""


@contextlib.contextmanager
def run_lock(db: Database, name: str, *, wait: float = 10.0,
             poll: float = 0.2) -> Iterator[HeldLock]:
    """Hold the lock `name` (e.g. `collect:x`) or raise AlreadyRunningError after `wait` s."""
    if db.is_sqlite:
        with _file_lock(db, name, wait, poll):
            yield HeldLock()
    else:
        with _advisory_lock(db, name, wait, poll) as held:
            yield held


def command_for(name: str) -> str:
    """The command a lock stands for, as the user types it: `collect:x` is
    `collect --source x`, `import:twarc2` is `import twarc2` (its format is an argument)."""
    kind, _, what = name.partition(":")
    if not what:
        return kind
    return f"{kind} --source {what}" if kind in ("collect", "schedule") else f"{kind} {what}"


def _refuse(name: str, holder: str = "") -> AlreadyRunningError:
    if name.startswith("schedule:"):
        # A loop runs for the whole campaign: "try again when it has finished" would be in
        # December. The coordinator needs to hear where the one already going is.
        return AlreadyRunningError(
            f"another `knowvember schedule`{holder} already collects "
            f"{name.partition(':')[2]} from this database; this one did nothing. Stop that "
            "one first (Ctrl-C in its terminal, or `systemctl stop` its service) to start "
            "this one, or leave it collecting")
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


class AdvisoryLock(HeldLock):
    """A PostgreSQL advisory lock and the session holding it.

    The server ends a session's advisory locks with the session: a restart, the network
    dropping, or an idle session killed. A `schedule` holds its lock for a month on one idle
    connection, and went on collecting after a restart with no lock at all, so a second
    `schedule` of the same source (another machine, a laptop) was let in beside it.
    """

    def __init__(self, db: Database, name: str, key: int, conn: sa.Connection) -> None:
        self.db, self.name, self.key, self.conn = db, name, key, conn

    def keep(self) -> None:
        """Take the lock again on a new session if its session was lost; if another process
        took it meanwhile, raise AlreadyRunningError naming it, so that one run is left."""
        if self._still_held():
            return
        log.warning("the connection holding the %s lock was lost (PostgreSQL restarted, or "
                    "the network dropped); taking the lock again", self.name)
        _close_quietly(self.conn)
        with translate_errors(self.db.engine):
            self.conn = self.db.engine.connect()
        try:
            with translate_errors(self.db.engine):
                _take_advisory_lock(self.conn, self.key, self.name, 0, 0)
        except AlreadyRunningError:
            with translate_errors(self.db.engine):
                holder = _advisory_holder(self.conn, self.key)
            raise AlreadyRunningError(
                f"this {command_for(self.name)} lost its connection to PostgreSQL (the server "
                f"restarted, or the network dropped), and meanwhile another{holder} took its "
                "lock; this one stops here, so that one is left running") from None

    def _still_held(self) -> bool:
        try:
            held = self.conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND objsubid = 1 "
                "AND classid = CAST(:hi AS oid) AND objid = CAST(:lo AS oid)"),
                {"hi": (self.key >> 32) & 0xFFFFFFFF, "lo": self.key & 0xFFFFFFFF}).scalar()
            self.conn.commit()
        except SQLAlchemyError:
            log.debug("the %s lock's connection is gone", self.name, exc_info=True)
            return False
        return bool(held)


@contextlib.contextmanager
def _advisory_lock(db: Database, name: str, wait: float, poll: float) -> Iterator[AdvisoryLock]:
    with translate_errors(db.engine):  # the server out of reach: a DatabaseError, not a crash
        conn = db.engine.connect()
    held: AdvisoryLock | None = None
    try:
        with translate_errors(db.engine):
            # Advisory locks are per database; the schema makes them per knowvember data set,
            # so two campaigns kept in separate schemas of one database never block each other.
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or "public"
            key = _lock_id(f"knowvember:{schema}:{name}")
            _take_advisory_lock(conn, key, name, wait, poll)
        held = AdvisoryLock(db, name, key, conn)
        try:
            yield held
        finally:
            _release_advisory_lock(held.conn, key, name)
    finally:
        _close_quietly(held.conn if held is not None else conn)


# The lock's session names its process and machine in `application_name`, for the run that
# finds the lock taken to name them: a server's lock is held by a process on any of the
# machines sharing the database, and "already running" alone left the coordinator to guess
# which (a collector on the server, a forgotten `schedule` on a laptop).
_APP_NAME = re.compile(r"^knowvember \S+ pid (\d+) on (.+)$")
_APP_NAME_MAX = 63  # PostgreSQL keeps NAMEDATALEN - 1 bytes of it


def _session_name(name: str) -> str:
    text = f"knowvember {name} pid {os.getpid()} on {socket.gethostname() or 'localhost'}"
    return text.encode("ascii", "replace").decode("ascii")[:_APP_NAME_MAX]


def _take_advisory_lock(conn: sa.Connection, key: int, name: str, wait: float,
                        poll: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if got:
            _name_session(conn, _session_name(name))
            return
        if time.monotonic() >= deadline:
            raise _refuse(name, _advisory_holder(conn, key))
        time.sleep(poll)


def _name_session(conn: sa.Connection, value: str | None) -> None:
    """Set (or with None reset) the session's `application_name`; never fails the run."""
    try:
        if value is None:
            conn.execute(sa.text("RESET application_name"))
        else:
            conn.execute(sa.text("SELECT set_config('application_name', :v, false)"),
                         {"v": value})
        conn.commit()
    except SQLAlchemyError:
        log.debug("could not set the lock session's application_name", exc_info=True)
        with contextlib.suppress(SQLAlchemyError):
            conn.rollback()


def _advisory_holder(conn: sa.Connection, key: int) -> str:
    """` (process N on HOST, since ...)` for the session holding advisory lock `key`, or
    "" when the server does not say (another role's session, without pg_read_all_stats)."""
    try:
        row = conn.execute(sa.text(
            "SELECT a.pid, a.application_name, host(a.client_addr), a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = CAST(:hi AS oid) AND l.objid = CAST(:lo AS oid) LIMIT 1"),
            {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).first()
        conn.commit()
    except SQLAlchemyError:
        log.debug("could not look up the lock's holder", exc_info=True)
        with contextlib.suppress(SQLAlchemyError):
            conn.rollback()
        return ""
    if row is None:
        return ""
    server_pid, app_name, address, since = row
    when = (f", connected since {since.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
            if isinstance(since, dt.datetime) else "")
    match = _APP_NAME.match(app_name or "")
    if match:
        return f" (process {match.group(1)} on {match.group(2)}{when})"
    where = f" from {address}" if address else ""
    return f" (PostgreSQL session {server_pid}{where}{when})"


def _release_advisory_lock(conn: sa.Connection, key: int, name: str) -> None:
    """Unlock; if the lock's connection broke during the run (PostgreSQL restarted, the
    network dropped), the server ended that session and its locks with it, so there is
    nothing left to release: the finished run must not turn into a crash here."""
    try:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
        _name_session(conn, None)  # the pool hands the connection on: no stale name
    except SQLAlchemyError as exc:
        log.warning("the connection holding the %s lock was lost during the run (%s); the "
                    "server released the lock with it", name, describe_db_error(exc))


def _close_quietly(conn: sa.Connection) -> None:
    try:
        conn.close()
    except SQLAlchemyError:  # already broken: the pool discards it
        log.debug("closing a broken lock connection failed", exc_info=True)

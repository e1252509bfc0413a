"""Consistent backups: SQLite's online backup API, pg_dump (of the tool's schema) for PostgreSQL;
and restoring a SQLite backup into the configured database (SQLite or PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from knowvember.db import sqlite_url, translate_errors
from knowvember.errors import DatabaseError, InputError

if TYPE_CHECKING:
    from knowvember.db import Database


def backup_database(url: str, target: Path, *, force: bool = False,
                    snapshot: str | None = None) -> Path:
    """Copy the database to `target`; the copy is consistent even during writes.

    `snapshot` (PostgreSQL) is an exported snapshot pg_dump dumps, so what `back_up` counted
    in it is what the file holds.
    """
    target, parsed = _backup_target(url, target, force=force)
    if parsed.get_backend_name() == "sqlite":
        return _backup_sqlite(parsed.database or "", target)
    if parsed.get_backend_name() == "postgresql":
        return _backup_postgres(parsed, target, snapshot=snapshot)
    raise DatabaseError(f"backups of {parsed.get_backend_name()} databases are not supported")


def _backup_target(url: str, target: Path, *, force: bool) -> tuple[Path, sa.URL]:
    """The backup file, refused with the reason before anything is read or written."""
    target = target.expanduser().resolve()
    if target.is_dir():
        raise InputError(f"{target} is a folder: name the backup file, e.g. "
                         f"{target / 'knowvember-backup.db'}")
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _refuse_the_database_itself(parsed.database or "", target)
    if target.exists() and not force:
        raise InputError(f"{target} already exists; use --force to overwrite it")
    if not target.parent.is_dir():
        raise InputError(f"the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        # Said as "backup to FILE failed: unable to open database file", SQLite's words.
        raise InputError(f"cannot write in the folder {target.parent} (it is read-only, or "
                         "you may not write there): name a backup file in a folder you can "
                         "write; nothing was written")
    return target, parsed


def back_up(url: str, target: Path, *, force: bool = False) -> CopyReport:
    """`db backup`: write the backup and say what it holds, as `db restore` says what it
    copied (one report for both).

    "Backed up the database to FILE" said nothing of what FILE held: a backup of the wrong
    database (a new, empty knowvember.db beside another campaign.toml, or the SQLite file
    cron used while the campaign was on the server) looked like any other until the day it
    was restored. The SQLite figures are read from the written file; PostgreSQL's from the
    snapshot pg_dump dumps.
    """
    from knowvember.db import create_db_engine, redact_url

    target, parsed = _backup_target(url, target, force=force)
    kind = "pg_dump" if parsed.get_backend_name() == "postgresql" else "sqlite"
    report = CopyReport(action="backup", source=redact_url(url), target=str(target),
                        format=kind)
    if kind == "sqlite":
        written = backup_database(url, target, force=force)
        engine = create_db_engine(sqlite_url(written))
        try:
            with translate_errors(engine), engine.connect() as conn:
                _describe_contents(conn, report)
        finally:
            engine.dispose()
        return report
    engine = create_db_engine(url)
    try:
        with translate_errors(engine), engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # The transaction stays open while pg_dump reads its snapshot.
                snapshot = str(conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar())
                _describe_contents(conn, report)
                backup_database(url, target, force=force, snapshot=snapshot)
    finally:
        engine.dispose()
    return report


def _describe_contents(conn: Connection, report: CopyReport) -> None:
    """The schema revision, the rows of each of the tool's tables and the campaigns' slugs."""
    from knowvember.db import current_revision
    from knowvember.models import Base, Campaign

    report.revision = str(current_revision(conn) or "")
    present = set(sa.inspect(conn).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name in present:  # a database not yet upgraded lacks the newer tables
            report.rows[table.name] = int(conn.execute(
                sa.select(sa.func.count()).select_from(table)).scalar_one())
    if Campaign.__tablename__ in present:
        report.campaigns = list(conn.execute(
            sa.select(Campaign.__table__.c.slug).order_by(Campaign.__table__.c.id)).scalars())


def _refuse_the_database_itself(database: str, target: Path) -> None:
    """`db backup knowvember.db --force` replaced the live database with its copy: a run
    still writing (schedule, cron) went on into the file it had open, now unlinked, and
    everything it stored from then on was lost; the -wal file beside it no longer matched."""
    if not database or database == ":memory:":
        return
    live = Path(database).expanduser().resolve()
    files = {live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm"),
             live.with_name(live.name + "-journal")}
    if target in files or (target.exists() and live.exists() and target.samefile(live)):
        raise InputError(f"{target} is the database itself (or one of its files): name "
                         "another file for the backup, e.g. "
                         f"{live.with_name(live.stem + '-backup' + live.suffix)}")


def _backup_sqlite(database: str, target: Path) -> Path:
    if not database or database == ":memory:" or not Path(database).exists():
        raise DatabaseError(f"there is no SQLite database at {database or '(memory)'}")
    partial = target.with_name(target.name + ".partial")
    try:
        with read_sqlite(Path(database), DatabaseError) as source:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
            finally:
                dest.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"backup to {target} failed: {exc}") from exc
    except DatabaseError:
        partial.unlink(missing_ok=True)
        raise
    return target


@contextlib.contextmanager
def read_sqlite(path: Path, error: type[DatabaseError | InputError]
                ) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a SQLite file, also on a read-only share, stick or mount.

    SQLite reads a file in WAL mode (every knowvember database, and so every `db backup`
    copy) only where it can make the -shm file beside it: from a read-only folder `db
    restore` said the backup "cannot be read as a SQLite database" and `db backup` that
    writing the copy failed. Where nothing can be open on the file (no -shm beside it, no
    -wal holding changes) it is read as immutable instead, and refused if it changed
    meanwhile. Failing to read it is `error`, naming the file.
    """
    uri = path.resolve().as_uri()  # percent-encoded: a '#' or '?' in a folder name is kept
    con = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
    stamp = None
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        con.close()
        if not _unshared_read_only(path):
            raise error(f"{path} cannot be read as a SQLite database: {exc}") from exc
        stamp = _stamp(path)
        con = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as again:
            con.close()
            raise error(f"{path} cannot be read as a SQLite database: {again}") from again
    try:
        yield con
    finally:
        con.close()
    if stamp is not None and _stamp(path) != stamp:
        raise error(f"{path} changed while it was read (another process writes it, from a "
                    "folder this one cannot write); try again when it is not in use")


def _unshared_read_only(path: Path) -> bool:
    """Whether `path` is a SQLite file in a folder this process cannot write, with no -shm
    beside it (no connection has it open) and no -wal holding changes not yet in it."""
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    try:
        unsaved = wal.exists() and wal.stat().st_size > 0
    except OSError:
        unsaved = True
    return (path.is_file() and not os.access(path.parent, os.W_OK) and not shm.exists()
            and not unsaved)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _backup_postgres(url: sa.URL, target: Path, *, snapshot: str | None = None) -> Path:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DatabaseError("pg_dump is not installed; install the PostgreSQL client tools")
    env = dict(os.environ)
    password = url.password or url.query.get("password")
    if password:
        env["PGPASSWORD"] = str(password)
    selection = _selection(_knowvember_schema(url))
    # Into FILE.partial first, as for SQLite: a failed dump (the server down, the disk full)
    # leaves the last good backup under the real name, not nothing or half a dump.
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="knowvember-pg_dump-") as private:
        service = _secret_service(url, Path(private))
        if service is not None:
            env["PGSERVICEFILE"] = str(service)
        args = [pg_dump, "--format=custom", f"--file={partial}", "--no-password",
                selection, f"--dbname={conninfo(url, service=service is not None)}"]
        if snapshot:
            args.insert(-1, f"--snapshot={snapshot}")
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"pg_dump failed: {result.stderr.strip()[:500]}")
    try:
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"backup to {target} failed: {exc}") from exc
    return target


def conninfo(url: sa.URL, *, service: bool = False) -> str:
    """The URL as a libpq connection URI for pg_dump, without its password, whether in the
    URL or its query (that goes in PGPASSWORD, never on a command line others can read), or
    its `sslpassword` (in the `service` file `_secret_service` writes).

    The query is kept: it is where a URL says `options=-csearch_path=...` (the schema the
    campaign lives in), `sslmode`, or `host=/var/run/postgresql`, and pg_dump given only the
    host, port, user and database name connected differently from every other command.
    """
    query = {key: value for key, value in url.query.items()
             if key not in ("password", "sslpassword")}
    if service:
        query["service"] = PG_SERVICE
    plain = sa.URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                          database=url.database or "postgres", query=query)
    return plain.render_as_string(hide_password=False)


PG_SERVICE = "knowvember-backup"


def _secret_service(url: sa.URL, folder: Path) -> Path | None:
    """A libpq service file (readable by this user only) holding the URL's `sslpassword`,
    or None when it has none.

    The passphrase of the client key has no environment variable, as the password has
    PGPASSWORD: kept in the query, it went on pg_dump's command line, which any user of the
    machine can read (`ps`). pg_dump reads it from the service file named in PGSERVICEFILE.
    """
    value = url.query.get("sslpassword")
    if not value:
        return None
    secret = value if isinstance(value, str) else value[-1]
    path = folder / "pg_service.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"[{PG_SERVICE}]\nsslpassword={secret}\n")
    return path


def _selection(schema: str) -> str:
    """pg_dump's option for the tool's objects (tables, their sequences and indexes) in
    `schema`.

    A schema of its own is dumped with the schema itself, so a restore into an empty database
    creates it. `public` is there in every database: dumped as a schema, the restore would
    start with `CREATE SCHEMA public` and fail on "already exists", so its tables are named.
    """
    # pg_dump reads a pattern: quoted, the name is taken as written (upper case, dots or a
    # '*' in it are not pattern syntax).
    quoted = '"' + schema.replace('"', '""') + '"'
    return f"--table={quoted}.*" if schema == "public" else f"--schema={quoted}"


def _knowvember_schema(url: sa.URL) -> str:
    """The schema the tool's tables are in: the first of the URL's search_path that exists.

    The backup holds that schema only. A database shared with other applications, or with
    other campaigns kept in their own schemas, would otherwise be dumped whole, and the
    README's restore (`pg_restore --clean`) would put every other schema back as it was at
    the time of the backup.
    """
    from knowvember.db import create_db_engine

    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        with translate_errors(engine), engine.connect() as conn:
            schema, path = conn.execute(sa.text("SELECT current_schema(), "
                                                "current_setting('search_path')")).one()
    finally:
        engine.dispose()
    if not schema:
        raise DatabaseError(f"the database's search_path ({path}) names no schema that exists, "
                            "so there is nothing to back up: check the URL's options")
    return str(schema)


SQLITE_HEADER = b"SQLite format 3\x00"
RESTORE_BATCH = 2000
# Every run that writes: a restore waits for none of them and replaces the rows under them.
SCHEDULE_LOCKS = ("schedule:x", "schedule:mastodon", "schedule:bluesky")


@dataclass
class CopyReport:
    """What `db backup` wrote or `db restore` copied: one shape (and one sentence) for both.

    `source` and `target` are the database (its URL, password hidden) and the file, in the
    direction of the copy; `rows` counts each table's rows, `campaigns` the slugs held.
    """

    action: str  # "backup" or "restore"
    source: str
    target: str
    format: str = "sqlite"  # the file's: "sqlite" or "pg_dump"
    revision: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    campaigns: list[str] = field(default_factory=list)
    replaced_posts: int = 0
    replaced_stories: int = 0
    # accounts erased with `forget` after the backup was made, erased again from its rows
    forgotten_again: int = 0

    def to_json(self) -> dict[str, object]:
        return {"action": self.action, "source": self.source, "target": self.target,
                "format": self.format, "revision": self.revision, "rows": self.rows,
                "campaigns": self.campaigns, "forgotten_again": self.forgotten_again,
                "replaced_posts": self.replaced_posts,
                "replaced_stories": self.replaced_stories}

    def describe(self) -> str:
        """The sentence a coordinator reads: what went where, and what it holds."""
        rows = self.rows
        verb, joint = ("Backed up", "to") if self.action == "backup" else ("Restored", "into")
        held = (f"{rows.get('posts', 0)} post(s), {rows.get('stories', 0)} stor(y/ies), "
                f"{rows.get('runs', 0)} run(s)")
        campaigns = f" of {', '.join(self.campaigns)}" if self.campaigns else ""
        revision = f", schema {self.revision}" if self.revision else ""
        replaced = (f"; it replaced {self.replaced_posts} post(s) and {self.replaced_stories} "
                    "stor(y/ies)" if self.replaced_posts or self.replaced_stories else "")
        return f"{verb} {self.source} {joint} {self.target}: {held}{campaigns}{revision}{replaced}."


RestoreReport = CopyReport  # the name `db restore`'s report had


def restore_database(source: Path, db: Database, *, replace: bool = False) -> CopyReport:
    """Put the contents of a SQLite backup (or any knowvember SQLite database) into `db`.

    Copying the file over a database in use left its -wal file describing another file, and
    there was no way at all to move a campaign from SQLite to PostgreSQL. This reads the
    backup through SQLite (an older schema is upgraded in a copy, never in the backup) and
    writes its rows into the configured database, SQLite or PostgreSQL, in one transaction:
    a failure leaves the database as it was. No run may be going meanwhile.
    """
    from knowvember.db import redact_url

    source = _restore_source(source, db)
    with tempfile.TemporaryDirectory(prefix="knowvember-restore-") as folder:
        copy = _upgraded_copy(source, Path(folder) / "restore.db")
        try:
            revision = _revision_of(copy)
            report = CopyReport(action="restore", source=str(source),
                                target=redact_url(str(db.url)), revision=revision)
            with _every_run_lock(db), translate_errors(db.engine), db.engine.begin() as conn:
                _replace_rows(copy, conn, report, replace=replace)
        finally:
            copy.dispose()
    return report


def _restore_source(source: Path, db: Database) -> Path:
    """The backup file, refused with the reason when it is none (or is the database itself)."""
    source = source.expanduser().resolve()
    if source.is_dir():
        raise InputError(f"{source} is a folder: name the backup file (a .db from `knowvember "
                         "db backup`)")
    if not source.is_file():
        raise InputError(f"there is no file {source}")
    with source.open("rb") as handle:
        head = handle.read(16)
    if head[:5] == b"PGDMP":
        raise InputError(f"{source} is a PostgreSQL dump (from `db backup` of a PostgreSQL "
                         "database): restore it with pg_restore, as docs/reliability.md shows")
    if head != SQLITE_HEADER:
        raise InputError(f"{source} is not a SQLite database (a backup from `knowvember db "
                         "backup` of a SQLite campaign, or its knowvember.db)")
    if db.is_sqlite and db.url.database:
        live = Path(db.url.database).expanduser().resolve()
        if live.exists() and source.samefile(live):
            raise InputError(f"{source} is the configured database itself: name a backup")
    return source


def _upgraded_copy(source: Path, target: Path) -> Engine:
    """A private copy of the backup at the newest schema (an engine on it)."""
    from knowvember.db import create_db_engine, current_revision, known_revisions, upgrade

    with read_sqlite(source, InputError) as src:
        try:
            dest = sqlite3.connect(target)
            try:
                src.backup(dest)
            finally:
                dest.close()
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_FULL":
                raise InputError(f"{source} cannot be read as a SQLite database: {exc}") \
                    from exc
            # The backup was read: it is the private copy that did not fit. "cannot be read
            # as a SQLite database: database or disk is full" blamed the backup.
            folder = target.parent.parent
            raise DatabaseError(
                f"there is no room in {folder} for the private copy of {source} that `db "
                f"restore` reads (it needs about {source.stat().st_size // 2**20 + 1} MB): "
                "free some space there, or set TMPDIR to a folder with room (TMPDIR=/path "
                "knowvember db restore ...); nothing was changed") from exc
    engine = create_db_engine(sqlite_url(target))
    try:
        with translate_errors(engine), engine.connect() as conn:
            revision = current_revision(conn)
        if revision is None:
            raise InputError(f"{source} is a SQLite database, but not a knowvember one (it "
                             "has no knowvember tables)")
        if revision not in known_revisions():
            # Said as "the database is at schema revision ...", which read as the configured
            # database, not the backup.
            from knowvember import __version__

            raise InputError(f"{source} was made by a newer knowvember (schema revision "
                             f"{revision}, which knowvember {__version__} does not know): "
                             "upgrade knowvember on this machine, then restore it; nothing "
                             "was changed")
        upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


def _revision_of(engine: Engine) -> str:
    from knowvember.db import current_revision

    with engine.connect() as conn:
        return str(current_revision(conn))


@contextlib.contextmanager
def _every_run_lock(db: Database) -> Iterator[None]:
    """Every collection, import and schedule lock, or AlreadyRunningError naming the one
    going (rows a run writes while they are replaced would be lost or mixed)."""
    from knowvember.locks import run_lock
    from knowvember.privacy import LOCKS

    with contextlib.ExitStack() as stack:
        for name in (*LOCKS, *SCHEDULE_LOCKS):
            stack.enter_context(run_lock(db, name, wait=0))
        yield


def _replace_rows(source: Engine, conn: Connection, report: CopyReport, *,
                  replace: bool) -> None:
    """Empty the tables (only with `replace` when they hold posts, stories or web users) and
    copy the backup's rows into them, table by table in foreign-key order."""
    from knowvember.models import Base, ForgottenAccount, Post, Story, User

    def count(model: type) -> int:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())

    report.replaced_posts, report.replaced_stories = count(Post), count(Story)
    # A server set up with `users add` before the campaign was moved in: its coordinators'
    # web logins would be replaced by the backup's (often none) with nothing said.
    users = count(User)
    if (report.replaced_posts or report.replaced_stories or users) and not replace:
        held = (f"{report.replaced_posts} post(s), {report.replaced_stories} stor(y/ies)"
                f" and {users} web user(s)" if users else
                f"{report.replaced_posts} post(s) and {report.replaced_stories} stor(y/ies)")
        raise InputError(
            f"the configured database already holds {held}; nothing was changed. To replace "
            "them with the backup, back them up first (`knowvember db backup FILE`) and add "
            "--replace")
    tables = Base.metadata.sorted_tables
    forgotten = ForgottenAccount.__table__
    erasures = [dict(row) for row in conn.execute(sa.select(forgotten)).mappings()]
    for table in reversed(tables):
        conn.execute(table.delete())
    with source.connect() as reader:
        for table in tables:
            report.rows[table.name] = _copy_table(reader, conn, table)
        sequences = dict(reader.exec_driver_sql(
            "SELECT name, seq FROM sqlite_sequence").fetchall()) if _has_sequence(reader) else {}
    _advance_ids(conn, tables, sequences)
    _keep_erasures(conn, erasures, report)


def _keep_erasures(conn: Connection, erasures: list[dict[str, object]],
                   report: CopyReport) -> None:
    """The erasures the live database had (a `forget` after the backup was made) stay
    made: a restore must not bring back a person who asked to be erased."""
    from knowvember.models import Campaign, ForgottenAccount
    from knowvember.privacy import erase_forgotten

    forgotten = ForgottenAccount.__table__
    restored = set(conn.execute(sa.select(forgotten.c.digest)).scalars())
    missing = [row for row in erasures if row["digest"] not in restored]
    if missing:
        conn.execute(forgotten.insert(), missing)
    report.forgotten_again = erase_forgotten(conn)
    report.campaigns = list(conn.execute(sa.select(Campaign.slug).order_by(Campaign.id))
                            .scalars())


def _copy_table(reader: Connection, conn: Connection, table: sa.Table) -> int:
    """Copy one table's rows in batches (a million posts never sit in memory at once)."""
    copied = 0
    clean = _without_nul if conn.dialect.name == "postgresql" else None
    result = reader.execution_options(yield_per=RESTORE_BATCH).execute(sa.select(table))
    for batch in result.mappings().partitions(RESTORE_BATCH):
        rows = [dict(row) for row in batch]
        if clean is not None:
            rows = [{key: clean(value) for key, value in row.items()} for row in rows]
        conn.execute(table.insert(), rows)
        copied += len(batch)
    return copied


def _without_nul(value: object) -> object:
    """A NUL in text (SQLite holds one; PostgreSQL refuses any, and the whole move failed on
    one post stored by an older release) as U+FFFD, as the store writes it on both."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _has_sequence(reader: Connection) -> bool:
    return reader.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first() is not None


def _advance_ids(conn: Connection, tables: list[sa.Table], sequences: dict[str, int]) -> None:
    """New rows after a restore take ids above every restored one, and above every id the
    backup had already used (an erased story's id is never given again)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer) \
                or keys[0].autoincrement is False:
            continue
        top = max(int(conn.execute(sa.select(sa.func.max(keys[0]))).scalar() or 0),
                  int(sequences.get(table.name) or 0))
        if conn.dialect.name == "postgresql":
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": keys[0].name}).scalar()
            if sequence:
                conn.execute(sa.text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": max(top, 1), "called": top > 0})
        elif table.name in sequences or table.dialect_options["sqlite"].get("autoincrement"):
            conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table.name,))
            conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                 (table.name, top))

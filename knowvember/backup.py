"""Consistent backups: SQLite's online backup API, pg_dump (of the tool's schema) for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from knowvember.errors import DatabaseError, InputError


def backup_database(url: str, target: Path, *, force: bool = False) -> Path:
    """Copy the database to `target`; the copy is consistent even during writes."""
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
    if parsed.get_backend_name() == "sqlite":
        return _backup_sqlite(parsed.database or "", target)
    if parsed.get_backend_name() == "postgresql":
        return _backup_postgres(parsed, target)
    raise DatabaseError(f"backups of {parsed.get_backend_name()} databases are not supported")


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
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"backup to {target} failed: {exc}") from exc
    return target


def _backup_postgres(url: sa.URL, target: Path) -> Path:
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
    args = [pg_dump, "--format=custom", f"--file={partial}", "--no-password",
            selection, f"--dbname={conninfo(url)}"]
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


def conninfo(url: sa.URL) -> str:
    """The URL as a libpq connection URI for pg_dump, without its password, whether in the
    URL or its query (that goes in PGPASSWORD, never on a command line others can read).

    The query is kept: it is where a URL says `options=-csearch_path=...` (the schema the
    campaign lives in), `sslmode`, or `host=/var/run/postgresql`, and pg_dump given only the
    host, port, user and database name connected differently from every other command.
    """
    query = {key: value for key, value in url.query.items() if key != "password"}
    plain = sa.URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                          database=url.database or "postgres", query=query)
    return plain.render_as_string(hide_password=False)


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
    from knowvember.db import create_db_engine, translate_errors

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

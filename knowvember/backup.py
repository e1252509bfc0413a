"""Consistent backups: SQLite's online backup API, pg_dump for PostgreSQL."""

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
    if target.exists() and not force:
        raise InputError(f"{target} already exists; use --force to overwrite it")
    if not target.parent.is_dir():
        raise InputError(f"the folder {target.parent} does not exist")
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _backup_sqlite(parsed.database or "", target)
    if parsed.get_backend_name() == "postgresql":
        return _backup_postgres(parsed, target)
    raise DatabaseError(f"backups of {parsed.get_backend_name()} databases are not supported")


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
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # Into FILE.partial first, as for SQLite: a failed dump (the server down, the disk full)
    # leaves the last good backup under the real name, not nothing or half a dump.
    partial = target.with_name(target.name + ".partial")
    args = [pg_dump, "--format=custom", f"--file={partial}", "--no-password"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    args.append(url.database or "postgres")
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

"""`db backup FILE` while an import is writing: every copy opens, is intact, and holds the
database as it was between two batches, never in the middle of one.

SQLite copies through its online backup API; PostgreSQL through pg_dump (a snapshot), and
the dump restores with pg_restore as docs/reliability.md describes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.backup import backup_database
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_OK
from knowvember.ingest import Hooks, Progress, import_files
from tests.conftest import PG_DEFAULT, require_postgres
from tests.reliability_support import knowvember, spawn, x_world

CONFIG = """\
[campaign]
name = "KNOWvember 2019"
slug = "knowvember19"
hashtags = ["KNOWvember", "KNOWvember19", "knowvember2019"]
start = 2019-11-01
end = 2019-11-30

[database]
url = "{url}"
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[int]]:
    """A 12,000-post twarc2 file (three batches), and the post counts it can leave stored
    between batches (found by importing it once, watching each batch land)."""
    folder = tmp_path_factory.mktemp("backup-archive")
    world = x_world(12_000, start=dt.datetime(2019, 11, 1, 8, tzinfo=dt.UTC),
                    span=dt.timedelta(days=29), seed=17)
    path = world.write_twarc2(folder / "knowvember2019.jsonl")
    settings = parse_settings(CONFIG.format(url=f"sqlite:///{folder / 'counts.db'}"),
                              folder / "campaign.toml")
    db = open_database(settings)
    counts = {0}

    def seen(progress: Progress) -> None:
        counts.add(progress.new)

    try:
        outcome = import_files(db, settings, "twarc2", [path], Hooks(progress=seen))
        counts.add(outcome.runs[0].new)
    finally:
        db.dispose()
    assert len(counts) >= 3
    return path, counts


def _backups_while_importing(folder: Path, archive: Path, url: str, count: int) -> list[Path]:
    """Start the import; once its first batch has landed, take `count` backups while it
    goes on (through the function `db backup` calls: a second process would start too slowly
    to catch the import mid-way)."""
    importer = spawn("import", "twarc2", str(archive), cwd=folder)
    engine = sa.create_engine(url)
    taken = []
    try:
        while importer.poll() is None and not scalar_posts(engine):
            time.sleep(0.01)
        for number in range(count):
            target = folder / f"backup-{number}.db"
            taken.append(backup_database(url, target))
            if importer.poll() is not None:
                break
    finally:
        engine.dispose()
        _, err = importer.communicate(timeout=120)
    assert importer.returncode == EXIT_OK, err
    return taken


def scalar_posts(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM posts")).scalar() or 0)


def _sqlite_state(path: Path) -> tuple[int, int]:
    """(posts, posts missing a hashtag row) in a SQLite copy, after checking it is intact."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        posts = con.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
        bare = con.execute(
            "SELECT COUNT(*) FROM posts p WHERE p.kind = 'original' AND p.text LIKE '%#%' AND "
            "p.text NOT LIKE '%#Brexit%' AND NOT EXISTS (SELECT 1 FROM post_hashtags h "
            "WHERE h.post_id = p.id)").fetchone()[0]
    finally:
        con.close()
    return posts, bare


def test_sqlite_backups_taken_during_an_import_are_consistent(archive, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, counts = archive
    (tmp_path / "campaign.toml").write_text(CONFIG.format(url=f"sqlite:///{tmp_path / 'kv.db'}"))
    # The database exists before the import starts, as during a campaign.
    assert knowvember("db", "upgrade", cwd=tmp_path).returncode == EXIT_OK
    backups = _backups_while_importing(tmp_path, path, f"sqlite:///{tmp_path / 'kv.db'}",
                                       count=6)
    seen = set()
    for backup in backups:
        posts, bare = _sqlite_state(backup)
        assert bare == 0, "a post without its hashtags: the copy caught half a batch"
        assert posts in counts, (posts, sorted(counts))
        seen.add(posts)
    assert min(seen) > 0 and min(seen) < max(counts), "no backup overlapped the import"
    # A backup is a working database: the tool opens it and reports from it.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(backups[-1], restored / "kv.db")
    (restored / "campaign.toml").write_text(
        CONFIG.format(url=f"sqlite:///{restored / 'kv.db'}"))
    runs = knowvember("runs", "--format", "json", cwd=restored)
    assert runs.returncode == EXIT_OK and "import:twarc2" in runs.stdout


def test_a_backup_never_overwrites_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "campaign.toml").write_text(CONFIG.format(url=f"sqlite:///{tmp_path / 'kv.db'}"))
    assert knowvember("db", "upgrade", cwd=tmp_path).returncode == EXIT_OK
    target = tmp_path / "copy.db"
    target.write_text("precious")
    refused = knowvember("db", "backup", str(target), cwd=tmp_path)
    assert refused.returncode != EXIT_OK and "--force" in refused.stderr
    assert target.read_text() == "precious"
    assert knowvember("db", "backup", str(target), "--force", cwd=tmp_path).returncode == 0
    assert _sqlite_state(target) == (0, 0)


@pytest.mark.postgres
def test_postgres_backup_during_an_import_restores_consistently(archive, tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_postgres()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")
    path, counts = archive
    name = f"kv_backup_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_DEFAULT, isolation_level="AUTOCOMMIT")
    base = sa.make_url(PG_DEFAULT)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}_restored"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        (tmp_path / "campaign.toml").write_text(CONFIG.format(url=url))
        assert knowvember("db", "upgrade", cwd=tmp_path).returncode == EXIT_OK
        backups = _backups_while_importing(tmp_path, path, url, count=2)
        target = base.set(database=f"{name}_restored")
        restore = subprocess.run(
            ["pg_restore", "--no-owner", f"--host={base.host}", f"--port={base.port}",
             f"--username={base.username}", f"--dbname={target.database}", str(backups[0])],
            capture_output=True, text=True, check=False)
        assert restore.returncode == 0, restore.stderr
        engine = sa.create_engine(target)
        try:
            with engine.connect() as conn:
                posts = conn.execute(sa.text("SELECT COUNT(*) FROM posts")).scalar()
                tagged = conn.execute(sa.text(
                    "SELECT COUNT(DISTINCT post_id) FROM post_hashtags")).scalar()
                tags_of_stored = conn.execute(sa.text(
                    "SELECT COUNT(*) FROM post_hashtags h LEFT JOIN posts p ON p.id = "
                    "h.post_id WHERE p.id IS NULL")).scalar()
        finally:
            engine.dispose()
        assert posts in counts and posts > 0, (posts, sorted(counts))
        assert tags_of_stored == 0 and tagged <= posts
    finally:
        with admin.connect() as conn:
            for db_name in (name, f"{name}_restored"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

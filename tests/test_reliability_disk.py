"""A full disk and a read-only database: a clear error and an exit code, never a traceback,
never half a batch; with space again, the same command finishes the job.

The disk fills for real: a small tmpfs mounted for the test when it runs as root (as in a
container), and a file-size limit (RLIMIT_FSIZE: writes past it fail as on a full disk) for
everyone. A read-only database is a tmpfs remounted read-only, or a read-only folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.errors import EXIT_DATABASE, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, DatabaseError
from tests.reliability_support import cli_env, dump_tables, knowvember, x_world

CONFIG = """\
[campaign]
name = "KNOWvember 2019"
slug = "knowvember19"
hashtags = ["KNOWvember", "KNOWvember19", "knowvember2019"]
start = 2019-11-01
end = 2019-11-30

[database]
url = "sqlite:///{db}"
"""
IS_ROOT = os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of `size` at `folder`; yields a function to remount it with other options."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)

    try:
        yield remount
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    """A 12,000-post twarc2 file (three batches) and what one clean import stores from it."""
    folder = tmp_path_factory.mktemp("archive")
    world = x_world(12_000, start=dt.datetime(2019, 11, 1, 8, tzinfo=dt.UTC),
                    span=dt.timedelta(days=29), seed=11)
    path = world.write_twarc2(folder / "knowvember2019.jsonl")
    (folder / "campaign.toml").write_text(CONFIG.format(db=folder / "clean.db"))
    assert knowvember("import", "twarc2", str(path), cwd=folder).returncode == 0
    return path, _posts(folder / "clean.db")


def _posts(db: Path) -> list[tuple[str, str]]:
    """(platform id, hashtags) of each stored post; checks the database is intact first."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute(
            "SELECT p.platform_id, COALESCE((SELECT GROUP_CONCAT(tag, ' ') FROM (SELECT tag "
            "FROM post_hashtags h WHERE h.post_id = p.id ORDER BY tag)), '') FROM posts p "
            "ORDER BY p.platform_id").fetchall()
    finally:
        con.close()
    return [(r[0], r[1]) for r in rows]


def _import(path: Path, folder: Path, limit: int | None = None
            ) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "knowvember", "import", "twarc2", str(path)],
                          cwd=folder, env=cli_env(), capture_output=True, text=True,
                          timeout=120, preexec_fn=cap, check=False)


def _check_full_disk(result: subprocess.CompletedProcess[str], db: Path,
                     clean: list[tuple[str, str]]) -> None:
    output = result.stdout + result.stderr
    # Failed or partial when the run log could still be written, else a database error.
    assert result.returncode in (EXIT_FAILED, EXIT_PARTIAL, EXIT_DATABASE), output
    assert "disk is full" in output and "Traceback" not in output, output
    stored = _posts(db)
    # Whole batches only: every stored post is one a clean import stores, with its hashtags.
    assert set(stored) < set(clean)


def test_a_disk_filling_up_mid_import_stops_it_cleanly(archive, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, clean = archive
    (tmp_path / "campaign.toml").write_text(CONFIG.format(db=tmp_path / "kv.db"))
    # Room for the schema and about one batch: writes past 6 MB fail like a full disk.
    result = _import(path, tmp_path, limit=6_000_000)
    _check_full_disk(result, tmp_path / "kv.db", clean)
    assert _import(path, tmp_path).returncode == EXIT_OK  # space again: it finishes
    assert _posts(tmp_path / "kv.db") == clean


@pytest.mark.skipif(not IS_ROOT, reason="mounting a tmpfs needs root")
def test_a_real_full_file_system(archive, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, clean = archive
    mount = tmp_path / "small"
    with tmpfs(mount, "6m") as remount:
        (tmp_path / "campaign.toml").write_text(CONFIG.format(db=mount / "kv.db"))
        result = _import(path, tmp_path)
        _check_full_disk(result, mount / "kv.db", clean)
        remount("size=64m")
        again = _import(path, tmp_path)
        assert again.returncode == EXIT_OK, again.stderr
        assert _posts(mount / "kv.db") == clean


WRITERS = [
    ("import", "twarc2", "{archive}"),
    ("forget", "x:@nhslib1", "--yes"),
    ("stories", "submit", "--title", "Peer assist", "--body", "It helped our ward team.",
     "--name", "A Librarian", "--email", "a.librarian@nhs.net", "--consent"),
    ("db", "upgrade"),
]


def test_a_read_only_database_is_a_clear_error_and_stays_as_it_was(archive, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = archive
    small = x_world(300, start=dt.datetime(2019, 11, 2, tzinfo=dt.UTC),
                    span=dt.timedelta(days=3), seed=2).write_twarc2(tmp_path / "small.jsonl")
    where = tmp_path / "ro"
    with contextlib.ExitStack() as stack:
        remount = None
        if IS_ROOT:
            remount = stack.enter_context(tmpfs(where, "16m"))
        else:
            where.mkdir()
        (tmp_path / "campaign.toml").write_text(CONFIG.format(db=where / "kv.db"))
        assert knowvember("import", "twarc2", str(small), cwd=tmp_path).returncode == EXIT_OK
        before = dump_tables(f"sqlite:///{where / 'kv.db'}")
        if remount is not None:
            remount("ro")
        else:
            (where / "kv.db").chmod(0o444)
            where.chmod(0o555)
            stack.callback(where.chmod, 0o755)
        for command in WRITERS:
            args = [a.format(archive=path) for a in command]
            result = knowvember(*args, cwd=tmp_path,
                                env={"KNOWVEMBER_REVIEWER": "coordinator"})
            output = result.stdout + result.stderr
            assert result.returncode == EXIT_DATABASE, (args, output)
            assert "read-only" in output and "nothing was written" in output, (args, output)
            assert "Traceback" not in output
        if remount is not None:
            remount("rw")
        else:
            where.chmod(0o755)
        assert dump_tables(f"sqlite:///{where / 'kv.db'}") == before


def test_a_database_refusing_writes_mid_import_leaves_no_half_batch(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same refusal SQLite gives for a read-only file (SQLITE_READONLY), from the first
    write of the run on: the run is not recorded, nothing is stored, the message says why."""
    from knowvember.db import open_database
    from knowvember.ingest import import_files

    small = x_world(300, start=dt.datetime(2019, 11, 2, tzinfo=dt.UTC),
                    span=dt.timedelta(days=3), seed=2).write_twarc2(tmp_path / "small.jsonl")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'kv.db'}")
    try:
        db.engine.dispose()
        sa.event.listen(db.engine, "connect",
                        lambda conn, _: conn.execute("PRAGMA query_only = ON"))
        with pytest.raises(DatabaseError, match="read-only: nothing was written"):
            import_files(db, settings, "twarc2", [small])
    finally:
        db.dispose()
    tables = dump_tables(f"sqlite:///{tmp_path / 'kv.db'}")
    assert tables["posts"] == [] and tables["runs"] == [] and tables["accounts"] == []

"""A seventh new-user trial of backups kept where they cannot be written: a read-only share,
a write-protected stick, a read-only mount.

Every knowvember database, and so every `db backup` copy, is in WAL mode, which SQLite opens
read-only only where it can make the -shm file beside it. `db restore` of a backup on a
read-only share said it "cannot be read as a SQLite database" (exit 2), and `db backup` of a
database in a read-only folder said that writing the copy failed. And a restore whose
private copy did not fit in TMPDIR blamed the backup too ("cannot be read as a SQLite
database: database or disk is full").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember.errors import EXIT_DATABASE, EXIT_OK, EXIT_USAGE

POSTS = "\n".join([
    "platform,id,author_handle,author_name,created_at,text,likes,reposts",
    "x,1191672311587868672,@UHLLibraries,UHL Library,2019-11-05T09:30:00Z,"
    "Our first Peer Assist #KNOWvember19,4,2",
    "x,1191672311587868673,@NorthumbriaLib,Northumbria Library,2019-11-06T12:15:00Z,"
    "Knowledge Cafe on discharge planning #KNOWvember19,7,3",
    "mastodon,https://nhs.social/users/kmlib/statuses/1001,@kmlib@nhs.social,KM Librarian,"
    "2019-11-08 10:00:00,Lessons learned log for the ward managers #knowvember19,1,0",
]) + "\n"


@contextlib.contextmanager
def read_only(folder: Path, *files: Path) -> Iterator[Path]:
    """`folder` holding copies of `files`, where nothing can be written: a read-only tmpfs as
    root (who may write in any folder), a folder without write permission otherwise."""
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs",
                                  str(folder)], capture_output=True, text=True, check=False)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
        try:
            for path in files:
                shutil.copy(path, folder / path.name)
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    for path in files:
        shutil.copy(path, folder / path.name)
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def _posts(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM posts").fetchone()[0])
    finally:
        con.close()


@pytest.fixture
def backup(campaign_dir: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    """A `db backup` of the campaign holding three posts, the database then emptied."""
    (campaign_dir / "posts.csv").write_text(POSTS, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == EXIT_OK
    made = campaign_dir / "knowvember-2019-11-30.db"
    assert cli("db", "backup", str(made)).exit_code == EXIT_OK
    assert made.read_bytes()[18:20] == b"\x02\x02"  # WAL mode, as every copy is
    return made


def test_a_backup_on_a_read_only_share_is_restored(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                   backup: Path) -> None:
    for name in ("knowvember.db", "knowvember.db-wal", "knowvember.db-shm"):
        (campaign_dir / name).unlink(missing_ok=True)
    with read_only(campaign_dir / "share", backup) as share:
        result = cli("db", "restore", str(share / backup.name))
        assert result.exit_code == EXIT_OK, result.output
        assert not (share / f"{backup.name}-shm").exists()
    assert "Restored" in result.stderr and "3 post(s)" in result.stderr
    assert _posts(campaign_dir / "knowvember.db") == 3


def test_a_database_in_a_read_only_folder_is_backed_up(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                       backup: Path) -> None:
    with read_only(campaign_dir / "archive", backup) as archive:
        env = {"KNOWVEMBER_DATABASE_URL": f"sqlite:///{archive / backup.name}"}
        copy = campaign_dir / "copy.db"
        result = cli("db", "backup", str(copy), env=env)
        assert result.exit_code == EXIT_OK, result.output
    assert "3 post(s)" in result.stderr and _posts(copy) == 3


def test_a_restore_whose_private_copy_does_not_fit_says_where(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli, backup: Path, tmp_path_factory, monkeypatch) -> None:
    from knowvember import backup as backup_module

    tmp = tmp_path_factory.mktemp("tmpdir")
    folder = tmp / "knowvember-restore-x"
    folder.mkdir()
    (folder / "restore.db").symlink_to("/dev/full")  # every write fails, as on a full disk

    @contextlib.contextmanager
    def full_tmpdir(prefix: str = "") -> Iterator[str]:
        yield str(folder)

    monkeypatch.setattr(backup_module.tempfile, "TemporaryDirectory", full_tmpdir)
    result = cli("db", "restore", "--replace", str(backup))
    assert result.exit_code == EXIT_DATABASE
    said = " ".join(result.stderr.split())
    assert f"there is no room in {tmp} for the private copy of {backup}" in said
    assert "set TMPDIR to a folder with room" in said and "nothing was changed" in said
    assert "cannot be read" not in said
    assert _posts(campaign_dir / "knowvember.db") == 3


def test_a_backup_into_a_read_only_folder_names_the_folder(campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                           backup: Path) -> None:
    with read_only(campaign_dir / "share") as share:
        result = cli("db", "backup", str(share / "nightly.db"))
        assert not list(share.iterdir())
    assert result.exit_code == EXIT_USAGE
    said = " ".join(result.stderr.split())
    assert f"cannot write in the folder {share} (it is read-only" in said
    assert "nothing was written" in said and "unable to open database file" not in said

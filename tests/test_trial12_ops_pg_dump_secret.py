"""A seventh new-user trial of `db backup` on PostgreSQL with a client certificate whose key
has a passphrase (`?sslpassword=...`, which libpq reads from the URL only).

The password went to pg_dump in PGPASSWORD, but the key's passphrase stayed in the URL on
pg_dump's command line, which every user of the machine can read (`ps`). It now goes in a
service file that only this user can read, and pg_dump is told its name.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def pg_dump_seen(monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """pg_dump as backup.py runs it: its arguments, environment and service file."""
    from knowvember import backup

    seen: dict[str, Any] = {}

    def run(args: list[str], env: dict[str, str], **kwargs: Any) -> Any:
        seen.update(args=args, env=env)
        if "PGSERVICEFILE" in env:
            service = Path(env["PGSERVICEFILE"])
            seen.update(service=service.read_text(encoding="utf-8"),
                        mode=stat.S_IMODE(service.stat().st_mode))
        Path(next(a for a in args if a.startswith("--file=")).removeprefix("--file=")
             ).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup, "_knowvember_schema", lambda url: "public")
    monkeypatch.setattr(backup.shutil, "which", lambda name: "/usr/bin/pg_dump")
    monkeypatch.setattr(backup.subprocess, "run", run)
    return seen


def test_the_client_key_passphrase_is_never_on_pg_dumps_command_line(  # type: ignore[no-untyped-def]
        tmp_path, pg_dump_seen) -> None:
    from knowvember import backup

    backup.backup_database("postgresql+psycopg://kv@db.example/kv?sslmode=verify-full"
                           "&sslcert=/etc/kv/client.crt&sslkey=/etc/kv/client.key"
                           "&sslpassword=Key-Passphrase-1", tmp_path / "kv.dump")
    assert not any("Key-Passphrase-1" in arg for arg in pg_dump_seen["args"])
    dbname = next(a for a in pg_dump_seen["args"] if a.startswith("--dbname="))
    assert dbname == ("--dbname=postgresql://kv@db.example/kv?service=knowvember-backup"
                      "&sslcert=%2Fetc%2Fkv%2Fclient.crt&sslkey=%2Fetc%2Fkv%2Fclient.key"
                      "&sslmode=verify-full")
    assert pg_dump_seen["service"] == "[knowvember-backup]\nsslpassword=Key-Passphrase-1\n"
    assert pg_dump_seen["mode"] == 0o600
    assert not Path(pg_dump_seen["env"]["PGSERVICEFILE"]).exists()  # gone with the dump
    assert (tmp_path / "kv.dump").read_bytes() == b"PGDMP"


"""The yardstick: plain sqlite3 `executemany` of N post-shaped rows into one table.

No ORM, no JSON, no indexes but the rowid, one transaction, the same pragmas the tool uses
(WAL, synchronous=NORMAL). Whatever the machine, this is about as fast as Python can put rows
into SQLite, so `import posts/s / baseline rows/s` is a ratio that travels between machines.

Run as a child process so its memory and start-up stay out of the parent:
`python -m benchmarks.baseline FILE ROWS` prints {"rows": N, "seconds": S} as JSON, where S
covers the executemany and the commit only.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    account_id INTEGER,
    created_at TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    likes INTEGER NOT NULL,
    reposts INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    quotes INTEGER NOT NULL
)
"""
INSERT = ("INSERT INTO posts (platform, platform_id, account_id, created_at, text, kind, "
          "likes, reposts, replies, quotes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
TEXT = ("Peer assist this morning with the discharge team: what we learned, what we would do "
        "again and what we would stop #KNOWvember25 @nhslibraries ") * 2
KINDS = ("original", "reply", "repost", "quote")


def rows(count: int) -> Iterator[tuple[object, ...]]:
    """Post-shaped rows (a tweet-sized text of 100-220 characters), built as they are used."""
    for i in range(count):
        yield ("x", str(1_850_000_000_000_000_000 + i), i % 5000,
               f"2025-11-{i % 30 + 1:02d} {i % 24:02d}:00:00.000000", TEXT[: 100 + i % 120],
               KINDS[i % 4], i % 7, i % 3, i % 2, 0)


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def insert(path: Path, count: int) -> float:
    """Insert `count` rows into a fresh database at `path`; return the seconds it took."""
    fresh(path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(SCHEMA)
        conn.commit()
        started = time.perf_counter()
        with conn:
            conn.executemany(INSERT, rows(count))
        return time.perf_counter() - started
    finally:
        conn.close()
        fresh(path)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m benchmarks.baseline FILE ROWS\n")
        return 2
    count = int(argv[1])
    seconds = insert(Path(argv[0]), count)
    sys.stdout.write(json.dumps({"rows": count, "seconds": seconds}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

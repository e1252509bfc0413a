"""The SQLite floor: the rows a first import stored, written again through plain sqlite3.

The import target is a ratio to the single-table baseline. This figure says how much of that
ratio SQLite alone takes for the tool's own rows: posts with their raw payloads (as text, or
compressed where the import compressed them), the unique
key on (platform, id), foreign keys on, the hashtag and technique rows, batches of 5,000
posts a transaction, the secondary indexes built at the end as a bulk load builds them. No
file is read, nothing is mapped, no record object is made: an import can never be faster
than this, whatever is done to the Python around it. With `--no-raw` the posts go in without
their raw payloads, which says what not storing them would buy.

Run as a child process so its memory stays out of the parent:
`python -m benchmarks.floor SOURCE_DB WORK_DB [--no-raw]` prints one JSON object. Its
`seconds` cover the inserts, the commits and the index builds only; reading the rows back out
of SOURCE_DB (opened read-only) is not counted.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from benchmarks.baseline import fresh
from knowvember.bulkload import DEFERRABLE
from knowvember.db import SQLITE_PAGE_SIZE

BATCH_POSTS = 5_000  # as CHUNK_POSTS: one import transaction
TABLES = ("campaigns", "accounts", "posts", "post_hashtags", "post_techniques")


def _schema(src: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """CREATE statements of the tables the import writes, and of the indexes it defers."""
    marks = ", ".join("?" * len(TABLES))
    tables = dict(src.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
        TABLES).fetchall())
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise SystemExit(f"{', '.join(missing)}: not in the source database")
    marks = ", ".join("?" * len(DEFERRABLE))
    indexes = [sql for (sql,) in src.execute(
        f"SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
        DEFERRABLE)]
    return [tables[t] for t in TABLES], indexes


def _columns(src: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in src.execute(f"PRAGMA table_info({table})")]


def _without_payloads(row: tuple[object, ...], *at: int | None) -> tuple[object, ...]:
    return tuple(None if i in at else value for i, value in enumerate(row))


def replay(source: Path, target: Path, *, raw: bool = True) -> dict[str, object]:
    """Write `source`'s posts, hashtags and techniques into a fresh database at `target`."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    fresh(target)
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        dst.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA synchronous=NORMAL")
        dst.execute("PRAGMA foreign_keys=ON")
        tables, indexes = _schema(src)
        for sql in tables:
            dst.execute(sql)
        for table in ("campaigns", "accounts"):  # a few thousand rows: not timed
            cols = _columns(src, table)
            dst.execute("BEGIN")
            dst.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})",
                            src.execute(f"SELECT * FROM {table}"))
            dst.execute("COMMIT")
        cols = _columns(src, "posts")
        raw_at = cols.index("raw")
        raw_z_at = cols.index("raw_z") if "raw_z" in cols else None  # compressed (0004)
        insert = f"INSERT INTO posts VALUES ({', '.join('?' * len(cols))})"
        posts = src.execute("SELECT * FROM posts ORDER BY id")
        counts = {"posts": 0, "hashtag_rows": 0, "technique_rows": 0, "raw_bytes": 0,
                  "raw_z_bytes": 0}
        insert_s = 0.0
        while batch := posts.fetchmany(BATCH_POSTS):
            low, high = batch[0][0], batch[-1][0]
            tags = src.execute("SELECT post_id, tag FROM post_hashtags "
                               "WHERE post_id BETWEEN ? AND ?", (low, high)).fetchall()
            techniques = src.execute("SELECT post_id, technique FROM post_techniques "
                                     "WHERE post_id BETWEEN ? AND ?", (low, high)).fetchall()
            counts["raw_bytes"] += sum(len(row[raw_at] or "") for row in batch)
            if raw_z_at is not None:
                counts["raw_z_bytes"] += sum(len(row[raw_z_at] or b"") for row in batch)
            if not raw:
                batch = [_without_payloads(row, raw_at, raw_z_at) for row in batch]
            started = time.perf_counter()
            dst.execute("BEGIN")
            dst.executemany(insert, batch)
            dst.executemany("INSERT INTO post_hashtags (post_id, tag) VALUES (?, ?)", tags)
            dst.executemany("INSERT INTO post_techniques (post_id, technique) VALUES (?, ?)",
                            techniques)
            dst.execute("COMMIT")
            insert_s += time.perf_counter() - started
            counts["posts"] += len(batch)
            counts["hashtag_rows"] += len(tags)
            counts["technique_rows"] += len(techniques)
        started = time.perf_counter()
        for sql in indexes:
            dst.execute(sql)
        index_s = time.perf_counter() - started
        return {**counts, "raw": raw, "seconds": insert_s + index_s,
                "insert_seconds": insert_s, "index_seconds": index_s}
    finally:
        src.close()
        dst.close()
        fresh(target)


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("--")]
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 2 or set(flags) - {"--no-raw"}:
        sys.stderr.write("usage: python -m benchmarks.floor SOURCE_DB WORK_DB [--no-raw]\n")
        return 2
    result = replay(Path(paths[0]), Path(paths[1]), raw="--no-raw" not in flags)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

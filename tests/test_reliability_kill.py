"""SIGKILL an import and a collection at random points, many times, then finish the job.

A scheduled job gets killed: a reboot, the OOM killer, a cron timeout. Each test kills a real
`python -m knowvember` process at seeded random moments, checks after every kill that the
database is whole (integrity, no post without its hashtags, the collection checkpoint never
ahead of the stored posts), then lets a last run finish and compares the database with one
clean run's: the same posts, accounts, hashtags and counts, nothing lost, nothing doubled.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowvember.payloads import Unpacker
from tests.fakeapi import X_TOKEN, FakeAPI
from tests.reliability_support import dump_tables, knowvember, live_config, spawn, x_world

SEED = 20191101
IMPORT_KILLS = 10
IMPORT_ROUNDS = 2
COLLECT_KILLS = 10
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


def _snapshot(db: Path) -> dict[str, Any]:
    """What a run stores, without the columns that record when it ran."""
    tables = dump_tables(f"sqlite:///{db}")
    engine = sa.create_engine(f"sqlite:///{db}")
    try:  # payloads as text, however they are kept (readers compress theirs)
        with engine.connect() as conn:
            payload = Unpacker(conn).text
            posts = sorted((*row[:-2], payload(row[-2], row[-1])) for row in conn.exec_driver_sql(
                "SELECT p.platform, p.platform_id, a.key, p.text, p.kind, p.referenced_id,"
                " p.likes, p.reposts, p.raw, p.raw_z FROM posts p"
                " LEFT JOIN accounts a ON a.id = p.account_id"))
    finally:
        engine.dispose()
    con = sqlite3.connect(db)
    try:
        tags = sorted(con.execute(
            "SELECT p.platform_id, h.tag FROM post_hashtags h JOIN posts p ON p.id = h.post_id"))
        accounts = sorted(con.execute(
            "SELECT platform, key, handle, display_name, bio, followers, organisation_code, "
            "attribution, attribution_input IS NULL FROM accounts"))
        # `:read_to` is when a pass last finished reading: a time, like the run columns
        state = sorted((source, key, "(a time)" if key.endswith(":read_to") else value)
                       for source, key, value in con.execute(
                           "SELECT source, key, value FROM collector_state"))
    finally:
        con.close()
    return {"posts": posts, "hashtags": tags, "accounts": accounts, "state": state,
            # each run's readers train dictionaries of their own: runs killed and run again
            # keep more of them than one clean run (each used by the posts it stored)
            "counts": {name: len(rows) for name, rows in tables.items()
                       if name not in ("runs", "alembic_version", "raw_dictionaries")}}


def _check_whole(db: Path, reference: dict[str, Any]) -> int:
    """The database after a kill: intact, holding only posts a clean run stores, each with
    all of its hashtags (never half a batch). Returns how many posts it holds."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'table'")}
        if not tables:
            return 0  # killed while creating the database: nothing was created
        assert {"alembic_version", "posts", "post_hashtags", "forgotten_accounts"} <= tables, \
            f"a half-created schema: {sorted(tables)}"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        ids = [r[0] for r in con.execute("SELECT platform_id FROM posts")]
        tags: dict[str, set[str]] = {}
        for pid, tag in con.execute("SELECT p.platform_id, h.tag FROM post_hashtags h "
                                    "JOIN posts p ON p.id = h.post_id"):
            tags.setdefault(pid, set()).add(tag)
    finally:
        con.close()
    assert len(ids) == len(set(ids)), "a post was stored twice"
    expected: dict[str, set[str]] = {}
    for pid, tag in reference["hashtags"]:
        expected.setdefault(pid, set()).add(tag)
    known = {p[1] for p in reference["posts"]}
    assert set(ids) <= known, "a post a clean run does not store"
    assert all(tags.get(pid, set()) == expected.get(pid, set()) for pid in ids), \
        "a post without all of its hashtags (half a batch)"
    return len(ids)


def _kill_when(args: tuple[str, ...], cwd: Path, env: dict[str, str],
               ready: Callable[[], bool], delay: float) -> bool:
    """Start the command; once `ready()` holds, wait `delay` seconds and SIGKILL it.

    Timing from an event the process causes (its run recorded, its first request), not from
    its start, keeps the kill points spread over the work however loaded the machine is.
    True when it was killed, False when it finished first.
    """
    proc = spawn(*args, cwd=cwd, env=env)
    try:
        deadline = None
        while proc.poll() is None:
            now = time.monotonic()
            if deadline is None and ready():
                deadline = now + delay
            if deadline is not None and now >= deadline:
                proc.kill()
                proc.wait(timeout=30)
                return True
            time.sleep(0.002)
        return False
    finally:
        assert proc.stdout is not None and proc.stderr is not None
        proc.communicate()


def _clean_run(args: tuple[str, ...], folder: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    result = knowvember(*args, cwd=folder, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


def _count(db: Path, table: str) -> int:
    """Rows of `table` in a database another process is writing (0 before it exists)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _readers_left(marker: str) -> list[int]:
    """Reading processes (`collectors.offload`) of a killed import still alive: found by the
    marker their environment carries."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"collectors.offload" not in (entry / "cmdline").read_bytes():
                continue
            if marker.encode() in (entry / "environ").read_bytes():
                left.append(int(entry.name))
        except OSError:
            continue
    return left


def _no_readers_left(marker: str, wait: float = 20.0) -> None:
    """A killed import's readers end on their own (their next write finds no reader)."""
    deadline = time.monotonic() + wait
    while _readers_left(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _readers_left(marker), "a reading process outlived the killed import"


@pytest.mark.parametrize("processes", ["1", "3"], ids=["one-process", "two-readers"])
def test_import_killed_many_times_ends_exactly_like_one_clean_import(
        tmp_path: Path, processes: str) -> None:
    marker = f"kill-test-{processes}-{tmp_path.name}"
    env = {"KNOWVEMBER_IMPORT_PROCESSES": processes, "KNOWVEMBER_TEST_MARKER": marker}
    # Two readers hand over their first batches together, so their import needs more batches
    # for kills to land between them.
    world = x_world(12_000 if processes == "1" else 30_000,
                    start=dt.datetime(2019, 11, 1, 8, tzinfo=dt.UTC),
                    span=dt.timedelta(days=29), seed=SEED)
    archive = world.write_twarc2(tmp_path / "knowvember2019.jsonl")  # 100 tweets a page
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for folder in (clean, killed):
        folder.mkdir()
        (folder / "campaign.toml").write_text(CONFIG.format(db=folder / "kv.db"))
    args = ("import", "twarc2", str(archive))
    duration = _clean_run(args, clean, env)
    reference = _snapshot(clean / "kv.db")
    assert reference["counts"]["posts"] == len(world.campaign_ids())

    rnd = random.Random(SEED)
    db = killed / "kv.db"
    stored_after_kills = []
    kills = 0
    for _ in range(IMPORT_ROUNDS):  # each round from an empty database
        for name in ("kv.db", "kv.db-wal", "kv.db-shm"):
            (killed / name).unlink(missing_ok=True)
        per_round, attempt, round_kills = IMPORT_KILLS // IMPORT_ROUNDS, 0, 0
        while round_kills < per_round and attempt < 3 * per_round:
            if attempt == 0:
                # While starting up or creating the schema.
                ready, delay = (lambda: True), rnd.uniform(0.1, duration / 2)
            elif processes == "1":
                # Once this attempt's run is recorded: during its batches.
                before = _count(db, "runs")
                ready = lambda b=before: _count(db, "runs") > b  # noqa: E731
                delay = rnd.uniform(0, duration / 2)
            else:
                # Once this attempt has stored its first batch (its readers take a moment to
                # start): during the batches that follow.
                stored = _count(db, "posts")
                ready = lambda b=stored: _count(db, "posts") > b  # noqa: E731
                delay = rnd.uniform(0, duration / 5)
            attempt += 1
            if _kill_when(args, killed, env, ready, delay):
                kills += 1
                round_kills += 1
                if processes != "1":
                    _no_readers_left(marker)
                if db.exists():
                    stored_after_kills.append(_check_whole(db, reference))
            else:  # it finished first (a loaded machine): start again, so there is work
                for name in ("kv.db", "kv.db-wal", "kv.db-shm"):
                    (killed / name).unlink(missing_ok=True)
        assert _clean_run(args, killed, env) > 0
        assert _snapshot(db) == reference
    # Some kills must land mid-import, or this test proves nothing.
    assert any(0 < n < reference["counts"]["posts"] for n in stored_after_kills), \
        stored_after_kills
    assert kills >= IMPORT_KILLS - 2, kills  # a loaded machine may finish one or two first


def _claimed(state: dict[str, str | None], matching: list[int]) -> set[int]:
    """Post ids the X checkpoint says are stored (the pass runs newest to oldest)."""
    claimed: set[int] = set()
    for name, value in state.items():
        if not value:
            continue
        key, _, field = name.partition(":")
        if field == "since_id":
            claimed.update(i for i in matching if i <= int(value))
        if field == "until_id" and state.get(f"{key}:pending_newest"):
            newest = int(state[f"{key}:pending_newest"] or 0)
            claimed.update(i for i in matching if int(value) <= i <= newest)
    return claimed


def _timed_collection(api: FakeAPI, args: tuple[str, ...], folder: Path,
                      env: dict[str, str]) -> float:
    """A clean run; the seconds one search page takes it (fetching and storing)."""
    started = time.monotonic()
    _clean_run(args, folder, env)
    pages = len(api.seen("/2/tweets/search"))
    assert pages > 10
    api.requests.clear()
    return (time.monotonic() - started) / pages


def test_collection_killed_many_times_ends_exactly_like_one_clean_run(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    world = x_world(2_500, start=now - dt.timedelta(days=2), span=dt.timedelta(hours=40),
                    seed=SEED)
    env = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN}
    rnd = random.Random(SEED + 1)
    with FakeAPI() as api:
        for page in world.pages():
            api.add_x_page(page)
        # Spread a run over a few seconds (each search page answers 50 ms late), so kills
        # land between, during and after the writes of its 25 pages.
        api.fail("/2/tweets/search", "slow", delay=0.05, times=100_000)
        clean, killed = tmp_path / "clean", tmp_path / "killed"
        for folder in (clean, killed):
            folder.mkdir()
            (folder / "campaign.toml").write_text(
                live_config(api.url, db_url=f"sqlite:///{folder / 'kv.db'}"))
        args = ("collect", "--source", "x")
        page_time = _timed_collection(api, args, clean, env)
        reference = _snapshot(clean / "kv.db")
        matching = sorted(int(t["id"]) for t in world.tweets
                          if not t["text"].startswith(("RT", "Thank", "Off topic")))
        assert reference["counts"]["posts"] >= len(matching)

        partial = []
        kills = 0
        for _ in range(COLLECT_KILLS):
            # Up to three pages after this attempt's first request: each attempt gets a
            # little further, so the kills land all along the run, not after its end.
            before = len(api.requests)
            if not _kill_when(args, killed, env, lambda b=before: len(api.requests) > b,
                              rnd.uniform(0, 3) * page_time):
                continue
            kills += 1
            if not (killed / "kv.db").exists():
                continue
            stored = _check_whole(killed / "kv.db", reference)
            con = sqlite3.connect(killed / "kv.db")
            try:
                state = dict(con.execute("SELECT key, value FROM collector_state").fetchall())
                ids = {int(r[0]) for r in con.execute("SELECT platform_id FROM posts")}
            finally:
                con.close()
            missing = _claimed(state, matching) - ids
            assert not missing, f"the checkpoint is ahead of the stored posts by {len(missing)}"
            partial.append(stored)
        assert _clean_run(args, killed, env) > 0
    # A run resumed near its end may finish before its kill lands (more often on a
    # loaded machine, CI's included): half the attempts killed still spreads the kills
    # along the run, and the end state below is checked whatever the number.
    assert kills >= COLLECT_KILLS // 2, kills
    assert any(0 < n < reference["counts"]["posts"] for n in partial), partial
    got = _snapshot(killed / "kv.db")
    assert got["posts"] == reference["posts"]
    assert got["accounts"] == reference["accounts"]
    assert got["hashtags"] == reference["hashtags"]
    assert got["counts"] == reference["counts"]
    assert got["state"] == reference["state"]  # the next run starts where a clean one would
    assert ("x", next(k for _, k, _ in got["state"] if k.endswith(":since_id")),
            str(max(matching))) in got["state"]


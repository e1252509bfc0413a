"""Runs that overlap: cron starting a collection while the last one is still going, and
collectors of different sources writing one database side by side.

Real processes (`python -m knowvember collect`) on SQLite and PostgreSQL, against the fake API
slowed down so the runs really overlap.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from knowvember.errors import EXIT_LOCKED, EXIT_OK
from tests.fakeapi import (
    BSKY_HANDLE,
    BSKY_PASSWORD,
    X_TOKEN,
    FakeAPI,
    bluesky_post,
    mastodon_account,
    mastodon_id,
    mastodon_status,
)
from tests.reliability_support import live_config, post_ids, scalar, spawn, x_world

ENV = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN, "KNOWVEMBER_BLUESKY_HANDLE": BSKY_HANDLE,
       "KNOWVEMBER_BLUESKY_APP_PASSWORD": BSKY_PASSWORD}


def _world(api: FakeAPI) -> dict[str, int]:
    """This week's posts on all three platforms: several pages each."""
    now = dt.datetime.now(dt.UTC)
    for page in x_world(600, start=now - dt.timedelta(hours=30), span=dt.timedelta(hours=20),
                        seed=3).pages():
        api.add_x_page(page)
    people = [mastodon_account(f"lib{n}", api.url, local_id=str(n + 1)) for n in range(4)]
    api.add_statuses(
        mastodon_status(mastodon_id(now - dt.timedelta(minutes=10 * n), n), api.url, n,
                        f"<p>Knowledge cafe {n} #KNOWvember</p>", ["KNOWvember"],
                        people[n % 4], now - dt.timedelta(minutes=10 * n)) for n in range(160))
    api.add_bluesky(
        bluesky_post(f"3k{n:06d}", f"did:plc:lib{n % 4:021d}", f"lib{n % 4}.bsky.social",
                     f"Action learning set {n} #KNOWvember", now - dt.timedelta(minutes=7 * n))
        for n in range(400))
    return {"mastodon": 160, "bluesky": 400}


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append((proc.returncode, out, err))
    return done


def _db_url(request: pytest.FixtureRequest, folder: Path, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'kv.db'}"
    return request.getfixturevalue("pg_url")  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_two_collections_at_once_one_collects_the_other_says_already_running(
        request, tmp_path, backend) -> None:  # type: ignore[no-untyped-def]
    url = _db_url(request, tmp_path, backend)
    with FakeAPI() as api:
        _world(api)
        api.fail("/2/tweets/search", "slow", delay=0.15, times=10_000)  # a run of ~2 s
        (tmp_path / "campaign.toml").write_text(live_config(api.url, db_url=url))
        env = {**ENV, "KNOWVEMBER_DATABASE_URL": url}
        args = ("collect", "--source", "x", "--lock-wait", "0.5")
        results = _finish([spawn(*args, cwd=tmp_path, env=env) for _ in range(2)])
    codes = sorted(code for code, _, _ in results)
    assert codes == [EXIT_OK, EXIT_LOCKED], results
    locked = next(err for code, _, err in results if code == EXIT_LOCKED)
    assert "already running" in locked and "Traceback" not in locked
    ran = next(out for code, out, _ in results if code == EXIT_OK)
    assert ran.startswith("x: ok")
    ids = post_ids(url)
    assert ids and len(ids) == len(set(ids))
    # One run recorded: the other did nothing, not even a run row.
    assert scalar(url, "SELECT COUNT(*) FROM runs") == 1


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_three_sources_collect_side_by_side_into_a_new_database(
        request, tmp_path, backend) -> None:  # type: ignore[no-untyped-def]
    url = _db_url(request, tmp_path, backend)
    with FakeAPI() as api:
        expected = _world(api)
        for path in ("/2/tweets/search", "/api/v1/timelines/tag",
                     "/xrpc/app.bsky.feed.searchPosts"):
            api.fail(path, "slow", delay=0.02, times=10_000)  # interleave their writes
        (tmp_path / "campaign.toml").write_text(
            live_config(api.url, db_url=url, sources=("x", "mastodon", "bluesky")))
        env = {**ENV, "KNOWVEMBER_DATABASE_URL": url}
        # All three start at once on a database that does not exist yet: one creates it,
        # the others wait for it, then all write at the same time.
        results = _finish([spawn("collect", "--source", source, "--lock-wait", "0",
                                 cwd=tmp_path, env=env)
                           for source in ("x", "mastodon", "bluesky")])
    for code, out, err in results:
        assert code == EXIT_OK, err
        assert "locked" not in err.lower() and "busy" not in err.lower(), err
        assert ": ok," in out
    ids = post_ids(url)
    assert len(ids) == len(set(ids))
    by_platform = {p: sum(1 for q, _ in ids if q == p) for p in ("x", "mastodon", "bluesky")}
    assert by_platform["mastodon"] == expected["mastodon"]
    assert by_platform["bluesky"] == expected["bluesky"]
    assert by_platform["x"] > 0


def test_two_imports_of_different_formats_write_side_by_side(tmp_path: Path) -> None:
    world = x_world(6_000, start=dt.datetime(2019, 11, 1, 8, tzinfo=dt.UTC),
                    span=dt.timedelta(days=28), seed=5)
    jsonl = world.write_twarc2(tmp_path / "x.jsonl")
    rows = ["platform,id,author_handle,created_at,text"]
    rows += [f"mastodon,https://nhs.social/users/lib/statuses/{n},@lib@nhs.social,"
             f"2019-11-{1 + n % 28:02d}T10:00:00Z,Journal club {n} #KNOWvember"
             for n in range(6_000)]
    csv = tmp_path / "m.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "campaign.toml").write_text(
        "[campaign]\nname = \"K\"\nslug = \"k\"\nhashtags = [\"KNOWvember\", "
        "\"KNOWvember19\", \"knowvember2019\"]\nstart = 2019-11-01\nend = 2019-11-30\n"
        f"[database]\nurl = \"sqlite:///{tmp_path / 'kv.db'}\"\n")
    results = _finish([spawn("import", "twarc2", str(jsonl), cwd=tmp_path),
                       spawn("import", "csv", str(csv), cwd=tmp_path)])
    for code, _, err in results:
        assert code == EXIT_OK, err
    ids = post_ids(f"sqlite:///{tmp_path / 'kv.db'}")
    assert sum(1 for p, _ in ids if p == "mastodon") == 6_000
    assert sum(1 for p, _ in ids if p == "x") == len(world.campaign_ids())

"""`knowvember collect`, `runs`, `schedule` and the pipeline around the collectors: exit
codes, run records, locks, gaps, opt-outs, tagging and attribution."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL
from knowvember.locks import run_lock
from knowvember.models import Post, PostTechnique
from tests.conftest import BASE_CONFIG
from tests.fakeapi import (
    BSKY_HANDLE,
    BSKY_PASSWORD,
    X_TOKEN,
    FakeAPI,
    mastodon_account,
    mastodon_id,
    mastodon_status,
    x_id,
    x_page,
    x_tweet,
    x_user,
)

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
ENV = {"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN, "KNOWVEMBER_BLUESKY_HANDLE": BSKY_HANDLE,
       "KNOWVEMBER_BLUESKY_APP_PASSWORD": BSKY_PASSWORD}
RUN_KEYS = {"source", "status", "started_at", "finished_at", "fetched", "new", "updated",
            "skipped", "requests", "estimated_cost", "error"}


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    """A fake X and Mastodon with a handful of KNOWvember 2019 posts."""
    with FakeAPI() as server:
        users = [x_user("42", "UHLLibraries", bio="Library and Knowledge Service, UHL"),
                 x_user("43", "OptedOut")]
        tweets = [x_tweet(x_id(NOV, 1), "Our first Peer Assist #KNOWvember19", "42", NOV),
                  x_tweet(x_id(NOV, 2), "A Knowledge Cafe #KNOWvember19", "43", NOV),
                  x_tweet(x_id(NOV, 3), "Nothing to do with it #brexit", "42", NOV)]
        server.add_x_page(x_page(tweets, users))
        person = mastodon_account("lib", server.url)
        server.add_statuses([mastodon_status(
            mastodon_id(NOV), server.url, 1,
            "<p>Retrospect <a>#<span>KNOWvember19</span></a></p>", ["KNOWvember19"],
            person, NOV)])
        yield server


def sources(api: FakeAPI, *, mastodon: str | None = None) -> str:
    return f"""
[sources.x]
enabled = true
endpoint = "all"
api_base = "{api.url}"
max_retries = 1
[sources.mastodon]
enabled = true
instances = ["{mastodon or api.url}"]
max_retries = 1
"""


def test_collect_prints_run_records_and_exits_0_when_all_succeeded(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    result = cli("collect", "--format", "json", env=ENV)
    assert result.exit_code == EXIT_OK, result.stderr
    records = json.loads(result.stdout)
    assert [r["source"] for r in records] == ["x", "mastodon"]
    for record in records:
        assert set(record) >= RUN_KEYS and record["status"] == "ok"
    x, mastodon = records
    assert (x["fetched"], x["new"], x["skipped"]) == (2, 2, 0)
    assert x["estimated_cost"] == pytest.approx(2 * 0.005)
    assert mastodon["new"] == 1


def test_a_failing_source_makes_the_exit_code_non_zero(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    with FakeAPI() as broken:
        broken.fail("/api/v1/", 500, times=10)
        write_config(sources(api, mastodon=broken.url))
        result = cli("collect", "--format", "json", env=ENV)
    assert result.exit_code == EXIT_FAILED
    statuses = {r["source"]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"x": "ok", "mastodon": "failed"}


def test_a_partial_run_exits_4(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api).replace(
        "max_retries = 1\n[sources.mastodon]",
        "max_retries = 1\nmax_posts_per_run = 10\n[sources.mastodon]"))
    users = [x_user("42", "UHLLibraries")]
    api.add_x_page(x_page([x_tweet(x_id(NOV, 10 + i), f"#KNOWvember19 {i}", "42", NOV)
                           for i in range(12)], users))
    result = cli("collect", "--source", "x", env=ENV)
    assert result.exit_code == EXIT_PARTIAL
    assert "x: partial, 10 read" in result.stdout
    assert "max_posts_per_run" in result.stdout


def test_without_a_tty_there_is_one_summary_line_per_source(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    result = cli("-q", "collect", env=ENV)
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["x", "mastodon"]
    assert lines[0].startswith("x: ok, 2 read, 2 new, 0 updated, 0 skipped off-campaign")


def test_a_run_already_going_is_not_run_twice(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    path = write_config(sources(api))
    settings = parse_settings(path.read_text(), path)
    db = open_database(settings)
    with run_lock(db, "collect:x"):
        result = cli("collect", "--source", "x", "--lock-wait", "0", env=ENV)
    db.dispose()
    assert result.exit_code == EXIT_LOCKED
    assert "already running" in result.stderr
    assert api.requests == []


def test_the_lock_holds_across_connections_on_both_databases(settings, db_url) -> None:  # type: ignore[no-untyped-def]
    first = open_database(settings, url=db_url)
    second = open_database(settings, url=db_url)
    outcome: dict[str, object] = {}
    with run_lock(first, "collect:x"):
        def attempt() -> None:
            try:
                ingest.collect_source(second, settings, "x", ingest.Hooks(lock_wait=0))
            except Exception as exc:  # the test inspects it
                outcome["error"] = exc
        thread = threading.Thread(target=attempt)
        thread.start()
        thread.join(10)
    from knowvember.errors import AlreadyRunningError

    assert isinstance(outcome["error"], AlreadyRunningError)
    # A different source is not blocked.
    with run_lock(first, "collect:x"), run_lock(second, "collect:mastodon"):
        pass
    first.dispose()
    second.dispose()


def test_runs_lists_the_log_and_its_json_has_the_contract_keys(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    cli("collect", env=ENV)
    result = cli("runs", "--format", "json")
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert {r["source"] for r in records} == {"x", "mastodon"}
    assert all(set(r) >= RUN_KEYS for r in records)
    text = cli("runs")
    assert text.exit_code == 0 and "x: ok" in text.stdout


def test_runs_gaps_shows_the_stretches_no_successful_run_covered(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    before = json.loads(cli("runs", "--gaps", "--format", "json").stdout)
    assert {g["source"] for g in before} == {"x", "mastodon"}
    assert all(set(g) == {"source", "from", "to", "hours"} for g in before)
    cli("collect", env=ENV)
    after = json.loads(cli("runs", "--gaps", "--format", "json").stdout)
    assert after == []  # full-archive search and Mastodon covered the whole campaign


def test_dry_run_reads_no_posts(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    result = cli("collect", "--source", "x", "--dry-run", "--format", "json", env=ENV)
    assert result.exit_code == 0
    (record,) = json.loads(result.stdout)
    assert record["details"]["estimated_posts"] == 2
    assert record["estimated_cost"] == pytest.approx(0.01)
    assert api.seen("/2/tweets/search") == []
    assert json.loads(cli("runs", "--format", "json").stdout) == []  # not a run


def test_secrets_appear_in_no_output_and_no_run_record(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    secret = "zzSECRETzz-0123456789abcdefghijklmnop"
    write_config(sources(api))
    result = cli("-v", "collect", "--format", "json", env={**ENV,
                                                            "KNOWVEMBER_X_BEARER_TOKEN": secret})
    assert result.exit_code == EXIT_FAILED
    assert secret not in result.stdout and secret not in result.stderr
    runs = cli("runs", "--format", "json").stdout
    assert secret not in runs and "401" in runs


# -- the pipeline --------------------------------------------------------------------------


def test_opted_out_accounts_are_not_collected_when_the_config_says_so(write_config, api) -> None:  # type: ignore[no-untyped-def]
    path = write_config(sources(api) + """
[leaderboard]
exclude_accounts = ["x:@OptedOut"]
exclude_from_collection = true
""")
    settings = parse_settings(path.read_text(), path)
    db = open_database(settings)
    record = ingest.collect_source(db, settings, "x", ingest.Hooks(env=ENV, lock_wait=0))
    assert (record.new, record.skipped) == (1, 1)
    with db.begin() as conn:
        texts = set(conn.execute(sa.select(Post.text)).scalars())
    assert texts == {"Our first Peer Assist #KNOWvember19"}
    db.dispose()


def test_stored_posts_are_tagged_and_changed_accounts_attributed(
        write_config, api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import knowvember.attribution

    seen: list[list[int]] = []
    real = knowvember.attribution.attribute_accounts

    def spy(db, settings, account_ids=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(list(account_ids or []))
        return real(db, settings, account_ids, **kwargs)

    monkeypatch.setattr(knowvember.attribution, "attribute_accounts", spy)
    path = write_config(sources(api))
    settings = parse_settings(path.read_text(), path)
    db = open_database(settings)
    ingest.collect_source(db, settings, "x", ingest.Hooks(env=ENV, lock_wait=0))
    with db.begin() as conn:
        techniques = set(conn.execute(sa.select(PostTechnique.technique)).scalars())
    assert {"Peer Assist", "Knowledge Café"} <= techniques
    assert len(seen) == 1 and len(seen[0]) == 2  # the two accounts of the stored posts
    again = ingest.collect_source(db, settings, "x", ingest.Hooks(env=ENV, lock_wait=0))
    assert again.new == 0 and len(seen) == 1  # nothing changed: nothing to attribute
    db.dispose()


def test_schedule_collects_at_the_interval_until_the_grace_period_ends(write_config, api) -> None:  # type: ignore[no-untyped-def]
    one_day = BASE_CONFIG.replace("end = 2019-11-30", "end = 2019-11-05").replace(
        "start = 2019-11-01", "start = 2019-11-05")
    path = write_config(sources(api) + "\n[schedule]\ngrace_days = 1\n", base=one_day)
    settings = parse_settings(path.read_text(), path)
    db = open_database(settings)
    clock = {"now": dt.datetime(2019, 11, 4, 20, 0, tzinfo=dt.UTC)}  # before the start

    def sleep(seconds: float) -> None:
        clock["now"] += dt.timedelta(seconds=seconds)

    hooks = ingest.Hooks(now=lambda: clock["now"], sleep=sleep, env=ENV, lock_wait=0)
    cycles: list[dt.datetime] = []
    count = ingest.schedule(db, settings, ["x"], 6 * 3600, hooks,
                            on_cycle=lambda outcome: cycles.append(clock["now"]))
    start, end = settings.campaign.window_utc()
    assert cycles[0] == start  # waited for the campaign start (midnight in London = 00:00Z)
    assert count == len(cycles) == 8  # every 6 h over the day and the one grace day
    assert clock["now"] >= end + dt.timedelta(days=1)
    db.dispose()


def test_ctrl_c_stops_the_schedule_cleanly_between_pages(write_config, api) -> None:  # type: ignore[no-untyped-def]
    path = write_config(sources(api))
    settings = parse_settings(path.read_text(), path)
    db = open_database(settings)
    api.add_x_page(x_page([x_tweet(x_id(NOV, 100 + i), f"#KNOWvember19 {i}", "42", NOV)
                           for i in range(150)], [x_user("42", "UHLLibraries")]))
    hooks = ingest.Hooks(now=lambda: NOV, sleep=lambda s: None, env=ENV, lock_wait=0)

    def press_ctrl_c(progress: ingest.Progress) -> None:
        hooks.stop_flag().set()

    hooks.progress = press_ctrl_c
    outcomes: list[ingest.CollectOutcome] = []
    count = ingest.schedule(db, settings, ["x", "mastodon"], 1800, hooks,
                            on_cycle=outcomes.append)
    assert count == 1
    (run,) = outcomes[0].runs  # mastodon was not started
    assert run.status == "partial" and "interrupted" in run.error
    with db.begin() as conn:  # the first page is stored, with its checkpoint
        assert conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar() == 100
    assert run.new == 100
    db.dispose()


def test_schedule_after_the_campaign_exits_at_once(cli, write_config, api) -> None:  # type: ignore[no-untyped-def]
    write_config(sources(api))
    result = cli("schedule", "--every", "30m", env=ENV)
    assert result.exit_code == 0
    assert "0 collection(s)" in " ".join(result.stderr.split())
    assert api.requests == []


def test_schedule_refuses_a_bad_interval(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config()
    result = cli("schedule", "--every", "soon")
    assert result.exit_code != 0 and "--every" in result.stderr


@pytest.mark.parametrize("command", [["collect"], ["schedule", "--every", "30m"]])
def test_no_source_enabled_is_a_configuration_error(cli, write_config, command) -> None:  # type: ignore[no-untyped-def]
    """With every source disabled, `collect` and `schedule` exited 2 (bad usage): it is the
    configuration's doing, so exit 3, naming the file and what to set."""
    path = write_config()
    result = cli(*command)
    assert result.exit_code == 3, result.stderr
    assert f"{path}: no source is enabled" in result.stderr
    assert "enabled = true under [sources.x]" in result.stderr

"""A fifth new-user trial of operations (second pass): PostgreSQL restarted under a `schedule`.

Three coordinators share one server; one runs `schedule` for the month. The server ends a
session's advisory locks with the session, so after a restart (or the network dropping, or
an idle session killed) the schedule went on collecting with no `schedule:x` lock at all and
a second `schedule` of the same source on another machine was let in beside it, which the
lock exists to refuse. The schedule now makes sure of its locks after every collection: it
takes a lost one again, or, if another process took it meanwhile, stops naming that one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.cli import collect as collect_cli
from knowvember.config import load_settings
from knowvember.db import Database, open_database
from knowvember.errors import AlreadyRunningError
from knowvember.ingest import CollectOutcome, Hooks
from knowvember.locks import run_lock

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_machines(campaign_dir: Path, pg_url: str) -> Iterator[tuple[Database, Database]]:
    settings = load_settings(campaign_dir / "campaign.toml")
    first, second = open_database(settings, url=pg_url), open_database(settings, url=pg_url)
    yield first, second
    first.dispose()
    second.dispose()


def _restart(db: Database, name: str) -> None:
    """What a server restart does to this process's lock session: it is terminated."""
    with db.engine.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :app"),
            {"app": f"knowvember {name} pid {os.getpid()} on {os.uname().nodename}"[:63]}
        ).scalar()
    assert ended == 1


def test_a_lost_schedule_lock_is_taken_again(two_machines: tuple[Database, Database]) -> None:
    first, second = two_machines
    with run_lock(first, "schedule:x", wait=0) as held:
        _restart(first, "schedule:x")
        held.keep()
        with pytest.raises(AlreadyRunningError, match="another `knowvember schedule`"), \
                run_lock(second, "schedule:x", wait=0):
            pass
    with run_lock(second, "schedule:x", wait=0):  # released at the end as before
        pass


def test_a_schedule_whose_lock_another_took_stops_naming_it(
        two_machines: tuple[Database, Database]) -> None:
    first, second = two_machines
    with run_lock(first, "schedule:x", wait=0) as held:
        _restart(first, "schedule:x")
        with run_lock(second, "schedule:x", wait=0), \
                pytest.raises(AlreadyRunningError) as caught:
            held.keep()
    message = str(caught.value)
    assert "lost its connection to PostgreSQL" in message
    assert f"process {os.getpid()} on" in message and "this one stops here" in message


def test_the_schedule_loop_keeps_its_locks_after_each_collection(
        two_machines: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch,
        campaign_dir: Path) -> None:
    first, second = two_machines
    settings = load_settings(campaign_dir / "campaign.toml")

    def one_cycle(db, settings, sources, every, hooks, on_cycle):  # type: ignore[no-untyped-def]
        _restart(db, "schedule:x")  # the server restarts during the collection
        on_cycle(CollectOutcome())
        return 1

    monkeypatch.setattr("knowvember.ingest.schedule", one_cycle)
    with collect_cli._one_schedule(first, ["x"]) as locks:
        assert collect_cli._keep_scheduling(first, settings, ["x"], 60, Hooks(), locks) == 1
        with pytest.raises(AlreadyRunningError), run_lock(second, "schedule:x", wait=0):
            pass

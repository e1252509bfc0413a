"""A fifth new-user trial of operations: "already running" on a shared PostgreSQL database.

Several machines collect into one server. When a run found the source's advisory lock
taken it said only "another `collect --source x` run is already running", where on SQLite it
names the process: the coordinator could not tell which machine, or which process there,
to look at (a collector on the server, a `schedule` forgotten on a laptop). The lock's
session now carries the process and machine in its `application_name`, and the refused
run names them, or the server session and its address when another program holds it.
"""

from __future__ import annotations

import os
import re
import socket

import pytest
import sqlalchemy as sa

from knowvember.config import load_settings
from knowvember.db import Database, open_database
from knowvember.errors import AlreadyRunningError
from knowvember.locks import _lock_id, run_lock

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(campaign_dir, pg_url: str) -> Database:  # type: ignore[no-untyped-def]
    database = open_database(load_settings(campaign_dir / "campaign.toml"), url=pg_url)
    yield database
    database.dispose()


def _refusal(db: Database, name: str) -> str:
    with pytest.raises(AlreadyRunningError) as caught, run_lock(db, name, wait=0):
        pass
    return str(caught.value)


def test_already_running_on_postgresql_names_the_process_and_machine(pg_db: Database) -> None:
    with run_lock(pg_db, "collect:x"):
        message = _refusal(pg_db, "collect:x")
    host = socket.gethostname()
    assert f"another `collect --source x` run (process {os.getpid()} on {host}, " in message
    assert re.search(r"connected since \d{4}-\d\d-\d\d \d\d:\d\d UTC\) is already running",
                     message), message
    # Released: the next run takes the lock.
    with run_lock(pg_db, "collect:x", wait=0):
        pass


def test_a_lock_held_by_another_program_names_its_server_session(pg_db: Database) -> None:
    """A session that is not knowvember's (psql, a tool of an older release) is named by
    its server process and address."""
    with pg_db.engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
        key = _lock_id(f"knowvember:{schema}:import:twarc2")
        conn.execute(sa.text("SELECT set_config('application_name', 'psql', false)"))
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
        server_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        conn.commit()
        try:
            message = _refusal(pg_db, "import:twarc2")
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.execute(sa.text("RESET application_name"))
            conn.commit()
    assert f"another `import twarc2` run (PostgreSQL session {server_pid} from " in message


def test_the_lock_session_gives_its_name_back_to_the_pool(pg_db: Database) -> None:
    """The lock's connection goes back to the pool and serves other queries: it must not
    go on naming a run that has finished."""
    with run_lock(pg_db, "collect:mastodon"), pg_db.engine.connect() as other:
        holders = other.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
            "'knowvember collect:mastodon pid %'")).scalar()
    assert holders == 1
    with pg_db.engine.connect() as conn:
        names = conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
            "'knowvember collect:mastodon pid %'")).scalar()
    assert names == 0

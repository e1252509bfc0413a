"""A new user's trial of setting up, configuring, backing up and scheduling: `init`,
`config check`, `db upgrade`, `db backup` and `schedule` as the README runs them, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowvember.errors import EXIT_DATABASE, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED
from tests.conftest import BASE_CONFIG, PG_DEFAULT, fresh_pg_schema, require_postgres
from tests.reliability_support import cli_env

Invoke = Callable[..., Any]


def _need_pg_tools() -> None:
    require_postgres()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")


def _dumped_schemas(backup: Path) -> set[str]:
    """The schemas whose tables a pg_dump custom-format file holds."""
    listing = subprocess.run(["pg_restore", "--list", str(backup)], capture_output=True,
                             text=True, check=True).stdout
    schemas = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) > 5 and not line.startswith(";") and parts[3] == "TABLE":
            schemas.add(parts[5] if parts[4] == "DATA" else parts[4])
    return schemas


@pytest.fixture
def other_schema() -> Iterator[str]:
    """Another application's schema in the same database, holding a table of its own."""
    require_postgres()
    name = f"kv_ops_other_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_DEFAULT)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        conn.execute(sa.text(f'CREATE TABLE "{name}".payroll (id int)'))
    try:
        yield name
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_postgres_backup_holds_only_the_schema_the_url_names(  # type: ignore[no-untyped-def]
        cli, write_config, tmp_path, monkeypatch, other_schema) -> None:
    """`?options=-csearch_path=...` puts the campaign in its own schema: the backup is that
    schema, not every schema of the database (another application's, other campaigns'),
    which `pg_restore --clean` would put back as they were."""
    _need_pg_tools()
    write_config()
    with fresh_pg_schema() as url:
        monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", url)
        assert cli("db", "upgrade").exit_code == EXIT_OK
        target = tmp_path / "backup.dump"
        result = cli("db", "backup", str(target))
        assert result.exit_code == EXIT_OK, result.output
        schema = sa.make_url(url).query["options"].partition("=")[2]
        assert _dumped_schemas(target) == {schema}


@pytest.mark.postgres
def test_postgres_backup_of_a_search_path_that_names_no_schema_says_so(  # type: ignore[no-untyped-def]
        cli, write_config, tmp_path, monkeypatch) -> None:
    _need_pg_tools()
    write_config()
    url = sa.make_url(PG_DEFAULT).update_query_dict(
        {"options": f"-csearch_path=kv_ops_missing_{uuid.uuid4().hex[:8]}"})
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", url.render_as_string(hide_password=False))
    target = tmp_path / "backup.dump"
    result = cli("db", "backup", str(target))
    assert result.exit_code == EXIT_DATABASE
    assert "search_path (kv_ops_missing_" in result.output and "names no schema" in result.output
    assert not target.exists() and not target.with_name("backup.dump.partial").exists()


def test_pg_dump_is_given_the_whole_url_but_never_its_password() -> None:
    """sslmode, a socket folder or the search_path in the query reach pg_dump; the password
    goes by PGPASSWORD, not on a command line `ps` shows."""
    from knowvember.backup import conninfo

    url = sa.make_url("postgresql+psycopg://kv:s3cret@db.example:5433/kv"
                      "?sslmode=require&options=-csearch_path%3Dcampaigns")
    info = conninfo(url)
    assert "s3cret" not in info
    assert info.startswith("postgresql://kv@db.example:5433/kv?")
    parsed = sa.make_url(info)
    assert parsed.query == {"sslmode": "require", "options": "-csearch_path=campaigns"}


@pytest.mark.postgres
def test_postgres_backup_of_the_public_schema_restores_as_the_readme_says(  # type: ignore[no-untyped-def]
        cli, write_config, tmp_path, monkeypatch) -> None:
    """The usual set-up (the tables in `public` of a database of their own, here beside
    another schema): the backup holds `public`'s tables, and the README's restore into an
    empty database succeeds (a dump of the schema `public` itself fails there on "schema
    public already exists")."""
    _need_pg_tools()
    write_config()
    name = f"kv_ops_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_DEFAULT, isolation_level="AUTOCOMMIT")
    base = sa.make_url(PG_DEFAULT)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}_restored"'))
    try:
        source = sa.create_engine(base.set(database=name))
        with source.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA reporting"))
            conn.execute(sa.text("CREATE TABLE reporting.extract (id int)"))
        source.dispose()
        monkeypatch.setenv("KNOWVEMBER_DATABASE_URL",
                           base.set(database=name).render_as_string(hide_password=False))
        assert cli("stories", "submit", "--title", "Peer Assist for F1s", "--body",
                   "We ran a Peer Assist.", "--name", "Jane Smith", "--email",
                   "jane.smith@nhs.net", "--consent").exit_code == EXIT_OK
        target = tmp_path / "backup.dump"
        assert cli("db", "backup", str(target)).exit_code == EXIT_OK
        assert _dumped_schemas(target) == {"public"}
        restore = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--host={base.host}",
             f"--port={base.port}", f"--username={base.username}",
             f"--dbname={name}_restored", str(target)],
            capture_output=True, text=True, check=False)
        assert restore.returncode == 0, restore.stderr
        restored = sa.create_engine(base.set(database=f"{name}_restored"))
        with restored.connect() as conn:
            assert conn.execute(sa.text("SELECT title FROM stories")).scalars().all() == [
                "Peer Assist for F1s"]
        restored.dispose()
    finally:
        with admin.connect() as conn:
            for db_name in (name, f"{name}_restored"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


_REFUSING: list[socket.socket] = []


def _closed_port() -> int:
    """A port on 127.0.0.1 that refuses at once (a Mastodon instance that is down): bound
    and never listening, and kept bound, so no other test's server can take it meanwhile."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _REFUSING.append(sock)
    return int(sock.getsockname()[1])


def _live_schedule_config(folder: Path) -> Path:
    """A campaign running today, collecting from one Mastodon instance that is down, with
    a log file to tell when the first collection is over."""
    today = dt.datetime.now(dt.UTC).date()
    config = (BASE_CONFIG.replace("start = 2019-11-01", f"start = {today - dt.timedelta(1)}")
              .replace("end = 2019-11-30", f"end = {today + dt.timedelta(1)}")
              + f'\n[sources.mastodon]\nenabled = true\ninstances = ["http://127.0.0.1:'
              f'{_closed_port()}"]\nmax_retries = 0\n\n[logging]\nfile = "kv.log"\n')
    path = folder / "campaign.toml"
    path.write_text(config, encoding="utf-8")
    return path


def _schedule_then(signum: int, folder: Path) -> tuple[int, str]:
    """Start `schedule` as a service manager would, send `signum` once its first collection
    has finished (it is then waiting for the next), and return its exit status and stderr."""
    _live_schedule_config(folder)
    proc = subprocess.Popen([sys.executable, "-m", "knowvember", "schedule", "--every", "30m"],
                            cwd=folder, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    log = folder / "kv.log"
    deadline = time.monotonic() + 60
    try:
        while not (log.exists() and "mastodon run " in log.read_text("utf-8")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the first collection never finished"
            time.sleep(0.05)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, " ".join(err.split())


@pytest.mark.slow
def test_schedule_stopped_by_systemd_ends_by_sigterm_as_a_clean_stop(tmp_path: Path) -> None:
    """`systemctl stop` sends SIGTERM. systemd counts a service that dies of SIGTERM as
    stopped cleanly, but an exit code 130 (what `schedule` gave) as failed, so the unit was
    left `failed` after every stop. It stops as before and then ends by the signal (the shell
    shows 143)."""
    status, err = _schedule_then(signal.SIGTERM, tmp_path)
    assert status == -signal.SIGTERM, err
    assert "Stopped after 1 collection(s) (SIGTERM)" in err
    assert "Traceback" not in err and "unexpected" not in err


@pytest.mark.slow
def test_schedule_stopped_by_ctrl_c_still_exits_130(tmp_path: Path) -> None:
    status, err = _schedule_then(signal.SIGINT, tmp_path)
    assert status == EXIT_INTERRUPTED, err
    assert "Stopped after 1 collection(s) (Ctrl-C)" in err


def test_schedule_stopped_by_sigterm_in_process_exits_143(  # type: ignore[no-untyped-def]
        cli, campaign_dir, monkeypatch) -> None:
    """Called in-process (no `main`, so nothing to kill), the code is the one a shell gives
    a process SIGTERM ended, not Ctrl-C's 130."""
    from knowvember import ingest
    from knowvember.cli import common

    _live_schedule_config(campaign_dir)

    def stopped(db: Any, settings: Any, sources: Any, every: float, hooks: ingest.Hooks,
                **kwargs: Any) -> None:
        hooks.stop_flag().set("SIGTERM")

    monkeypatch.setattr(ingest, "schedule", stopped)
    monkeypatch.setattr(common, "_end_by_signal", None)  # put back after: not this process
    result = cli("schedule", "--every", "30m")
    assert result.exit_code == EXIT_TERMINATED
    assert "Stopped after 0 collection(s) (SIGTERM)" in " ".join(result.stderr.split())
    assert common._end_by_signal == signal.SIGTERM  # what `main` would end the process by


def _dsn_and_server_idle(url: str) -> tuple[dict[str, str], str, str]:
    """libpq's parameters of a connection the tool opens, the server's keepalive idle time
    for it and its search_path."""
    from knowvember.db import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            idle = conn.execute(sa.text("SHOW tcp_keepalives_idle")).scalar()
            path = conn.execute(sa.text("SHOW search_path")).scalar()
            dsn = conn.connection.dbapi_connection.info.dsn  # type: ignore[union-attr]
    finally:
        engine.dispose()
    params = dict(part.split("=", 1) for part in dsn.split() if "=" in part)
    return params, str(idle), str(path)


@pytest.mark.postgres
def test_postgres_connections_keep_alive_at_both_ends(  # type: ignore[no-untyped-def]
        pg_url: str, monkeypatch) -> None:
    """A month of `schedule` on a laptop that sleeps: without keepalives a query on a dead
    connection waits for hours, and the server keeps the vanished laptop's session (and its
    run lock: every other machine's run 'already running') for two hours and more."""
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    params, idle, path = _dsn_and_server_idle(pg_url)
    assert params["keepalives"] == "1" and params["keepalives_idle"] == "60"
    assert params["connect_timeout"] == "15"
    assert idle == "60"  # the server's end, set for the session
    assert path == sa.make_url(pg_url).query["options"].partition("=")[2]  # options kept


@pytest.mark.postgres
def test_postgres_keepalives_a_url_sets_itself_are_kept(pg_url: str) -> None:
    url = sa.make_url(pg_url).update_query_dict(
        {"keepalives_idle": "7", "connect_timeout": "4",
         "options": sa.make_url(pg_url).query["options"] + " -c tcp_keepalives_idle=5"})
    params, idle, _ = _dsn_and_server_idle(url.render_as_string(hide_password=False))
    assert params["keepalives_idle"] == "7" and params["connect_timeout"] == "4"
    assert idle == "5"


def test_a_server_that_never_answers_fails_the_connect_instead_of_hanging(  # type: ignore[no-untyped-def]
        cli, write_config, monkeypatch) -> None:
    """A database host that takes the connection and says nothing (a firewall, a server
    hung, a captive portal): the command ends with 'cannot connect' (exit 5) after the
    connect timeout; it waited for ever."""
    from knowvember import db as db_module

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    monkeypatch.setitem(db_module.PG_CLIENT_DEFAULTS, "connect_timeout", 2)
    write_config()
    port = listener.getsockname()[1]
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL",
                       f"postgresql+psycopg://knowvember@127.0.0.1:{port}/knowvember")
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(result=cli("db", "upgrade")),
                              daemon=True)
    began = time.monotonic()
    runner.start()
    runner.join(30)
    try:
        assert not runner.is_alive(), "db upgrade still waiting on a silent server after 30 s"
        assert time.monotonic() - began < 20
        result = outcome["result"]
        assert result.exit_code == EXIT_DATABASE
        assert "cannot connect" in result.output
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("every", ["99999999d", "400d", "9999999999h"])
def test_schedule_every_longer_than_a_year_is_refused_before_collecting(  # type: ignore[no-untyped-def]
        cli, write_config, monkeypatch, every) -> None:
    """It collected once and then crashed: "unexpected OverflowError: date value out of
    range"."""
    from knowvember import ingest

    write_config()
    called: list[object] = []
    monkeypatch.setattr(ingest, "schedule", lambda *a, **k: called.append(a))
    result = cli("schedule", "--every", every)
    assert result.exit_code == 2
    assert f"--every: '{every}' is longer than a year" in " ".join(result.stderr.split())
    assert called == []


@pytest.mark.parametrize(("extra", "message"), [
    ('[schedule]\nevery = "99999999d"\n', "schedule.every: '99999999d' is longer than a year"),
    ("[schedule]\ngrace_days = 99999999\n", "schedule.grace_days: Input should be less than"),
])
def test_config_check_refuses_a_schedule_past_the_calendar(  # type: ignore[no-untyped-def]
        cli, write_config, extra, message) -> None:
    write_config(extra)
    result = cli("config", "check")
    assert result.exit_code == 3
    assert message in " ".join(result.stderr.split())


def test_a_year_of_schedule_is_still_accepted(write_config) -> None:  # type: ignore[no-untyped-def]
    from knowvember.config import load_settings, parse_duration

    assert parse_duration("366d") == 366 * 86400
    settings = load_settings(write_config('[schedule]\nevery = "8784h"\ngrace_days = 366\n'))
    assert settings.schedule.every == "8784h" and settings.schedule.grace_days == 366


@pytest.mark.parametrize(("extra", "key"), [
    ("[sources.x]\nprice_per_read = inf\n", "sources.x.price_per_read"),
    ("[sources.mastodon]\nmax_wait_seconds = inf\n", "sources.mastodon.max_wait_seconds"),
    ("[sources.bluesky]\ntimeout = inf\n", "sources.bluesky.timeout"),
    ("[leaderboard]\nweights = { posts = nan }\n", "leaderboard.weights.posts"),
])
def test_config_check_refuses_infinite_and_nan_numbers(  # type: ignore[no-untyped-def]
        cli, write_config, extra, key) -> None:
    """TOML writes `inf` and `nan`: a run's estimated_cost became inf or NaN (0 reads x inf)
    and `--format json` printed `NaN`, which is not JSON; a NaN weight broke the ranking."""
    write_config(extra)
    result = cli("config", "check")
    assert result.exit_code == 3
    assert f"{key}: Input should be a finite number" in " ".join(result.stderr.split())


def test_init_next_step_runs_as_pasted_for_a_folder_with_spaces(  # type: ignore[no-untyped-def]
        cli, campaign_dir) -> None:
    """`init "KNOWvember 2027"` printed `knowvember --config KNOWvember 2027/campaign.toml
    config check`, which a shell splits at the space: the next step it named failed."""
    import re
    import shlex

    result = cli("init", "KNOWvember 2027", "--year", "2027")
    assert result.exit_code == EXIT_OK
    command = re.search(r"run `knowvember (.+?)`", " ".join(result.stderr.split()))
    assert command is not None, result.stderr
    checked = cli(*shlex.split(command.group(1)))
    assert checked.exit_code == EXIT_OK, checked.output
    assert "KNOWvember 2027 (knowvember27)" in checked.stdout


def test_init_into_a_file_says_it_is_a_file(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "notes.txt").write_text("my notes", encoding="utf-8")
    result = cli("init", "notes.txt")
    assert result.exit_code == 2
    assert "notes.txt is a file, not a folder" in " ".join(result.stderr.split())
    assert (campaign_dir / "notes.txt").read_text(encoding="utf-8") == "my notes"


def test_schedule_keeps_its_own_news_in_the_log_file(  # type: ignore[no-untyped-def]
        cli, campaign_dir, monkeypatch) -> None:
    """A `[logging] file` held each run's outcome but not that `schedule` started, skipped a
    collection on a database error (printed on the terminal only) or was stopped."""
    import logging

    from knowvember import ingest
    from knowvember.cli import collect as collect_cli
    from knowvember.errors import DatabaseError

    _live_schedule_config(campaign_dir)
    calls: list[int] = []

    def schedule(db: Any, settings: Any, sources: Any, every: float, hooks: ingest.Hooks,
                 **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseError("sqlite:///knowvember.db is busy (locked by another process)")
        hooks.stop_flag().set("Ctrl-C")
        return 0

    monkeypatch.setattr(ingest, "schedule", schedule)
    monkeypatch.setattr(collect_cli, "_wait_until", lambda moment, hooks: None)
    try:
        result = cli("schedule", "--every", "30m")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_knowvember_file", None):
                handler.close()
                logging.getLogger().removeHandler(handler)
    assert result.exit_code == EXIT_INTERRUPTED
    logged = (campaign_dir / "kv.log").read_text(encoding="utf-8")
    assert "INFO knowvember.cli.collect: schedule: collecting mastodon every 30m until" in logged
    assert ("ERROR knowvember.cli.collect: schedule: this collection stopped on a database "
            "error: sqlite:///knowvember.db is busy") in logged
    assert "schedule: stopped after 0 collection(s) (Ctrl-C)" in logged
    stderr = " ".join(result.stderr.split())
    assert stderr.count("this collection stopped on a database error") == 1  # said once


def test_a_log_file_that_cannot_be_written_is_named_like_other_config_errors(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir) -> None:
    """Every config error names the file and the key; this one named neither the file nor,
    for a folder given as the log file, what was wrong ("[Errno 21] Is a directory")."""
    (campaign_dir / "logs").mkdir()
    write_config('[logging]\nfile = "logs"\n')
    result = cli("config", "check")
    assert result.exit_code == 3
    assert (f"{campaign_dir / 'campaign.toml'}: logging.file: cannot write "
            f"{campaign_dir / 'logs'} (it is a folder)") in " ".join(result.stderr.split())


@pytest.mark.parametrize("name", ["knowvember.db", "knowvember.db-wal", "hardlink.db"])
def test_backup_over_the_database_itself_is_refused(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir, name) -> None:
    """`db backup knowvember.db --force` said "Backed up" and replaced the live file with
    its copy: a collection still running went on writing into the replaced file, lost."""
    import os

    write_config()
    assert cli("stories", "submit", "--title", "Retrospect on the audit", "--body",
               "We held a Retrospect.", "--name", "Jane Smith", "--email",
               "jane.smith@nhs.net", "--consent").exit_code == EXIT_OK
    database = campaign_dir / "knowvember.db"
    if name == "hardlink.db":
        os.link(database, campaign_dir / name)
    inode = database.stat().st_ino
    result = cli("db", "backup", name, "--force")
    assert result.exit_code == 2, result.output
    assert "is the database itself" in " ".join(result.stderr.split())
    assert database.stat().st_ino == inode
    listed = cli("stories", "list", "--format", "json")
    assert [s["title"] for s in json.loads(listed.stdout)] == [
        "Retrospect on the audit"]


def test_backup_into_a_folder_asks_for_a_file_name(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir) -> None:
    """A folder was "already exists; use --force", and with --force a database error."""
    write_config()
    assert cli("db", "upgrade").exit_code == EXIT_OK
    (campaign_dir / "backups").mkdir()
    for args in (("db", "backup", "backups"), ("db", "backup", "backups", "--force")):
        result = cli(*args)
        assert result.exit_code == 2
        assert "backups is a folder: name the backup file" in " ".join(result.stderr.split())


@pytest.fixture
def imported(cli, write_config, fixtures_dir) -> None:  # type: ignore[no-untyped-def]
    """A campaign whose only run is a twarc2 import of a recorded X search page."""
    write_config()
    page = fixtures_dir / "twitter_search_recent_2.json"
    assert cli("import", "twarc2", str(page)).exit_code == EXIT_OK


@pytest.mark.parametrize("name", ["twarc2", "TWARC2", "import:twarc2", " twarc2 "])
def test_runs_source_names_an_import_by_its_format(cli, imported, name) -> None:  # type: ignore[no-untyped-def]
    """`knowvember import twarc2 FILE` then `runs --source twarc2` said "No runs yet"."""
    result = cli("runs", "--source", name, "--format", "json")
    assert result.exit_code == EXIT_OK
    assert [r["source"] for r in json.loads(result.stdout)] == ["import:twarc2"]


def test_runs_source_with_a_typo_is_refused(cli, imported) -> None:  # type: ignore[no-untyped-def]
    """It said "No runs yet" and exited 0, with runs in the log."""
    result = cli("runs", "--source", "twiter")
    assert result.exit_code == 2
    assert "--source 'twiter' is not a source: use x, mastodon, bluesky" in " ".join(
        result.stderr.split())


def test_runs_of_a_source_that_has_none_says_which(cli, imported) -> None:  # type: ignore[no-untyped-def]
    result = cli("runs", "--source", "bluesky")
    assert result.exit_code == EXIT_OK
    assert "No runs of bluesky yet" in result.stderr


def test_gaps_of_an_import_source_are_refused_not_reported_as_none(  # type: ignore[no-untyped-def]
        cli, imported) -> None:
    """Gaps are per platform: filtered by an import's name the list was always empty, and
    it said "No gaps: successful runs covered the whole campaign so far"."""
    result = cli("runs", "--gaps", "--source", "twarc2")
    assert result.exit_code == 2
    assert "No gaps" not in result.output
    assert "use --source x, mastodon or bluesky" in " ".join(result.stderr.split())


@pytest.mark.parametrize(("table", "key", "value"), [
    ("sources.bluesky", "app_password_env", "abcd-efgh-ijkl-mnop"),  # as Bluesky shows one
    ("sources.bluesky", "handle_env", "Hunter2!"),
    ("sources.x", "bearer_token_env", "my token 12345"),
    ("web", "secret_key_env", "s3cr3t-k3y"),
])
def test_a_secret_pasted_into_an_env_key_is_refused_without_repeating_it(  # type: ignore[no-untyped-def]
        cli, write_config, table, key, value) -> None:
    """A Bluesky app password pasted into `app_password_env` was refused as "'abcd-efgh-
    ijkl-mnop' is not an environment variable name": the error printed the password, to
    the terminal, cron mail or the journal."""
    write_config(f'[{table}]\n{key} = "{value}"\n')
    result = cli("config", "check")
    assert result.exit_code == 3
    assert value not in result.output
    assert f"{table}.{key}: is not an environment variable name" in " ".join(
        result.stderr.split())


def test_paths_starting_with_a_tilde_are_in_the_home_folder(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir, tmp_path_factory, monkeypatch) -> None:
    """`file = "~/kv-logs/knowvember.log"` made a folder named `~` beside campaign.toml
    (which `rm -rf ~` there, to tidy it up, takes for the home folder), and
    `sqlite:///~/kv.db` a database inside it."""
    import logging

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    write_config('[logging]\nfile = "~/kv-logs/knowvember.log"\n', base=BASE_CONFIG.replace(
        'url = "sqlite:///knowvember.db"', 'url = "sqlite:///~/kv.db"'))
    try:
        result = cli("config", "check", "--format", "json")
        upgraded = cli("db", "upgrade")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_knowvember_file", None):
                handler.close()
                logging.getLogger().removeHandler(handler)
    assert result.exit_code == EXIT_OK and upgraded.exit_code == EXIT_OK
    assert json.loads(result.stdout)["database"] == f"sqlite:///{home / 'kv.db'}"
    assert (home / "kv-logs" / "knowvember.log").is_file() and (home / "kv.db").is_file()
    assert not (campaign_dir / "~").exists()


def test_the_log_file_is_reopened_after_logrotate_moves_it(  # type: ignore[no-untyped-def]
        write_config, campaign_dir) -> None:
    """A month of `schedule` and logrotate (or deleting a big log): the records went on into
    the moved or deleted file, and the log file the coordinator reads stayed empty."""
    import logging

    from knowvember.cli.common import configure_log_file
    from knowvember.config import load_settings

    configure_log_file(load_settings(write_config('[logging]\nfile = "kv.log"\n')))
    log = logging.getLogger("knowvember.test")
    try:
        log.warning("before the rotation")
        (campaign_dir / "kv.log").rename(campaign_dir / "kv.log.1")
        log.warning("after the rotation")
        assert (campaign_dir / "kv.log").read_text(encoding="utf-8").endswith(
            "after the rotation\n")
        assert "after" not in (campaign_dir / "kv.log.1").read_text(encoding="utf-8")
        (campaign_dir / "kv.log.1").unlink()
        (campaign_dir / "kv.log").unlink()
        log.warning("after deleting it")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_knowvember_file", None):
                handler.close()
                logging.getLogger().removeHandler(handler)
    assert "after deleting it" in (campaign_dir / "kv.log").read_text(encoding="utf-8")


def test_a_password_in_the_url_query_is_never_shown(  # type: ignore[no-untyped-def]
        cli, write_config, monkeypatch) -> None:
    """libpq reads `?password=` too; SQLAlchemy's hiding leaves the query alone, so `config
    check` printed it, and so did every error and the log naming the database."""
    write_config()
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL",
                       f"postgresql+psycopg://kv@127.0.0.1:{_closed_port()}/kv"
                       "?password=hunter2&sslmode=prefer")
    checked = cli("config", "check", "--format", "json")
    assert checked.exit_code == EXIT_OK
    assert json.loads(checked.stdout)["database"].endswith("/kv?password=***&sslmode=prefer")
    failed = cli("db", "upgrade")
    assert failed.exit_code == EXIT_DATABASE and "cannot connect" in failed.stderr
    assert "hunter2" not in checked.output + failed.output


def test_pg_dump_gets_a_query_password_by_pgpassword_only() -> None:
    from knowvember.backup import conninfo

    url = sa.make_url("postgresql+psycopg://kv@db.example/kv?password=hunter2&sslmode=require")
    assert conninfo(url) == "postgresql://kv@db.example/kv?sslmode=require"


def test_backup_hands_a_query_password_to_pg_dump_by_environment(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch) -> None:
    from knowvember import backup

    seen: dict[str, Any] = {}

    def run(args: list[str], env: dict[str, str], **kwargs: Any) -> Any:
        seen.update(args=args, env=env)
        Path(next(a for a in args if a.startswith("--file=")).removeprefix("--file=")
             ).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup, "_knowvember_schema", lambda url: "public")
    monkeypatch.setattr(backup.shutil, "which", lambda name: "/usr/bin/pg_dump")
    monkeypatch.setattr(backup.subprocess, "run", run)
    backup.backup_database("postgresql+psycopg://kv@db.example/kv?password=hunter2",
                           tmp_path / "kv.dump")
    assert not any("hunter2" in arg for arg in seen["args"])
    assert seen["env"]["PGPASSWORD"] == "hunter2"
    assert (tmp_path / "kv.dump").read_bytes() == b"PGDMP"


def test_env_example_lists_every_variable_config_check_asks_for(  # type: ignore[no-untyped-def]
        cli, tmp_path) -> None:
    """`config check` lists KNOWVEMBER_SECRET_KEY as not set, and .env.example, which the
    README says lists the names, had no line for it."""
    assert cli("init", str(tmp_path / "new"), "--year", "2027").exit_code == EXIT_OK
    example = (tmp_path / "new" / ".env.example").read_text(encoding="utf-8")
    written = {line.split("=", 1)[0] for line in example.splitlines()
               if line and not line.startswith("#")}
    checked = cli("--config", str(tmp_path / "new" / "campaign.toml"), "config", "check",
                  "--format", "json")
    assert set(json.loads(checked.stdout)["environment"]) <= written


@pytest.mark.postgres
def test_two_first_runs_record_the_technique_rules_without_colliding(  # type: ignore[no-untyped-def]
        settings, pg_url, monkeypatch) -> None:
    """Two collections of different sources starting together on a new PostgreSQL
    database, as three cron lines at the same minute do."""
    from knowvember import retag
    from knowvember.db import open_database
    from knowvember.techniques import Taxonomy

    both_read = threading.Barrier(2, timeout=20)
    real = retag._has_tagged_items

    def after_both_read(conn: sa.Connection, campaign_id: int) -> bool:
        found = real(conn, campaign_id)
        both_read.wait()  # each has seen no record and no post: both go on to write it
        return found

    monkeypatch.setattr(retag, "_has_tagged_items", after_both_read)
    first, second = open_database(settings, url=pg_url), open_database(settings, url=pg_url)
    errors: list[BaseException] = []

    def note(db: Any) -> None:
        try:
            retag.note_tagging(db, Taxonomy.load(settings))
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    try:
        threads = [threading.Thread(target=note, args=(db,)) for db in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        first.dispose()
        second.dispose()
    if errors:
        raise errors[0]
    assert retag.recorded_fingerprint(first) == Taxonomy.load(settings).fingerprint()

"""Opening the database: engine, SQLite pragmas, automatic migration, the campaign row.

Any command that opens the database creates a new one, and brings an older SQLite schema up
to date first (keeping a copy of the file beside it, and saying so once), so a librarian
upgrading the tool never has to remember `db upgrade`. An older PostgreSQL schema is shared by
every machine that uses it, so only `db upgrade` upgrades it (`_refuse_shared_upgrade`).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from knowvember.errors import DatabaseError, InputError

if TYPE_CHECKING:
    from knowvember.config import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_PAGE_SIZE = 16384
MIGRATION_LOCK = 0x6B6E6F77_0001  # a PostgreSQL advisory lock key held while migrating
# libpq settings for connections that live long on networks that come and go (a month of
# `schedule`, a laptop that sleeps with a run's lock held): a server out of reach fails a
# connect in 15 s, not the operating system's two minutes, and a dead peer is noticed after
# about two minutes of silence instead of blocking a query for hours. A URL's own value wins.
PG_CLIENT_DEFAULTS = {"connect_timeout": 15, "keepalives": 1, "keepalives_idle": 60,
                      "keepalives_interval": 10, "keepalives_count": 6}
# The same for the server's end: it keeps a vanished client's session, and with it the run's
# advisory lock, until its own keepalives give up (two hours and more by default), so every
# other machine's run of that source was "already running" (exit 75) for that long.
# Set by SQL once a connection is made, not in the startup packet's `options`: PgBouncer
# refuses a connection whose startup packet has `options` ("unsupported startup parameter").
PG_SERVER_KEEPALIVES = ("SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10; "
                        "SET tcp_keepalives_count = 6")


@dataclass
class Database:
    """An open, up-to-date database and the campaign the config describes."""

    engine: Engine
    campaign_id: int
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def url(self) -> sa.URL:
        return self.engine.url

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessions() as session, translate_errors(self.engine), session.begin():
            yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with translate_errors(self.engine), self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def create_db_engine(url: str) -> Engine:
    """An engine with the settings the tool relies on (WAL, foreign keys, busy timeout)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise DatabaseError(f"database url is not a valid URL: {_redact(url)}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).parent
            if not folder.exists():
                raise DatabaseError(f"the database folder {folder} does not exist")
        engine = sa.create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in (
        "psycopg2",
        "pg8000",
        "asyncpg",
    ):
        raise DatabaseError("use a postgresql+psycopg:// URL (psycopg 3)")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True,
                                  connect_args=_pg_connect_args(parsed))
    except (SQLAlchemyError, ImportError) as exc:
        raise DatabaseError(f"cannot use database {_redact(url)}: {exc}") from exc
    event.listen(engine, "connect", _pg_server_keepalives)
    return engine


def _pg_connect_args(url: sa.URL) -> dict[str, object]:
    """The keepalive and timeout settings a PostgreSQL URL does not set itself."""
    args: dict[str, object] = {key: value for key, value in PG_CLIENT_DEFAULTS.items()
                               if key not in url.query}
    if "connect_timeout" not in url.query and os.environ.get("PGCONNECT_TIMEOUT"):
        del args["connect_timeout"]  # libpq reads the variable when the URL does not say
    return args


def _pg_server_keepalives(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """The server's keepalives for this session (see PG_SERVER_KEEPALIVES), unless the URL's
    `options` or $PGOPTIONS set them; any user may set them, and a socket ignores them."""
    if "tcp_keepalives" in (dbapi_connection.info.options or ""):  # the URL's or $PGOPTIONS
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(PG_SERVER_KEEPALIVES)
    finally:
        dbapi_connection.autocommit = autocommit


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Only a new, empty file takes this (an existing database keeps its page size): 16 KiB
        # pages make a million-post import about a fifth faster than SQLite's 4 KiB default.
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode not in ("wal", "memory"):
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception:  # read-only files cannot switch; reading still works
                log.debug("could not switch SQLite to WAL mode")
    finally:
        cursor.close()


# libpq takes a password in the query too (`?password=...`), which SQLAlchemy's hiding of
# the URL's password leaves as it is: `config check`, errors and the log file showed it.
_SECRET_QUERY = frozenset({"password", "sslpassword"})


def redact_url(url: str) -> str:
    """The URL to show a person or a log: its password hidden, in the query as well."""
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.query:
            # The file as a person reads it: a folder named `odd ?x` showed as `odd %3Fx`.
            return f"sqlite:///{parsed.database}"
        hidden = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY}
        if hidden:
            parsed = parsed.update_query_dict(hidden)
        return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
    except Exception:
        return "(unparseable URL)"


_redact = redact_url



IN_CHUNK = 900  # stay well under every backend's bound-parameter limit


def placeholder(conn: Connection) -> str:
    """The DBAPI's parameter mark, for statements written as text (sqlite3: ?, psycopg: %s)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def in_chunks(items: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:  # type: ignore[type-arg]
    """`items` in slices small enough for one `IN (...)` each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def translate_errors(engine: Engine | None = None) -> Iterator[None]:
    """Turn driver errors into messages a coordinator can act on."""
    try:
        yield
    except OperationalError as exc:
        raise DatabaseError(describe_db_error(exc, engine)) from exc
    except SQLAlchemyError as exc:
        if isinstance(exc, sa.exc.IntegrityError):
            raise
        raise DatabaseError(describe_db_error(exc, engine)) from exc


def describe_db_error(exc: Exception, engine: Engine | None = None) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    where = _redact(str(engine.url)) if engine is not None else "the database"
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only: nothing was written ({text})"
    if "disk" in lowered and ("full" in lowered or "i/o" in lowered):
        return f"{where}: the disk is full; nothing from the failed batch was written ({text})"
    if "locked" in lowered:
        return f"{where} is busy (locked by another process) ({text})"
    if "unable to open" in lowered:
        if engine is not None and _sqlite_read_only(engine):
            return (f"{where} is read-only: SQLite must be able to write the database file and "
                    "its folder (for its -wal and -shm files); nothing was written")
        return f"cannot open {where} ({text})"
    if "connection" in lowered or "could not connect" in lowered:
        return f"cannot connect to {where} ({text})"
    return f"database error on {where}: {text}"


def _sqlite_read_only(engine: Engine) -> bool:
    """Whether a SQLite database exists but its file or folder cannot be written."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return False
    path = Path(engine.url.database)
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def alembic_config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the shipped migrations know (read from their files)."""
    head = _declared_head()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


_REVISION = re.compile(r"^revision\s*(?::[^=]+)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)


def _migration_files() -> tuple[tuple[str | None, str | None], ...]:
    """(revision, down_revision as written) of each migration file, read as text (the head
    is cached by `_declared_head`; the whole list is wanted only to upgrade)."""
    found = []
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        found.append((revision.group(1) if revision else None,
                      down.group(1).strip() if down else None))
    return tuple(found)


@functools.cache
def _declared_head() -> str | None:
    """The single head of the migration files, found without importing alembic.

    Every command opens the database and asks whether the schema is current; importing alembic
    (and mako with it) only to answer that cost 0.2-0.35 s a command. None when the files are
    not the simple chain this reads (a merge, say): alembic then answers.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for revision, parent in _migration_files():
        if revision is None or parent is None:
            return None
        revisions.add(revision)
        if parent != "None":
            named = re.fullmatch(r"['\"]([^'\"]+)['\"]", parent)
            if named is None:
                return None
            parents.add(named.group(1))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 and parents <= revisions else None


def known_revisions() -> frozenset[str]:
    """Every revision the shipped migrations define (read from their files)."""
    return frozenset(revision for revision, _ in _migration_files() if revision is not None)


def _refuse_unknown(revision: str | None) -> None:
    """A database a newer release has upgraded (another machine on a shared database, or a
    copy from one): this release cannot know its schema, so it must not touch it."""
    if revision is not None and revision not in known_revisions():
        from knowvember import __version__

        raise DatabaseError(
            f"the database is at schema revision {revision!r}, which knowvember {__version__} "
            "does not know: a newer release of knowvember has upgraded it. Upgrade knowvember "
            "on this machine too (pip install --upgrade knowvember); nothing was changed")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new database), read from alembic's table."""
    if connection.dialect.name == "sqlite":
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
    else:
        exists = connection.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar()
    if not exists:
        return None
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    if len(rows) == 1:
        return str(rows[0][0])
    from alembic.runtime.migration import MigrationContext  # several heads: alembic decides

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; return (before, after). No copy is kept
    (a private copy being upgraded, a test); `upgrade_schema` keeps one."""
    done = upgrade_schema(engine, keep_copy=False)
    return done.before, done.after


@dataclass
class SchemaUpgrade:
    """What bringing a schema up to date did: the revisions, and the copy kept first."""

    before: str | None
    after: str
    copy: Path | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade_schema(engine: Engine, *, keep_copy: bool = True) -> SchemaUpgrade:
    """Bring the schema to the newest revision, first copying a SQLite database that holds
    an older one to a file beside it (`keep_copy`).

    An upgraded database is refused by the release before (it does not know the new
    revision), so a librarian whose new release misbehaved had no way back, and a migration
    that rewrites every payload had nothing to fall back on. The copy is what the older
    release can still open, and `db restore` puts back. It is written inside the upgrade's
    write lock, so it is the database exactly as the upgrade found it.
    """
    from alembic import command

    copy = None
    with translate_errors(engine), engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction: without this, a run killed while
            # creating the schema leaves half the tables and a database no later run can
            # open. IMMEDIATE also makes two first runs at once create it one after the other.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            # Likewise on PostgreSQL: the second of two first runs waits here for the first
            # to commit the schema, then finds it made, instead of failing half-way.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            _refuse_missing_schema(conn)
        before = current_revision(conn)
        head = head_revision()
        _refuse_unknown(before)
        if before != head:
            if keep_copy and before is not None and engine.dialect.name == "sqlite":
                copy = _copy_before_upgrade(engine, before, head)
            command.upgrade(alembic_config(conn), "head")
    return SchemaUpgrade(before=before, after=head, copy=copy)


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite file at this path, with `?`, `#` and `%` in folder names
    encoded: pasted into `sqlite:///` as it was, a folder named `odd ?x` cut the path at
    the `?` (see `config.resolve_sqlite_url`)."""
    return sa.URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _copy_before_upgrade(engine: Engine, before: str, head: str) -> Path | None:
    """Copy the SQLite database (at `before`) to `<name>-before-upgrade-<before>.db` beside
    it, or to `...-2.db` and on when that is taken: an earlier copy is never replaced."""
    from knowvember.backup import backup_database

    database = engine.url.database or ""
    if not database or database == ":memory:":
        return None
    live = Path(database).expanduser().resolve()
    name = f"{live.stem}-before-upgrade-{before}"
    target = live.with_name(name + ".db")
    number = 1
    while target.exists():
        number += 1
        target = live.with_name(f"{name}-{number}.db")
    try:
        return backup_database(sqlite_url(live), target)
    except (DatabaseError, InputError) as exc:
        cause = exc.__cause__
        if isinstance(exc, InputError):
            reason = "its folder cannot be written"
        elif isinstance(cause, OSError):
            reason = cause.strerror or str(cause)
        else:  # SQLite's own words ("database or disk is full")
            reason = str(cause or exc)
        raise DatabaseError(
            f"before upgrading its schema ({before} -> {head}) knowvember keeps a copy of "
            f"{live} beside it, and writing {target} failed ({reason}); nothing was changed. "
            "Free some space there (the copy is as big as the database) or make the folder "
            "writable, or run `knowvember db upgrade --no-backup` to upgrade without the "
            "copy") from exc


def _refuse_missing_schema(conn: Connection) -> None:
    """A search_path naming no schema that exists (`?options=-csearch_path%3Dkv2027` before
    `CREATE SCHEMA kv2027`) said only PostgreSQL's "no schema has been selected to create
    in"; the coordinator needs to hear which schema to create."""
    schema, path = conn.execute(sa.text(
        "SELECT current_schema(), current_setting('search_path')")).one()
    if not schema:
        first = str(path).split(",")[0].strip() or "name"
        raise DatabaseError(
            f"the database's search_path ({path}) names no schema that exists, so there is "
            f"nowhere to create knowvember's tables: create it first (CREATE SCHEMA {first}, "
            "owned by the URL's user), or correct the URL's options")


def open_database(settings: Settings, *, url: str | None = None,
                  upgrade_shared: bool = False) -> Database:
    """Open the configured database, creating it, or upgrading an older SQLite schema (a copy
    of the file is kept beside it first).

    An older PostgreSQL schema is refused unless `upgrade_shared`: see `_refuse_shared_upgrade`.
    """
    engine = create_db_engine(url or settings.database_url)
    try:
        with translate_errors(engine), engine.connect() as conn:
            before = current_revision(conn)
        if before != head_revision():
            if before is not None and engine.dialect.name != "sqlite" and not upgrade_shared:
                _refuse_shared_upgrade(engine, before)
            done = upgrade_schema(engine)
            if done.before is None:
                log.info("Created the database at %s", _redact(str(engine.url)))
            elif done.changed:
                log.info("Upgraded the database schema (%s -> %s)%s", done.before, done.after,
                         kept_copy_note(done))
        campaign_id = ensure_campaign(engine, settings)
        if engine.dialect.name == "sqlite":
            from knowvember.bulkload import repair

            with translate_errors(engine):
                repair(engine)
    except Exception:
        engine.dispose()
        raise
    return Database(engine=engine, campaign_id=campaign_id, sessions=sessionmaker(engine))


def kept_copy_note(done: SchemaUpgrade) -> str:
    """`; a copy ... is kept in FILE` for the upgrade's message, or "" when none was kept."""
    if done.copy is None:
        return ""
    return (f"; the database as it was (schema {done.before}) is kept in {done.copy}, which "
            "the release you had before can still open: delete it once this one has served "
            "you well")


def _refuse_shared_upgrade(engine: Engine, before: str) -> NoReturn:
    """An older schema on PostgreSQL, which any command used to upgrade on first use.

    A PostgreSQL database is shared (the collecting server, coordinators' laptops, the web
    app): a coordinator who installed a new release and ran `summary` upgraded it for
    everyone, and from then on every machine still on the older release refused it, cron
    mailing "a newer release of knowvember has upgraded it" every 30 minutes mid-campaign.
    Upgrading a shared schema is a decision, made once, with `knowvember db upgrade`.
    """
    _refuse_unknown(before)
    from knowvember import __version__

    raise DatabaseError(
        f"{_redact(str(engine.url))} is at schema revision {before}, older than the "
        f"{head_revision()} knowvember {__version__} needs; nothing was changed. A PostgreSQL "
        "database is shared, so it is not upgraded by the first command that opens it: once "
        "it is, every machine still running an older knowvember refuses it until that one is "
        "upgraded too. When they can all be upgraded, back it up (`knowvember db backup "
        "FILE`), then run `knowvember db upgrade` once, from any one of them")


def ensure_campaign(engine: Engine, settings: Settings) -> int:
    """The id of the config's campaign row, creating or refreshing it.

    Two processes opening a new database at once may both try to insert the row; the one
    that loses the race reads the winner's row instead of failing.
    """
    for attempt in range(3):
        try:
            return _ensure_campaign_once(engine, settings)
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
            log.debug("campaign row created concurrently; reading it again")
    raise AssertionError("unreachable")


def _ensure_campaign_once(engine: Engine, settings: Settings) -> int:
    from knowvember.models import Campaign, utcnow

    c = settings.campaign
    values = {
        "name": c.name,
        "start": c.start,
        "end": c.end,
        "timezone": c.timezone,
        "hashtags": c.all_tags,
    }
    table = Campaign.__table__
    with translate_errors(engine), engine.begin() as conn:
        row = conn.execute(sa.select(table.c.id, table.c.name, table.c.start, table.c.end,
                                     table.c.timezone, table.c.hashtags)
                           .where(table.c.slug == c.slug)).first()
        if row is None:
            result = conn.execute(table.insert().values(slug=c.slug, created_at=utcnow(),
                                                        **values))
            return int(result.inserted_primary_key[0])
        current = dict(zip(("name", "start", "end", "timezone", "hashtags"), row[1:], strict=True))
        if current != values:
            conn.execute(table.update().where(table.c.id == row.id).values(**values))
            _say_campaign_changed(settings, current, values)
        return int(row.id)


def _say_campaign_changed(settings: Settings, stored: dict[str, object],
                          values: dict[str, object]) -> None:
    """Say what of the campaign's dates, hashtags, name or time zone this campaign.toml
    changed in the database.

    Two machines sharing one PostgreSQL database with different copies of campaign.toml
    (the laptop's without the variant added on the server, or last year's end date) each
    collected and reported by their own file, and each quietly rewrote the campaign in the
    database: the reports differed with nothing said. An edit of the one file is said once.
    """
    changes = []
    for key, new in values.items():
        old = stored[key]
        if key == "hashtags":
            added = [t for t in new if t not in old]  # type: ignore[operator,union-attr]
            dropped = [t for t in old if t not in new]  # type: ignore[operator,union-attr]
            if added or dropped:
                changes.append("hashtags " + ", ".join(
                    [f"+{t}" for t in added] + [f"-{t}" for t in dropped]))
        elif str(old) != str(new):
            changes.append(f"{key} {old} -> {new}")
    if changes:
        log.warning("%s: campaign %s in the database changed by this file (%s); every "
                    "machine sharing the database must use the same campaign settings, or "
                    "their collections and reports differ", settings.path or "campaign.toml",
                    settings.campaign.slug, "; ".join(changes))

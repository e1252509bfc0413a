"""Shared fixtures: a campaign config in a temp folder, databases on SQLite and PostgreSQL,
the CLI runner, and the recorded real API payloads.

PostgreSQL tests use $KNOWVEMBER_TEST_DATABASE_URL or the local server at 127.0.0.1:5432
(database `test`) when it answers, each test in its own schema; otherwise they skip, saying
why. With CI=true they fail instead of skipping, so CI always runs them.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from knowvember.config import Settings, parse_settings
from knowvember.db import Database
from knowvember.models import Post, PostHashtag
from knowvember.organisations import Catalogue

REPO = Path(__file__).resolve().parent.parent
# Real recorded API payloads, copied unedited from the shared fixtures (origin in its README).
FIXTURES = REPO / "tests" / "fixtures" / "api"

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

BASE_CONFIG = """\
[campaign]
name = "KNOWvember 2019"
slug = "knowvember19"
hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember"]
variants = ["Knowvmber19"]
start = 2019-11-01
end = 2019-11-30
timezone = "Europe/London"

[database]
url = "sqlite:///knowvember.db"
"""


def stored_posts(db: Database) -> dict[str, Post]:
    """Every stored post by its platform id, detached so a test can read it afterwards."""
    with db.session() as session:
        found = session.scalars(sa.select(Post)).all()
        session.expunge_all()
    return {p.platform_id: p for p in found}


def hashtags_of(db: Database, platform_id: str) -> set[str]:
    """The hashtags stored for the post with this platform id."""
    with db.begin() as conn:
        rows = conn.execute(sa.select(PostHashtag.tag).join(Post, Post.id == PostHashtag.post_id)
                            .where(Post.platform_id == platform_id))
        return {r[0] for r in rows}


def _pg_base_url() -> str:
    return os.environ.get("KNOWVEMBER_TEST_DATABASE_URL", PG_DEFAULT)


_pg_checked: str | None = None
_pg_reason = ""


def postgres_available() -> bool:
    global _pg_checked, _pg_reason
    if _pg_checked is None:
        try:
            engine = sa.create_engine(_pg_base_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            _pg_checked = "yes"
        except Exception as exc:
            _pg_checked = "no"
            _pg_reason = f"PostgreSQL at {_pg_base_url()} does not answer: {exc}"[:300]
    return _pg_checked == "yes"


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs PostgreSQL: {_pg_reason}")
    pytest.skip(_pg_reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with fresh_pg_schema() as url:
        yield url


@contextlib.contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new schema, dropped on the way out (for a test
    that needs more than one database)."""
    require_postgres()
    schema = f"kv_test_{uuid.uuid4().hex[:12]}"
    base = _pg_base_url()
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'knowvember.db'}"
    return request.getfixturevalue("pg_url")  # type: ignore[no-any-return]


@pytest.fixture
def campaign_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding a valid campaign.toml; KNOWVEMBER_* variables cleared."""
    for name in list(os.environ):
        if name.startswith("KNOWVEMBER_"):
            monkeypatch.delenv(name)
    (tmp_path / "campaign.toml").write_text(BASE_CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write_config(campaign_dir: Path) -> Callable[[str], Path]:
    """Write campaign.toml as BASE_CONFIG plus `extra` TOML; returns its path."""

    def write(extra: str = "", *, base: str = BASE_CONFIG) -> Path:
        path = campaign_dir / "campaign.toml"
        path.write_text(base + "\n" + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture
def settings(campaign_dir: Path) -> Settings:
    return parse_settings(BASE_CONFIG, campaign_dir / "campaign.toml")


@pytest.fixture
def db(settings: Settings, db_url: str):  # type: ignore[no-untyped-def]
    """An open, migrated database for the test campaign, on SQLite and on PostgreSQL."""
    from knowvember.db import open_database

    database = open_database(settings, url=db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    from knowvember.db import open_database

    database = open_database(settings, url=f"sqlite:///{tmp_path / 'knowvember.db'}")
    yield database
    database.dispose()


@pytest.fixture
def cli() -> Callable[..., object]:
    """Invoke the CLI in-process: cli("summary", "--format", "json")."""
    from knowvember.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The shipped organisations catalogue, with no campaign config (built once a module:
    the matching tests read it, and none changes it)."""
    return Catalogue.load(None)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES

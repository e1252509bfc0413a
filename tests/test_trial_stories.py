"""Found reviewing stories, upgrading and sharing a database: an early 0001 database brought
up to date with every row kept, a trail in the order it was written whatever the machines'
clocks say, and a review queue that moves past stories another coordinator took meanwhile."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowvember import stories as stories_mod
from knowvember.db import MIGRATIONS, alembic_config, create_db_engine, open_database
from knowvember.models import (
    Account,
    Base,
    Campaign,
    CollectorState,
    Post,
    PostHashtag,
    PostTechnique,
    Run,
    Story,
    StoryEvent,
    StoryTechnique,
    User,
)
from knowvember.stories import (
    StoryInput,
    approve_story,
    delete_story,
    get_story,
    request_changes,
    submit_story,
)
from tests.test_stories import GOOD

# What 0001 read like when the first databases were made with it (it was changed in place
# since): no AUTOINCREMENT on stories, a two-column posts index, no forgotten_accounts.
EARLY_0001 = (
    ("    sa.UniqueConstraint('external_key', name=op.f('uq_stories_external_key')),\n"
     "    sqlite_autoincrement=True,\n",
     "    sa.UniqueConstraint('external_key', name=op.f('uq_stories_external_key'))\n"),
    ("['campaign_id', 'created_at', 'account_id', 'platform', 'kind', 'likes', 'reposts', "
     "'replies', 'quotes']", "['campaign_id', 'created_at']"),
    ("    op.create_table('forgotten_accounts',\n"
     "    sa.Column('digest', sa.String(length=64), nullable=False),\n"
     "    sa.Column('kind', sa.String(length=8), nullable=False),\n"
     "    sa.Column('forgotten_at', sa.DateTime(), nullable=False),\n"
     "    sa.PrimaryKeyConstraint('digest', name=op.f('pk_forgotten_accounts'))\n"
     "    )\n", ""),
    ("    op.drop_table('forgotten_accounts')\n", ""),
)


def early_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "early_migrations"
    (folder / "versions").mkdir(parents=True)
    shutil.copy(MIGRATIONS / "env.py", folder / "env.py")
    text = (MIGRATIONS / "versions" / "0001_initial_schema.py").read_text(encoding="utf-8")
    for now, then in EARLY_0001:
        assert now in text, now
        text = text.replace(now, then)
    (folder / "versions" / "0001_initial_schema.py").write_text(text, encoding="utf-8")
    return folder


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2019, 11, day, hour, 31, tzinfo=dt.UTC)


def fill(conn: sa.Connection, settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A campaign's worth of rows of every kind, written as an early release wrote them."""
    c = settings.campaign
    campaign = conn.execute(Campaign.__table__.insert().values(
        slug=c.slug, name=c.name, start=c.start, end=c.end, timezone=c.timezone,
        hashtags=c.all_tags, created_at=at(1))).inserted_primary_key[0]
    account = conn.execute(Account.__table__.insert().values(
        platform="x", key="1234", platform_user_id="1234", handle="@uhllibraries",
        display_name="UHL Libraries 📚", bio="Library & Knowledge Service", followers=1520,
        organisation_code="RWE", attribution="manual", attribution_confidence=1.0,
        first_seen=at(2), last_seen=at(20))).inserted_primary_key[0]
    posts = []
    for n, kind in enumerate(("original", "reply"), start=1):
        posts.append(conn.execute(Post.__table__.insert().values(
            campaign_id=campaign, platform="x", platform_id=f"11920000000000000{n}",
            account_id=account, created_at=at(4 + n), text=f"Our #KNOWvember19 Peer Assist {n}",
            kind=kind, likes=7 * n, reposts=2, replies=1, quotes=0, source="twarc2",
            raw='{"id": "1"}', first_collected=at(6), last_collected=at(7))
        ).inserted_primary_key[0])
        conn.execute(PostHashtag.__table__.insert().values(post_id=posts[-1], tag="knowvember19"))
        conn.execute(PostTechnique.__table__.insert().values(post_id=posts[-1],
                                                             technique="Peer Assist"))
    conn.execute(Run.__table__.insert().values(
        campaign_id=campaign, source="import:twarc2", started_at=at(6), finished_at=at(6, 11),
        status="ok", fetched=2, new=2, updated=0, skipped=0, requests=0, posts_read=0,
        estimated_cost=0.0, details={"files": ["x.jsonl"]}))
    conn.execute(CollectorState.__table__.insert().values(
        campaign_id=campaign, source="x", key="since_id", value="119200000000000002",
        updated_at=at(7)))
    conn.execute(User.__table__.insert().values(username="ann", password_hash="$argon2id$x",
                                                created_at=at(1)))
    ids = {}
    for name, status, key in (("approved", "approved", "form:7"),
                              ("changes", "changes_requested", None),
                              ("erased", "submitted", None)):
        ids[name] = conn.execute(Story.__table__.insert().values(
            campaign_id=campaign, external_key=key, title=f"AARs ({name})",
            body="We ran AARs.",
            outcome="Three teams", chosen_techniques=["After Action Review"],
            organisation_code="RWE", organisation_text="RWE", name="Jane Smith",
            email="jane.smith@nhs.net", role="Librarian", links=["https://example.org/a"],
            consent=name != "changes", submitted_at=at(5), source="form" if key else "cli",
            status=status, updated_at=at(6))).inserted_primary_key[0]
        conn.execute(StoryTechnique.__table__.insert().values(story_id=ids[name],
                                                              technique="After Action Review"))
        events = [("submitted", None, None, None, "submitted")]
        if status != "submitted":
            events.append((status, "Ann", "Please add the outcome" if name == "changes" else None,
                           "submitted", status))
        for action, reviewer, note, before, after in events:
            conn.execute(StoryEvent.__table__.insert().values(
                story_id=ids[name], action=action, reviewer=reviewer, at=at(6), note=note,
                from_status=before, to_status=after))
    # erased the way `stories delete` erases: the row goes, the trail keeps a deleted event
    conn.execute(StoryTechnique.__table__.delete().where(
        StoryTechnique.__table__.c.story_id == ids["erased"]))
    conn.execute(Story.__table__.delete().where(Story.__table__.c.id == ids["erased"]))
    conn.execute(StoryEvent.__table__.insert().values(
        story_id=ids["erased"], action="deleted", reviewer="Ann", at=at(8), note=None,
        from_status="submitted", to_status=None))
    return ids


# Added by later migrations, and empty in a database they upgraded: left out, so that rows
# read before an upgrade compare with rows read after it.
LATER_TABLES = {"raw_dictionaries", "post_versions"}
LATER_COLUMNS = {"posts": {"raw_z", "edited_at"},
                 "accounts": {"profile_at", "moved_to_id", "former_handles"}}


def every_row(url: str) -> dict[str, list[Any]]:
    """Every row of every table the database has, by the columns it has (leaving out the
    later tables and columns while they hold nothing)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = set(inspector.get_table_names())
            found: dict[str, list[Any]] = {}
            for table in Base.metadata.sorted_tables:
                if table.name == "forgotten_accounts" or table.name not in present:
                    continue
                names = {c["name"] for c in inspector.get_columns(table.name)}
                columns = [c for c in table.c if c.name in names]
                rows = [dict(r._mapping) for r in conn.execute(
                    sa.select(*columns).order_by(*table.primary_key.columns))]
                for later in LATER_COLUMNS.get(table.name, set()) & names:
                    if all(r[later] is None for r in rows):
                        for r in rows:
                            del r[later]
                if table.name in LATER_TABLES and not rows:
                    continue
                found[table.name] = [tuple(r.values()) for r in rows]
            return found
    finally:
        engine.dispose()


def test_an_early_0001_database_is_brought_up_to_date_with_every_row(
        settings, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0001 changed in place: databases made before were stamped 0001 and never upgraded, so
    every import and `forget` failed (no forgotten_accounts) and, on SQLite, the next story
    took an erased story's id and showed its trail."""
    from alembic import command

    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        config = alembic_config(conn)
        config.set_main_option("script_location", str(early_migrations(tmp_path)))
        command.upgrade(config, "head")
        ids = fill(conn, settings)
    engine.dispose()
    before = every_row(db_url)

    db = open_database(settings, url=db_url, upgrade_shared=True)
    try:
        assert every_row(db_url) == before
        with db.begin() as conn:
            forgotten = conn.execute(sa.text("SELECT COUNT(*) FROM forgotten_accounts")).scalar()
            indexes = {ix["name"]: ix["column_names"]
                       for ix in sa.inspect(conn).get_indexes("posts")}
        assert forgotten == 0
        assert len(indexes["ix_posts_campaign_created"]) == 9
        from knowvember.privacy import forget

        forget(db, "x:@uhllibraries", settings)
        changed = get_story(db, ids["changes"])
        assert [(e.action, e.note) for e in changed.events] == [
            ("submitted", None), ("changes_requested", "Please add the outcome")]
        assert changed.techniques == ("After Action Review",)
        # neither the id erased before the upgrade nor one erased after it is given out again
        fresh, _ = submit_story(db, settings, StoryInput.parse(GOOD, settings))
        assert fresh.id > ids["erased"]
        delete_story(db, fresh.id, reviewer="Ann")
        newer, _ = submit_story(db, settings, StoryInput.parse(GOOD, settings))
        assert newer.id > fresh.id
        assert [e.action for e in get_story(db, newer.id).events] == ["submitted"]
    finally:
        db.dispose()


def test_the_trail_keeps_the_order_it_was_written_whatever_the_clocks(
        db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two coordinators' laptops on one PostgreSQL database: one clock runs two minutes slow.
    The decision it records still comes after the submission and edit it followed."""
    story, _ = submit_story(db, settings, StoryInput.parse(GOOD, settings))
    real = stories_mod.utcnow
    monkeypatch.setattr(stories_mod, "utcnow", lambda: real() - dt.timedelta(minutes=2))
    request_changes(db, story.id, reviewer="Slow laptop", note="Please add the outcome")
    monkeypatch.setattr(stories_mod, "utcnow", real)
    stories_mod.edit_story(db, settings, story.id, {"outcome": "Three teams"}, editor="Ann")
    monkeypatch.setattr(stories_mod, "utcnow", lambda: real() - dt.timedelta(minutes=2))
    approve_story(db, story.id, reviewer="Slow laptop")
    trail = get_story(db, story.id).events
    assert [e.action for e in trail] == ["submitted", "changes_requested", "edited", "approved"]
    assert [(e.from_status, e.to_status) for e in trail][1:] == [
        ("submitted", "changes_requested"), ("changes_requested", "submitted"),
        ("submitted", "approved")]


def test_the_review_queue_moves_past_stories_taken_meanwhile(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """While one coordinator decides the first story, another approves the second and
    deletes the third: the queue says so and moves on instead of showing stale stories
    (and stopping with exit 6 on the deleted one)."""
    from tests.test_stories_cli import SUBMIT

    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    ids = [int(json.loads(cli(*SUBMIT, "--format", "json").stdout)["id"]) for _ in range(3)]
    real = stories_mod.transition

    def and_meanwhile(db, story_id, action, **kwargs):  # type: ignore[no-untyped-def]
        decided = real(db, story_id, action, **kwargs)
        if story_id == ids[0]:
            real(db, ids[1], "approve", reviewer="Bob")
            delete_story(db, ids[2], reviewer="Bob")
        return decided

    monkeypatch.setattr(stories_mod, "transition", and_meanwhile)
    result = cli("stories", "review", input="aaa")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert f"Story {ids[1]} was decided meanwhile (now approved); moving on." in said
    assert f"Story {ids[2]} was deleted meanwhile; moving on." in said
    assert "2 of 3" not in said and "Decided 1 of 3: 1 approved" in said
    shown = json.loads(cli("stories", "show", str(ids[1]), "--format", "json").stdout)
    assert [(e["action"], e["reviewer"]) for e in shown["events"]] == [
        ("submitted", None), ("approved", "Bob")]


def test_json_piped_into_head_ends_quietly(campaign_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.test_stories_cli import SUBMIT

    env = {"KNOWVEMBER_REVIEWER": "Ann", "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-m", "knowvember", "-q", *SUBMIT], env=env,
                       check=True, capture_output=True, cwd=campaign_dir)
    reader = subprocess.Popen([sys.executable, "-m", "knowvember", "stories", "list",
                               "--format", "json"], env=env, cwd=campaign_dir,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # what `| head -0` does
    stderr = reader.stderr.read().decode()
    reader.wait()
    assert "please report it" not in stderr, stderr


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_failed_pg_dump_keeps_the_last_good_backup(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`db backup --force nightly.dump` from cron, the night the server is down: the error is
    clear and last night's dump is still there (it was deleted)."""
    from knowvember.backup import backup_database
    from knowvember.errors import DatabaseError

    nightly = tmp_path / "nightly.dump"
    nightly.write_bytes(b"last night's good dump")
    # (the schema to dump is read first, so a server that is down fails at the connect)
    with pytest.raises(DatabaseError, match=r"cannot connect|pg_dump failed"):
        backup_database("postgresql+psycopg://postgres@127.0.0.1:1/knowvember", nightly,
                        force=True)
    assert nightly.read_bytes() == b"last night's good dump"
    assert list(tmp_path.iterdir()) == [nightly]



def test_a_database_upgraded_by_a_newer_release_is_refused_clearly(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One machine on a shared database runs a newer knowvember; a laptop still on this one
    is told to upgrade (exit 5), not 'unexpected CommandError ... please report it'."""
    from knowvember.errors import DatabaseError

    url = f"sqlite:///{tmp_path / 'knowvember.db'}"
    open_database(settings, url=url).dispose()
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer"):
        open_database(settings, url=url).dispose()


def test_the_review_queue_quits_with_its_count_at_the_end_of_input_in_a_note(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-D (or the end of piped input) at the note prompt quits like `q`: the decisions
    made are counted and the exit code is 0, not "Aborted!" and 1."""
    from tests.test_stories_cli import SUBMIT

    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first, second = (int(json.loads(cli(*SUBMIT, "--format", "json").stdout)["id"])
                     for _ in range(2))
    result = cli("stories", "review", input="a" + "r")
    assert result.exit_code == 0, result.stderr
    assert "Decided 1 of 2: 1 approved, 0 rejected" in " ".join(result.stderr.split())
    shown = json.loads(cli("stories", "show", str(second), "--format", "json").stdout)
    assert shown["status"] == "submitted" and len(shown["events"]) == 1
    assert json.loads(cli("stories", "show", str(first), "--format", "json").stdout)[
        "status"] == "approved"

"""Re-tagging every post and story after the taxonomy changed (`techniques retag`).

Posts are read in id order in batches (keyset pagination, so memory stays flat at a million
posts); each batch's new tags are compared with the stored ones and only the difference is
written, in one transaction per batch. A retag interrupted half-way leaves every batch either
old or new, and running it again finishes the job. It covers the whole database (every
campaign in it), because the taxonomy is the same for all of them.

Which taxonomy the stored tags were made with is recorded per campaign, as the taxonomy's
fingerprint in the collector-state table (source `techniques`, key `fingerprint`), so
`summary`, `leaderboard`, `report` and `techniques list` can say when the stored tags were
made by other rules than the ones in use (a new release, an edited `[techniques]`) and the
counts mix two sets of rules. `retag` records the fingerprint for every campaign;
`note_tagging` is for writers of new posts (imports, collection), before they write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from knowvember.db import Database
from knowvember.errors import REPORTED, KnowvemberError
from knowvember.models import Campaign, CollectorState, Post, PostTechnique, Story, StoryTechnique
from knowvember.techniques import Taxonomy, story_techniques

log = logging.getLogger(__name__)

BATCH = 5000

posts_t = Post.__table__
post_techniques_t = PostTechnique.__table__
stories_t = Story.__table__
story_techniques_t = StoryTechnique.__table__
campaigns_t = Campaign.__table__
state_t = CollectorState.__table__

# Where the fingerprint of the taxonomy that made the stored tags is kept (collector_state).
STATE_SOURCE = "techniques"
STATE_KEY = "fingerprint"
# Recorded when posts were tagged by two different taxonomies: stale whatever is in use.
MIXED = "mixed"
RETAG_COMMAND = "knowvember techniques retag"
# With no record, a campaign of up to this many posts is checked by tagging it again in
# memory (about 1.3 s at 50,000 posts, 5 s at 193,000; a retag of 193,000 takes 7 s).
VERIFY_LIMIT = 50_000

Progress = Callable[[int], None]


@dataclass
class RetagSummary:
    posts: int = 0
    posts_changed: int = 0
    post_tags_added: int = 0
    post_tags_removed: int = 0
    stories: int = 0
    stories_changed: int = 0
    story_tags_added: int = 0
    story_tags_removed: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, float | int]:
        return {**self.__dict__, "seconds": round(self.seconds, 2)}


def retag(
    db: Database, taxonomy: Taxonomy, *, batch_size: int = BATCH,
    progress: Progress | None = None,
) -> RetagSummary:
    """Rebuild post_techniques and story_techniques for the whole database."""
    started = time.perf_counter()
    summary = RetagSummary()
    retag_posts(db, taxonomy, summary, batch_size=batch_size, progress=progress)
    retag_stories(db, taxonomy, summary)
    _record_everywhere(db, taxonomy.fingerprint())
    summary.seconds = time.perf_counter() - started
    log.info("Re-tagged %d posts (%d changed) and %d stories (%d changed) in %.1f s",
             summary.posts, summary.posts_changed, summary.stories, summary.stories_changed,
             summary.seconds, extra=REPORTED)
    return summary


def _stored_tags(conn: sa.Connection, low: int, high: int) -> dict[int, set[str]]:
    """The technique tags stored for the posts with ids from `low` to `high`, by post id."""
    stored: dict[int, set[str]] = {}
    for post_id, technique in conn.execute(
        sa.select(post_techniques_t.c.post_id, post_techniques_t.c.technique)
        .where(post_techniques_t.c.post_id.between(low, high))
    ):
        stored.setdefault(post_id, set()).add(technique)
    return stored


def retag_posts(
    db: Database, taxonomy: Taxonomy, summary: RetagSummary, *, batch_size: int = BATCH,
    progress: Progress | None = None,
) -> None:
    tag = taxonomy.tag
    last = 0
    while True:
        with db.begin() as conn:
            rows = conn.execute(
                sa.select(posts_t.c.id, posts_t.c.text).where(posts_t.c.id > last)
                .order_by(posts_t.c.id).limit(batch_size)
            ).all()
            if not rows:
                return
            low, last = rows[0].id, rows[-1].id
            stored = _stored_tags(conn, low, last)
            wanted = {post_id: set(tag(text)) if text else set() for post_id, text in rows}
            added, removed = _diff(wanted, stored)
            _apply(conn, post_techniques_t, "post_id", added, removed)
        summary.posts += len(rows)
        summary.posts_changed += len({p for p, _ in added} | {p for p, _ in removed})
        summary.post_tags_added += len(added)
        summary.post_tags_removed += len(removed)
        if progress is not None:
            progress(summary.posts)


def retag_stories(db: Database, taxonomy: Taxonomy, summary: RetagSummary) -> None:
    """Stories: tagged from their title, body and outcome, plus the submitter's choices."""
    with db.begin() as conn:
        rows = conn.execute(
            sa.select(stories_t.c.id, stories_t.c.title, stories_t.c.body, stories_t.c.outcome,
                      stories_t.c.chosen_techniques)
        ).all()
        stored: dict[int, set[str]] = {}
        for story_id, technique in conn.execute(
            sa.select(story_techniques_t.c.story_id, story_techniques_t.c.technique)
        ):
            stored.setdefault(story_id, set()).add(technique)
        wanted = {
            row.id: {name[:120] for name in story_techniques(
                taxonomy, row.title, row.body, row.outcome, row.chosen_techniques or ())}
            for row in rows
        }
        added, removed = _diff(wanted, stored)
        _apply(conn, story_techniques_t, "story_id", added, removed)
    summary.stories += len(rows)
    summary.stories_changed += len({s for s, _ in added} | {s for s, _ in removed})
    summary.story_tags_added += len(added)
    summary.story_tags_removed += len(removed)


def _diff(
    wanted: dict[int, set[str]], stored: dict[int, set[str]]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    added: list[tuple[int, str]] = []
    removed: list[tuple[int, str]] = []
    empty: set[str] = set()
    for key, names in wanted.items():
        have = stored.get(key, empty)
        if names == have:
            continue
        added.extend((key, n) for n in sorted(names - have))
        removed.extend((key, n) for n in sorted(have - names))
    return added, removed


def _apply(
    conn: sa.Connection, table: sa.Table, key: str,
    added: list[tuple[int, str]], removed: list[tuple[int, str]],
) -> None:
    if removed:
        conn.execute(
            table.delete().where(table.c[key] == sa.bindparam("b_key"),
                                 table.c.technique == sa.bindparam("b_technique")),
            [{"b_key": k, "b_technique": t} for k, t in removed],
        )
    if added:
        conn.execute(table.insert(), [{key: k, "technique": t} for k, t in added])


# -- which taxonomy made the stored tags ------------------------------------------------------


def _record_everywhere(db: Database, fingerprint: str) -> None:
    """After a whole-database retag every campaign's tags are this taxonomy's."""
    from knowvember.store import save_state

    with db.begin() as conn:
        for (campaign_id,) in conn.execute(sa.select(campaigns_t.c.id)):
            save_state(conn, campaign_id, STATE_SOURCE, {STATE_KEY: fingerprint})


def recorded_fingerprint(db: Database) -> str | None:
    """The fingerprint recorded for this campaign's stored tags (None: never recorded)."""
    from knowvember.store import load_state

    return load_state(db, STATE_SOURCE).get(STATE_KEY)


def _has_tagged_items(conn: sa.Connection, campaign_id: int) -> bool:
    """Whether the campaign has any post or story, whose tags some taxonomy made."""
    for table in (posts_t, stories_t):
        found = conn.execute(
            sa.select(table.c.id).where(table.c.campaign_id == campaign_id).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def note_tagging(db: Database, taxonomy: Taxonomy) -> None:
    """Record that this campaign's new posts are about to be tagged by `taxonomy`.

    For imports and collection, called before the first post is written. The first
    writer of an empty campaign records its fingerprint; a writer with another taxonomy
    than the recorded one marks the tags as mixed (the older posts keep the old tags), so
    the reports warn until a retag. A campaign with posts and no record (a database
    from before the record was kept) is left unrecorded: its tags may be stale.
    """
    fingerprint = taxonomy.fingerprint()
    try:
        _note_tagging(db, fingerprint)
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        # Two first runs at once (cron lines at the same minute) both found no record and
        # both wrote one: the second, once the first has committed, reads it and agrees, or
        # marks the tags mixed when the two tag differently.
        _note_tagging(db, fingerprint)


def _note_tagging(db: Database, fingerprint: str) -> None:
    from knowvember.store import save_state

    with db.begin() as conn:
        recorded = conn.execute(
            sa.select(state_t.c.value).where(
                state_t.c.campaign_id == db.campaign_id, state_t.c.source == STATE_SOURCE,
                state_t.c.key == STATE_KEY)
        ).scalar()
        if recorded in (fingerprint, MIXED):
            return
        if recorded is None:
            if not _has_tagged_items(conn, db.campaign_id):
                save_state(conn, db.campaign_id, STATE_SOURCE, {STATE_KEY: fingerprint})
            return
        save_state(conn, db.campaign_id, STATE_SOURCE, {STATE_KEY: MIXED})


def stale_tags_warning(db: Database, taxonomy: Taxonomy) -> str | None:
    """Why this campaign's stored technique tags may not be `taxonomy`'s, or None.

    None when the recorded fingerprint is the taxonomy's, and for a campaign with no posts
    or stories yet (nothing is tagged, so nothing is stale). With no record (a database
    from before the record was kept, or posts written by a writer that does not call
    `note_tagging`), a campaign of up to VERIFY_LIMIT posts is checked by tagging it
    again in memory: tags that all agree are recorded as this taxonomy's (no warning from
    then on), and any that differ are stale. A larger one is not read through on every
    summary (retag does that once): its tags may be stale, and it says so.
    """
    recorded = recorded_fingerprint(db)
    fingerprint = taxonomy.fingerprint()
    if recorded == fingerprint:
        return None
    if recorded is None:
        with db.begin() as conn:
            if not _has_tagged_items(conn, db.campaign_id):
                return None
        agree = tags_agree(db, taxonomy)
        if agree:
            _adopt(db, fingerprint)
            return None
        why = ("were tagged by other technique rules than this knowvember version and "
               "campaign.toml [techniques] use" if agree is False else
               "were tagged before knowvember recorded which technique rules tagged them, "
               "and the rules may have changed since")
    elif recorded == MIXED:
        why = "were tagged by more than one set of technique rules"
    else:
        why = ("were tagged by other technique rules than this knowvember version and "
               "campaign.toml [techniques] use")
    return (f"the stored posts and stories {why}, so technique counts may mix old and new "
            f"rules; run `{RETAG_COMMAND}` to tag them all again with the current rules.")


def tags_agree(db: Database, taxonomy: Taxonomy, *, limit: int | None = None,
               batch_size: int = BATCH) -> bool | None:
    """Whether every post and story of the campaign has the tags `taxonomy` gives it.

    Read only, stopping at the first difference. True for a campaign with nothing
    stored; None, without reading the posts, when it has more than `limit` posts
    (default VERIFY_LIMIT).
    """
    limit = VERIFY_LIMIT if limit is None else limit
    campaign = db.campaign_id
    with db.begin() as conn:
        count, first, final = conn.execute(
            sa.select(sa.func.count(), sa.func.min(posts_t.c.id), sa.func.max(posts_t.c.id))
            .where(posts_t.c.campaign_id == campaign)
        ).one()
    if count > limit:
        return None
    tag = taxonomy.tag
    last = (first or 1) - 1
    while count:
        with db.begin() as conn:
            # In id order only, as retag reads, within the campaign's ids: with the
            # campaign in the WHERE clause SQLite picks the campaign index and sorts every
            # batch (4x slower).
            rows = conn.execute(
                sa.select(posts_t.c.id, posts_t.c.text, posts_t.c.campaign_id)
                .where(posts_t.c.id > last, posts_t.c.id <= final)
                .order_by(posts_t.c.id).limit(batch_size)
            ).all()
            if not rows:
                break
            low, last = rows[0].id, rows[-1].id
            # Other campaigns' posts in the range are read too, and never compared.
            stored = _stored_tags(conn, low, last)
        wanted = {row.id: set(tag(row.text)) if row.text else set()
                  for row in rows if row.campaign_id == campaign}
        if any(_diff(wanted, stored)):
            return False
    with db.begin() as conn:
        stories = conn.execute(
            sa.select(stories_t.c.id, stories_t.c.title, stories_t.c.body, stories_t.c.outcome,
                      stories_t.c.chosen_techniques).where(stories_t.c.campaign_id == campaign)
        ).all()
        stored = {}
        for story_id, technique in conn.execute(
            sa.select(story_techniques_t.c.story_id, story_techniques_t.c.technique)
            .join(stories_t, stories_t.c.id == story_techniques_t.c.story_id)
            .where(stories_t.c.campaign_id == campaign)
        ):
            stored.setdefault(story_id, set()).add(technique)
    wanted = {
        row.id: {name[:120] for name in story_techniques(
            taxonomy, row.title, row.body, row.outcome, row.chosen_techniques or ())}
        for row in stories
    }
    return not any(_diff(wanted, stored))


def _adopt(db: Database, fingerprint: str) -> None:
    """Record a fingerprint the stored tags were checked against; a database that cannot
    be written to (a read-only copy) is only checked again next time."""
    from knowvember.store import save_state

    try:
        with db.begin() as conn:
            recorded = conn.execute(
                sa.select(state_t.c.value).where(
                    state_t.c.campaign_id == db.campaign_id,
                    state_t.c.source == STATE_SOURCE, state_t.c.key == STATE_KEY)
            ).scalar()
            if recorded is None:  # a writer alongside may have recorded since
                save_state(conn, db.campaign_id, STATE_SOURCE, {STATE_KEY: fingerprint})
    except (sa.exc.SQLAlchemyError, KnowvemberError) as exc:
        log.debug("Could not record the technique fingerprint: %s", exc)


def warn_if_stale(db: Database, taxonomy: Taxonomy) -> bool:
    """Log `stale_tags_warning` once as a warning (stderr); True when it warned."""
    message = stale_tags_warning(db, taxonomy)
    if message is None:
        return False
    log.warning(message)
    return True

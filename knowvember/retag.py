"""Re-tagging every post and story after the taxonomy changed (`techniques retag`).

Posts are read in id order in batches (keyset pagination, so memory stays flat at a million
posts); each batch's new tags are compared with the stored ones and only the difference is
written, in one transaction per batch. A retag interrupted half-way leaves every batch either
old or new, and running it again finishes the job. It covers the whole database (every
campaign in it), because the taxonomy is the same for all of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from knowvember.db import Database
from knowvember.errors import REPORTED
from knowvember.models import Post, PostTechnique, Story, StoryTechnique
from knowvember.techniques import Taxonomy, story_techniques

log = logging.getLogger(__name__)

BATCH = 5000

posts_t = Post.__table__
post_techniques_t = PostTechnique.__table__
stories_t = Story.__table__
story_techniques_t = StoryTechnique.__table__

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
    summary.seconds = time.perf_counter() - started
    log.info("Re-tagged %d posts (%d changed) and %d stories (%d changed) in %.1f s",
             summary.posts, summary.posts_changed, summary.stories, summary.stories_changed,
             summary.seconds, extra=REPORTED)
    return summary


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
            stored: dict[int, set[str]] = {}
            for post_id, technique in conn.execute(
                sa.select(post_techniques_t.c.post_id, post_techniques_t.c.technique)
                .where(post_techniques_t.c.post_id.between(low, last))
            ):
                stored.setdefault(post_id, set()).add(technique)
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

"""Edited posts: one post per edit chain, stored under its latest version's id.

X gives every version of an edited post its own id and lists them, oldest first, in the
payload's `edit_history_tweet_ids` (`PostRecord.versions`). A search run before an edit and
one run after it, or an older archive imported after a collection, bring two versions of one
post; stored as two, the post would count twice in every report. So, per batch, the writer
asks here which incoming posts are versions of a post already stored:

- a version earlier than the stored one changes nothing and is left out;
- a later one takes the stored row over (text, payload, tags; counts only rise; the time and
  first collection stay the original's), so the post is counted once, as people now see it;
- two rows that older releases stored for one chain become one;

and the ids a post had before are kept in `post_versions`, so that a copy of an earlier
version read later is known for what it is, and a reply to it or a quote of it refers to the
post. Nothing is asked of the database while no edited post has been seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from knowvember.db import in_chunks, placeholder
from knowvember.models import Post, PostHashtag, PostTechnique, PostVersion
from knowvember.records import PostRecord

posts_t = Post.__table__
versions_t = PostVersion.__table__


@dataclass(frozen=True, slots=True)
class Holder:
    """A stored row of an edit chain: its id, the version it holds, its counts."""

    row: int
    holds: str
    counts: tuple[int, int, int, int]


@dataclass
class Settled:
    """What a batch's edit chains came to."""

    posts: list[PostRecord]  # to store as usual (new or already stored under their own id)
    takeovers: list[tuple[Holder, PostRecord]] = field(default_factory=list)
    superseded: int = 0  # left out: an earlier version than one stored or in the batch


def rank(versions: Sequence[str], version: str) -> int:
    """Where `version` comes in an edit history (-1: not in it, taken as older)."""
    try:
        return versions.index(version)
    except ValueError:
        return -1


def earlier(post: PostRecord) -> list[str]:
    """The ids `post` had before its own, oldest first."""
    at = rank(post.versions, post.platform_id)
    return list(post.versions[:at]) if at > 0 else []


class Chains:
    """A writer's view of `post_versions`: whether it holds anything yet (asked once)."""

    def __init__(self) -> None:
        self._any: bool | None = None

    def any_stored(self, conn: Connection) -> bool:
        if self._any is None:
            self._any = conn.exec_driver_sql(
                f"SELECT 1 FROM {versions_t.name} LIMIT 1").first() is not None
        return self._any

    def holders(self, conn: Connection, platform: str, ids: Sequence[str]
                ) -> dict[str, Holder]:
        """Earlier version id -> the row holding its post, for the ids among `ids`."""
        if not ids or not self.any_stored(conn):
            return {}
        mark = placeholder(conn)
        found: dict[str, Holder] = {}
        for chunk in in_chunks(sorted(set(ids))):
            for version, row, holds, *counts in conn.exec_driver_sql(
                    f"SELECT v.platform_id, p.id, p.platform_id, p.likes, p.reposts, p.replies, "
                    f"p.quotes FROM {versions_t.name} v JOIN {posts_t.name} p ON p.id = v.post_id "
                    f"WHERE v.platform = {mark} AND v.platform_id IN "
                    f"({', '.join([mark] * len(chunk))})", (platform, *chunk)):
                found[version] = Holder(row, holds, tuple(counts))  # type: ignore[arg-type]
        return found

    def keep(self, conn: Connection, platform: str, ids: Sequence[str], row: int) -> None:
        """Record `ids` as earlier versions of the post in `row` (those not recorded yet)."""
        if not ids:
            return
        mark = placeholder(conn)
        conn.exec_driver_sql(
            f"INSERT INTO {versions_t.name} (platform, platform_id, post_id) "
            f"SELECT {mark}, {mark}, {mark} WHERE NOT EXISTS (SELECT 1 FROM {versions_t.name} "
            f"WHERE platform = {mark} AND platform_id = {mark})",
            [(platform, i, row, platform, i) for i in dict.fromkeys(ids)])
        self._any = True

    def merge(self, conn: Connection, platform: str, keeper: Holder,
              others: Sequence[Holder]) -> None:
        """Rows that hold versions of one post become `keeper`: the others' ids are kept as
        its earlier versions and the rows go, with their tags (a bulk load writes with
        foreign-key checks off, so nothing is left to a cascade)."""
        if not others:
            return
        mark = placeholder(conn)
        rows = [h.row for h in others]
        marks = ", ".join([mark] * len(rows))
        conn.exec_driver_sql(f"UPDATE {versions_t.name} SET post_id = {mark} "
                             f"WHERE post_id IN ({marks})", (keeper.row, *rows))
        for table in (PostHashtag.__table__, PostTechnique.__table__):
            conn.exec_driver_sql(f"DELETE FROM {table.name} WHERE post_id IN ({marks})",
                                 tuple(rows))
        conn.exec_driver_sql(f"DELETE FROM {posts_t.name} WHERE id IN ({marks})", tuple(rows))
        self.keep(conn, platform, [h.holds for h in others], keeper.row)

    def settle(self, conn: Connection, posts: list[PostRecord],
               stored: Callable[[str, Sequence[str]], dict[str, Holder]]) -> Settled:
        """Sort a batch's posts (kept for the campaign) by what their edit chains say.

        `stored(platform, ids)` gives the rows stored under those ids. References to an
        earlier version are pointed at the post's latest one, within the batch and in it."""
        edited = [p for p in posts if len(p.versions) > 1]
        if not edited and not self.any_stored(conn):
            return Settled(posts)
        out = Settled([])
        latest = _latest_in_batch(edited)
        pointed: dict[tuple[str, str], str] = {}  # (platform, earlier id) -> id it is now
        for platform in {p.platform for p in posts}:
            mine = [p for p in posts if p.platform == platform]
            chained = [v for p in mine if len(p.versions) > 1 for v in p.versions]
            held = self.holders(conn, platform, [p.platform_id for p in mine] + chained
                                + [p.referenced_id for p in mine if p.referenced_id])
            rows = stored(platform, chained) if chained else {}
            for version, holder in held.items():
                pointed[(platform, version)] = holder.holds
            for p in mine:
                if p.platform_id in held:  # an earlier version of a stored post
                    out.superseded += 1
                    continue
                best = latest.get((platform, p.platform_id))
                if best is not None and best is not p:  # a later version is in this batch
                    out.superseded += 1
                    pointed.setdefault((platform, p.platform_id), best.platform_id)
                    continue
                if len(p.versions) < 2:
                    out.posts.append(p)
                    continue
                chain = {h.row: h for v in p.versions
                         for h in (rows.get(v), held.get(v)) if h is not None}
                if not chain:  # new: its earlier ids are kept once it has a row
                    out.posts.append(p)
                    for version in earlier(p):
                        pointed.setdefault((platform, version), p.platform_id)
                    continue
                keeper = max(chain.values(), key=lambda h: rank(p.versions, h.holds))
                self.merge(conn, platform, keeper,
                           [h for h in chain.values() if h.row != keeper.row])
                if keeper.holds == p.platform_id:  # stored under its own id already
                    self.keep(conn, platform, earlier(p), keeper.row)
                    out.posts.append(p)
                elif rank(p.versions, keeper.holds) > rank(p.versions, p.platform_id):
                    out.superseded += 1
                    self.keep(conn, platform, [p.platform_id], keeper.row)
                    pointed[(platform, p.platform_id)] = keeper.holds
                else:
                    out.takeovers.append((keeper, p))
                    for version in [*earlier(p), *(h.holds for h in chain.values())]:
                        pointed[(platform, version)] = p.platform_id
        for p in out.posts + [p for _, p in out.takeovers]:
            now = pointed.get((p.platform, p.referenced_id or ""))
            if now is not None and now != p.platform_id:
                p.referenced_id = now
        return out


def _latest_in_batch(edited: Sequence[PostRecord]) -> dict[tuple[str, str], PostRecord]:
    """(platform, any version id of a chain) -> the batch's latest version of that chain."""
    best: dict[tuple[str, str], PostRecord] = {}
    for p in edited:
        key = (p.platform, p.versions[0])
        known = best.get(key)
        if known is None or (rank(p.versions, p.platform_id)
                             > rank(known.versions, known.platform_id)):
            best[key] = p
    return {(platform, version): p for (platform, _), p in best.items()
            for version in p.versions}


def point_references(conn: Connection, platform: str, earlier_ids: Sequence[str]) -> None:
    """Stored replies, reposts and quotes of these earlier versions refer to the post's
    latest version instead (one pass over the posts per batch that took a post over)."""
    if not earlier_ids:
        return
    mark = placeholder(conn)
    for chunk in in_chunks(sorted(set(earlier_ids))):
        conn.exec_driver_sql(
            f"UPDATE {posts_t.name} SET referenced_id = (SELECT p.platform_id FROM "
            f"{versions_t.name} v JOIN {posts_t.name} p ON p.id = v.post_id WHERE "
            f"v.platform = {posts_t.name}.platform AND v.platform_id = "
            f"{posts_t.name}.referenced_id) WHERE platform = {mark} AND referenced_id IN "
            f"({', '.join([mark] * len(chunk))})", (platform, *chunk))


def stamp_counts(holder: Holder, post: PostRecord) -> tuple[int, int, int, int]:
    """The counts a taken-over row keeps: each the higher of the two (every version has
    counts of its own, and a collection must never lower what was stored)."""
    mine = (post.likes, post.reposts, post.replies, post.quotes)
    return tuple(map(max, mine, holder.counts))  # type: ignore[return-value]


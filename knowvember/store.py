"""Writing posts and accounts: bulk upserts, one transaction per batch with the checkpoint.

A batch either lands whole, with the collector checkpoint that follows it, or not at all, so a
run killed at any point restarts from a checkpoint that is never ahead of the stored posts.
This is the hot path of every import and collection; it works in SQL Core with executemany,
never row by row through the ORM.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowvember import payloads
from knowvember.db import Database, translate_errors
from knowvember.db import in_chunks as _chunks
from knowvember.db import placeholder as _placeholder
from knowvember.hashtags import CampaignTags, folded
from knowvember.labels import asks_unlisted
from knowvember.models import Account, CollectorState, Post, PostHashtag, PostTechnique, utcnow
from knowvember.privacy import forgotten_digests, is_forgotten, redact_incoming
from knowvember.records import (
    AccountRecord,
    PostRecord,
    bluesky_link,
    bluesky_uri,
    normalise_handle,
)
from knowvember.versions import Chains, Holder, earlier, point_references, stamp_counts

log = logging.getLogger(__name__)

ANALYZE_FIRST = 5000  # PostgreSQL: new posts after which a writer first refreshes statistics
FORGOTTEN_POSTS_KEPT = 200_000  # ids of forgotten accounts' posts an import remembers
MAX_FORMER_HANDLES = 20  # handles a renamed account is remembered by

posts_t = Post.__table__
accounts_t = Account.__table__
hashtags_t = PostHashtag.__table__
techniques_t = PostTechnique.__table__
state_t = CollectorState.__table__

Tagger = Callable[[str], Iterable[str]]

POST_COLUMNS = (
    "campaign_id", "platform", "platform_id", "account_id", "uri", "url", "created_at", "text",
    "lang", "kind", "referenced_id", "conversation_id", "mentions", "likes", "reposts",
    "replies", "quotes", "source", "raw", "raw_z", "first_collected", "last_collected",
    "edited_at",
)


def _unique(items: Sequence[str] | Iterable[str]) -> Sequence[str]:
    """Items without repeats, in order (most posts have one or two: skip the dict)."""
    if isinstance(items, list | tuple) and len(items) < 2:
        return items
    return list(dict.fromkeys(items))


def _time_binder(conn: Connection) -> Callable[[dt.datetime], object]:
    """How an aware datetime is bound without SQLAlchemy's type processing: naive UTC, and
    on SQLite the exact text SQLAlchemy's DateTime stores, so comparisons stay correct."""
    sqlite = conn.dialect.name == "sqlite"

    def bind(value: dt.datetime) -> object:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        naive = (value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)).replace(
            tzinfo=None)
        return naive.isoformat(" ", "microseconds") if sqlite else naive

    return bind


@dataclass
class BatchResult:
    """What one batch did: `fetched` counts the posts offered, context posts excluded."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # off-campaign or opted out: not stored
    # Of `skipped`, the posts of accounts opted out of collection or erased with `forget`
    # (and reposts of those erased): told apart, they are not read as off-campaign posts.
    left_out: int = 0
    # Left out because the post they reply to, repost or quote is not stored (yet): offer
    # them again once it may be (a file or search lists newest first, replies before parents).
    pending: list[tuple[PostRecord, AccountRecord | None]] = field(default_factory=list)

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.fetched += other.fetched
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.left_out += other.left_out
        self.pending.extend(other.pending)
        return self


def _raise_counts(post: PostRecord, other: PostRecord) -> None:
    """A post seen twice in one batch keeps the higher of each count, as a second batch
    would (whichever copy comes first)."""
    post.likes, post.reposts = max(post.likes, other.likes), max(post.reposts, other.reposts)
    post.replies, post.quotes = max(post.replies, other.replies), max(post.quotes, other.quotes)


def _merged(new: tuple[object, ...], old: tuple[object, ...]) -> tuple[object, ...]:
    """A stored account's values after an update that leaves its None fields alone."""
    return tuple(o if n is None else n for n, o in zip(new, old, strict=True))


_NUL, _REPLACEMENT = "\x00", "\ufffd"


def _replace_nul(posts: Sequence[PostRecord], accounts: Sequence[AccountRecord]) -> None:
    """NUL (U+0000) becomes U+FFFD, on every backend alike: JSON allows it and real posts
    have carried it, but PostgreSQL text cannot hold it, and one such post must not fail
    the batch it came in."""
    for p in posts:
        if _NUL in p.text or _NUL in (p.raw or "") or _NUL in (p.url or "") or \
                _NUL in p.platform_id or _NUL in (p.account_key or ""):
            p.text, p.raw, p.url = (_no_nul(p.text) or "", _no_nul(p.raw), _no_nul(p.url))
            p.platform_id, p.account_key = _no_nul(p.platform_id) or "", _no_nul(p.account_key)
    checked: set[int] = set()
    for a in accounts:
        if id(a) in checked:  # importers hand the same record for a repeated user
            continue
        checked.add(id(a))
        if (_NUL in (a.display_name or "") or _NUL in (a.bio or "") or _NUL in (a.raw or "")
                or _NUL in (a.url or "") or _NUL in a.handle or _NUL in a.key):
            a.display_name, a.bio, a.raw = (_no_nul(a.display_name), _no_nul(a.bio),
                                            _no_nul(a.raw))
            a.url, a.handle, a.key = _no_nul(a.url), _no_nul(a.handle) or "", _no_nul(a.key) or ""


def _stored_signature(row: Any) -> tuple[object, ...]:
    """`PostWriter._signature` of a stored account: a row of (id, key, handle, display_name,
    bio, followers, url, platform_user_id, raw)."""
    return (*row[2:8], None if row.raw is None else asks_unlisted(row.raw))


_BIGINT = 2**63 - 1  # the largest count either database can hold


def _representable(posts: Sequence[PostRecord], accounts: Sequence[AccountRecord]
                   ) -> Sequence[PostRecord]:
    """Counts clamped to what a BIGINT holds (negative ones to 0), naive times taken as
    UTC, and posts whose time has no UTC equivalent (year 9999 at UTC-5) left out with a
    warning: a payload's nonsense value must not fail the batch it came in."""
    dropped = []
    for p in posts:
        if not (0 <= p.likes <= _BIGINT and 0 <= p.reposts <= _BIGINT
                and 0 <= p.replies <= _BIGINT and 0 <= p.quotes <= _BIGINT):
            p.likes, p.reposts, p.replies, p.quotes = (
                min(max(c, 0), _BIGINT) for c in (p.likes, p.reposts, p.replies, p.quotes))
        if p.created_at.tzinfo is None:  # a mapper's slip: naive means UTC
            p.created_at = p.created_at.replace(tzinfo=dt.UTC)
        if p.created_at.year in (1, 9999):
            try:
                p.created_at.astimezone(dt.UTC)
            except OverflowError:
                dropped.append(p)
    for a in accounts:
        if a.followers is not None and not 0 <= a.followers <= _BIGINT:
            a.followers = min(max(a.followers, 0), _BIGINT)
    if not dropped:
        return posts
    for p in dropped:
        log.warning("skipped %s post %s: its time %s is out of range", p.platform,
                    p.platform_id, p.created_at.isoformat())
    return [p for p in posts if p not in dropped]


def _latest_accounts(accounts: Sequence[AccountRecord]
                     ) -> dict[tuple[str, str], AccountRecord]:
    """Each account's last record in a batch, except that a record whose handle could not
    be verified (Bluesky's handle.invalid, stood in for by the DID: handle == key) does not
    replace one with a handle, and one that says when it was seen (`seen_at`) does not
    replace one seen later."""
    by_key: dict[tuple[str, str], AccountRecord] = {}
    for a in accounts:
        key = (a.platform, a.key)
        before = by_key.get(key)
        if before is not None and a.handle == a.key and before.handle != before.key:
            continue
        if (before is not None and before.seen_at is not None and a.seen_at is not None
                and a.seen_at < before.seen_at):
            continue
        by_key[key] = a
    return by_key


def _bluesky_by_did(conn: Connection, posts: Sequence[PostRecord],
                    accounts: Sequence[AccountRecord]) -> None:
    """Key Bluesky records that name their author by handle by the DID of the account stored
    with that handle: a CSV row without `author_id`, whose post is its bsky.app link
    (`https://bsky.app/profile/HANDLE/post/RKEY`, as the browser shows it). The post was
    stored under its link and its author under the handle, beside the post and account
    collected by DID: one post counted twice, one person two contributors. A handle that
    no stored account (or more than one) has is left as it is."""
    handles = {a.key for a in accounts if a.platform == "bluesky" and not a.key.startswith("did:")}
    for p in posts:
        if p.platform == "bluesky":
            for value in (p.platform_id, p.referenced_id or ""):
                link = bluesky_link(value)
                if link is not None and not link[0].startswith("did:"):
                    handles.add(normalise_handle("bluesky", link[0]))
    if not handles:
        return
    found: dict[str, set[str]] = {}
    for chunk in _chunks(sorted(handles)):
        for handle, key in conn.execute(sa.select(accounts_t.c.handle, accounts_t.c.key).where(
                accounts_t.c.platform == "bluesky", accounts_t.c.handle.in_(chunk),
                accounts_t.c.key.startswith("did:"))):
            found.setdefault(handle, set()).add(key)
    dids = {handle: next(iter(keys)) for handle, keys in found.items() if len(keys) == 1}
    if not dids:
        return

    def keyed(value: str | None) -> str | None:
        link = bluesky_link(value) if value else None
        did = dids.get(normalise_handle("bluesky", link[0])) if link else None
        return bluesky_uri(did, link[1]) if link and did else value

    for a in accounts:
        if a.platform == "bluesky" and a.key in dids:
            a.key = a.platform_user_id = dids[a.key]
    for p in posts:
        if p.platform == "bluesky":
            if (uri := keyed(p.platform_id)) != p.platform_id:
                p.platform_id = p.uri = uri
            p.referenced_id = keyed(p.referenced_id)
            if p.account_key in dids:
                p.account_key = dids[p.account_key]


def _newest_posts(conn: Connection, accounts: dict[tuple[str, str], int]
                  ) -> dict[tuple[str, str], dt.datetime | None]:
    """When each account's newest stored post was made: the time of a profile stored before
    profile times were (migration 0007), the earliest its record could have been seen."""
    times: dict[int, dt.datetime] = {}
    created = Post.__table__.c.created_at
    for chunk in _chunks(sorted(set(accounts.values()))):
        for rid, newest in conn.execute(
                sa.select(posts_t.c.account_id, sa.func.max(created).label("newest"))
                .where(posts_t.c.account_id.in_(chunk)).group_by(posts_t.c.account_id)):
            times[rid] = newest
    return {key: times.get(rid) for key, rid in accounts.items()}


def _no_nul(value: str | None) -> str | None:
    return value.replace(_NUL, _REPLACEMENT) if value else value


class PostWriter:
    """Stores batches of records for one campaign, deciding what belongs to the campaign.

    A post belongs when its hashtags match the campaign, or when it replies to, reposts or
    quotes a post that belongs (in the same batch or already stored). Accounts are cached for
    the writer's life so a million posts from a few thousand accounts do not re-read them.
    """

    def __init__(
        self,
        db: Database,
        tags: CampaignTags,
        *,
        source: str,
        tagger: Tagger | None = None,
        drop_accounts: Iterable[tuple[str, str]] = (),
        archive: bool = False,
    ) -> None:
        """`archive=True` for imports: a post already stored only has its counts raised
        (an old archive must not undo fresher counts) and is not marked as collected again."""
        self.db = db
        self.archive = archive
        self.tags = tags
        self.source = source
        self.tagger = tagger
        self.drop_accounts = {(p, h) for p, h in drop_accounts}
        # Posts of forgotten accounts this writer left out: a repost of one, in a later
        # batch, is left out too (an import maps a repeated original only once).
        self._forgotten_posts: set[tuple[str, str]] = set()
        self._accounts: dict[tuple[str, str], tuple[int, tuple[object, ...]]] = {}
        self.changed_account_ids: set[int] = set()
        self._written = 0  # new posts stored by this writer
        self._analyze_at = ANALYZE_FIRST
        # A bulk load (see `knowvember.bulkload`) writes without SQLite's foreign-key checks.
        self.bulk = False
        # Dictionaries of compressed payloads (`raw_z`, see knowvember.payloads): all those
        # received, those stored, and those whose id another one took (their posts keep text).
        self._dictionaries: dict[int, payloads.Dictionary] = {}
        self._stored_dictionaries: set[int] = set()
        self._clashed_dictionaries: set[int] = set()
        self._storing: set[int] = set()  # in the batch being written
        self._chains = Chains()  # edited posts' earlier versions (knowvember.versions)
        # Account id -> the id its posts are stored under (itself, or the account it moved
        # to), for the accounts this writer has looked up.
        self._authors: dict[int, int] = {}
        self._linked: set[tuple[str, str, str]] = set()  # moves (platform, from, to) stored
        self._drops_renamed = False  # drop_accounts given the keys of renamed accounts
        self._batch_forgotten: frozenset[str] = frozenset()  # as the batch being written read
        self._left_out: set[tuple[str, str]] = set()  # the batch's posts dropped by account

    def write(
        self,
        posts: Sequence[PostRecord],
        accounts: Sequence[AccountRecord] = (),
        *,
        checkpoint: dict[str, str | None] | None = None,
        dictionaries: Sequence[payloads.Dictionary] = (),
        also: Callable[[Connection, BatchResult], None] | None = None,
    ) -> BatchResult:
        """Store one batch (and move the checkpoint) in a single transaction. `dictionaries`
        are those its posts' compressed payloads may need (each is stored once, with the
        first post that needs it). `also` writes more in the same transaction, knowing what
        the batch did (the run's counts: a killed run's record then says what it stored)."""
        for dictionary in dictionaries:
            self._dictionaries.setdefault(dictionary.id, dictionary)
        result = BatchResult(fetched=sum(not p.context_only for p in posts))
        _replace_nul(posts, accounts)
        posts = _representable(posts, accounts)
        now = utcnow()
        self._storing = set()
        with translate_errors(self.db.engine), self._transaction() as conn:
            if self.source == "csv":  # the one reader that keys Bluesky authors by handle
                _bluesky_by_did(conn, posts, accounts)
            by_key = _latest_accounts(accounts)
            kept, unresolved = self._campaign_posts(conn, posts, by_key)
            result.skipped = sum(
                1 for p in posts if not p.context_only and (p.platform, p.platform_id) not in kept
            )
            if self._left_out:
                result.left_out = sum(1 for p in posts if not p.context_only
                                      and (p.platform, p.platform_id) in self._left_out)
            result.pending = [(p, by_key.get((p.platform, p.account_key or "")))
                              for p in unresolved]
            needed = {(p.platform, p.account_key) for p in kept.values() if p.account_key}
            movers = [a for k, a in by_key.items() if k in needed and a.moved_to]
            # An account moved to (Mastodon's `moved`) is stored too, to link the mover to
            # (never one erased with `forget`).
            needed |= {k for a in movers if (k := (a.platform, a.moved_to or "")) in by_key
                       and not is_forgotten(self._batch_forgotten, a.platform, key=k[1],
                                            handle=by_key[k].handle)}
            account_ids = self._upsert_accounts(
                conn, [a for k, a in by_key.items() if k in needed], now,
                lambda wanted: self._seen_times(kept.values(), by_key, wanted, now)
            )
            if len(account_ids) < len(needed):
                # Authors the batch brings no record of (X leaves a suspended or withheld
                # author out of `includes`) may be stored already from another page.
                account_ids.update(self._stored_account_ids(conn, needed - account_ids.keys()))
            if movers:
                self._link_moves(conn, movers, account_ids)
            author_ids = self._author_ids(conn, account_ids)
            self._upsert_posts(conn, list(kept.values()), author_ids, now, result)
            if also is not None:
                also(conn, result)
            if checkpoint:
                self._save_checkpoint(conn, checkpoint, now)
        self._stored_dictionaries |= self._storing  # committed with the batch
        if self.db.engine.dialect.name == "postgresql":
            self._refresh_statistics(result.new)
        return result

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One batch's transaction; in a bulk load on SQLite, without foreign-key checks.

        Checking every post's campaign and account and every tag row's post was a quarter
        of what SQLite spent on a first import. The writer makes each of those references
        itself, in the same transaction, and nothing deletes posts or accounts while an
        import runs (`forget` waits for its lock), so the checks could never fail there.
        The pragma holds for the connection only, and is set back before the connection
        returns to the pool (a connection that cannot be set back is discarded).
        """
        engine = self.db.engine
        if not self.bulk or engine.dialect.name != "sqlite":
            with engine.begin() as conn:
                yield conn
            return
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside any transaction
            conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                try:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
                except Exception:  # never back into the pool unchecked
                    log.debug("discarding a connection whose foreign-key checks stay off")
                    conn.invalidate()

    def _refresh_statistics(self, new: int) -> None:
        """Let PostgreSQL plan the per-batch look-ups from the table as it now is.

        A table filled faster than autovacuum analyses it still looks empty to the planner,
        which then reads every post of the platform for each look-up of 900 ids: a
        1,000,000-post import into a new database took 21 minutes. So the posts and accounts
        are analysed once this writer has stored ANALYZE_FIRST new posts, then each time that
        number doubles (a handful of times per import), in a transaction of its own so that
        no batch holds the lock.
        """
        self._written += new
        if self._written < self._analyze_at:
            return
        self._analyze_at = 2 * self._written
        with translate_errors(self.db.engine), self.db.engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {posts_t.name}, {accounts_t.name}")

    # -- campaign membership -------------------------------------------------------------

    def _campaign_posts(
        self,
        conn: Connection,
        posts: Sequence[PostRecord],
        accounts: dict[tuple[str, str], AccountRecord],
    ) -> tuple[dict[tuple[str, str], PostRecord], list[PostRecord]]:
        """The posts that belong, and those that refer to a post not stored (yet)."""
        unique: dict[tuple[str, str], PostRecord] = {}
        for post in posts:
            key = (post.platform, post.platform_id)
            before = unique.get(key)
            if before is None or not post.context_only:
                unique[key] = post
            elif before.context_only:
                _raise_counts(before, post)  # the same original on two pages
        forgotten = forgotten_digests(conn)  # erased with `forget`: never stored again
        self._batch_forgotten = forgotten
        left_out: set[tuple[str, str]] = set()
        self._left_out = left_out
        if self.drop_accounts and not self._drops_renamed:
            self._drop_renamed(conn)
        if self.drop_accounts or forgotten:
            for key, post in list(unique.items()):
                account = accounts.get((post.platform, post.account_key or ""))
                handle = account.handle if account else None
                if is_forgotten(forgotten, post.platform, key=post.account_key, handle=handle) or (
                        account is not None and account.moved_to is not None and is_forgotten(
                            forgotten, post.platform, key=account.moved_to)):
                    # (an account that moved to a forgotten one is the same person)
                    del unique[key]
                    left_out.add(key)
                    if len(self._forgotten_posts) < FORGOTTEN_POSTS_KEPT:
                        self._forgotten_posts.add(key)
                elif (handle and (post.platform, handle) in self.drop_accounts) or (
                        post.platform, post.account_key or "") in self.drop_accounts:
                    # (by handle, or by key: an opt-out naming a Bluesky DID)
                    del unique[key]
                    left_out.add(key)
        if forgotten:
            for key, post in list(unique.items()):
                if post.kind == "repost" and self._reposts_forgotten(post, forgotten):
                    del unique[key]
                    left_out.add(key)
                else:  # someone else's post: kept, but naming no forgotten account
                    redact_incoming(post, forgotten, self._forgotten_posts)
        matches = self.tags.matches
        kept = {k: p for k, p in unique.items() if matches(p.hashtags)}
        pending = {k: p for k, p in unique.items() if k not in kept and p.referenced_id}
        # A reply to a reply of a campaign post belongs too: resolve within the batch first.
        changed = True
        while pending and changed:
            changed = False
            for key, post in list(pending.items()):
                if (post.platform, post.referenced_id) in kept:
                    kept[key] = pending.pop(key)
                    changed = True
        if pending:
            stored = self._existing_ids(
                conn, [(p.platform, p.referenced_id or "") for p in pending.values()]
            )
            for key, post in list(pending.items()):
                if (post.platform, post.referenced_id) in stored:
                    kept[key] = pending.pop(key)
        return kept, list(pending.values())

    def _drop_renamed(self, conn: Connection) -> None:
        """The stored accounts opted out by handle, added to `drop_accounts` by key too
        (once per writer), with those named by a handle they had before a rename: a record
        bringing the new handle must still be dropped (the opt-out outlasts the rename)."""
        self._drops_renamed = True
        for platform in sorted({p for p, _ in self.drop_accounts}):
            handles = sorted(h for p, h in self.drop_accounts if p == platform)
            for key, handle, former in conn.execute(
                    sa.select(accounts_t.c.key, accounts_t.c.handle,
                              accounts_t.c.former_handles).where(
                        accounts_t.c.platform == platform,
                        sa.or_(accounts_t.c.former_handles.is_not(None),
                               accounts_t.c.handle.in_(handles)))):
                if (platform, handle) in self.drop_accounts or any(
                        (platform, old) in self.drop_accounts for old in former or ()):
                    self.drop_accounts.add((platform, key))

    def _reposts_forgotten(self, post: PostRecord, forgotten: frozenset[str]) -> bool:
        """Whether a repost copies a forgotten account's post: `forget` erased such
        copies, so they must not come back. The original is known when this writer left it
        out; an X retweet also names its author ("RT @handle: ...")."""
        if (post.platform, post.referenced_id or "") in self._forgotten_posts:
            return True
        text = post.text
        if post.platform == "x" and text.startswith("RT @"):
            end = text.find(":", 4)
            if end > 4:
                return is_forgotten(forgotten, "x", handle=normalise_handle("x", text[4:end]))
        return False

    def _existing_ids(
        self, conn: Connection, keys: Sequence[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for platform in {p for p, _ in keys}:
            ids = sorted({i for p, i in keys if p == platform})
            for chunk in _chunks(ids):
                rows = conn.execute(
                    sa.select(posts_t.c.platform_id).where(
                        posts_t.c.platform == platform, posts_t.c.platform_id.in_(chunk)
                    )
                )
                found.update((platform, r[0]) for r in rows)
            # a reply to an earlier version of an edited post (knowvember.versions)
            found.update((platform, v) for v in self._chains.holders(conn, platform, ids))
        return found

    # -- accounts -----------------------------------------------------------------------

    @staticmethod
    def _signature(a: AccountRecord) -> tuple[object, ...]:
        """What makes a stored account worth writing again. The profile's own text is not
        compared (it changes with every follower), but a self-label asking not to be shown
        publicly is (`knowvember.labels`): the reports must see it come and go. Unknown
        (None) where the record brings no profile."""
        return (a.handle, a.display_name, a.bio, a.followers, a.url, a.platform_user_id,
                None if a.raw is None else asks_unlisted(a.raw))

    def _seen_times(self, posts: Iterable[PostRecord],
                    by_key: dict[tuple[str, str], AccountRecord],
                    needed: set[tuple[str, str]], now: dt.datetime
                    ) -> dict[tuple[str, str], dt.datetime]:
        """When the platform showed each needed account's record: the record's own
        `seen_at` when it says; for an import, the time of its newest post in the batch (an
        archive's profile is as it was then, or later); for a collection, now. Never later
        than now (a post dated ahead by a wrong clock must not pin an old profile)."""
        seen: dict[tuple[str, str], dt.datetime] = {}
        if self.archive:
            for p in posts:
                if p.account_key:
                    key = (p.platform, p.account_key)
                    before = seen.get(key)
                    if before is None or p.created_at > before:
                        seen[key] = p.created_at
            for a in by_key.values():  # an account moved to: when the mover was seen
                if a.moved_to and (a.platform, a.key) in seen:
                    seen.setdefault((a.platform, a.moved_to), seen[(a.platform, a.key)])
        for key in needed:
            record = by_key.get(key)
            if record is not None and record.seen_at is not None:
                seen[key] = record.seen_at
            at = seen.get(key)
            if at is None or at > now:
                seen[key] = now
        return seen

    def _upsert_accounts(
        self, conn: Connection, accounts: Sequence[AccountRecord], now: dt.datetime,
        seen_times: Callable[[set[tuple[str, str]]], dict[tuple[str, str], dt.datetime]]
        | None = None,
    ) -> dict[tuple[str, str], int]:
        """Store the accounts' records; (platform, key) -> row id.

        A stored profile is replaced only by a record seen as late or later (`seen`, see
        `_seen_times`, asked only of the accounts the writer must look up;
        `accounts.profile_at`): an older archive imported after newer data
        gave an account back its old handle, name and bio. An older record only fills in
        what is stored empty."""
        ids: dict[tuple[str, str], int] = {}
        unknown = []
        for a in accounts:
            cached = self._accounts.get((a.platform, a.key))
            if cached is None or cached[1] != self._signature(a):
                unknown.append(a)
            else:
                ids[(a.platform, a.key)] = cached[0]
        if not unknown:
            return ids
        seen = seen_times({(a.platform, a.key) for a in unknown}) if seen_times else {}
        existing: dict[tuple[str, str], tuple[int, tuple[object, ...]]] = {}
        shown: dict[tuple[str, str], dt.datetime | None] = {}  # stored profile_at
        formers: dict[tuple[str, str], list[Any] | None] = {}  # stored former_handles
        for platform in {a.platform for a in unknown}:
            keys = [a.key for a in unknown if a.platform == platform]
            for chunk in _chunks(keys):
                rows = conn.execute(
                    sa.select(
                        accounts_t.c.id,
                        accounts_t.c.key,
                        accounts_t.c.handle,
                        accounts_t.c.display_name,
                        accounts_t.c.bio,
                        accounts_t.c.followers,
                        accounts_t.c.url,
                        accounts_t.c.platform_user_id,
                        accounts_t.c.raw,
                        accounts_t.c.profile_at,
                        accounts_t.c.former_handles,
                    ).where(accounts_t.c.platform == platform, accounts_t.c.key.in_(chunk))
                )
                for row in rows:
                    existing[(platform, row.key)] = (row.id, _stored_signature(row))
                    shown[(platform, row.key)] = row.profile_at
                    formers[(platform, row.key)] = row.former_handles
        strays = [a for a in unknown if a.platform == "x" and (a.platform, a.key) not in existing]
        if strays:
            existing.update(self._same_x_account(conn, strays, shown, formers))
        if any(at is None for at in shown.values()):
            shown.update(_newest_posts(conn, {key: existing[key][0] for key, at in shown.items()
                                              if at is None}))
        inserts, updates, fills, olds = [], [], [], []
        for a in unknown:
            found = existing.get((a.platform, a.key))
            at = seen.get((a.platform, a.key), now)
            stored_at = shown.get((a.platform, a.key))
            if found is not None and stored_at is not None and at < stored_at:
                # Seen before the profile stored: it only fills what is stored empty.
                filled = tuple(o if o is not None else n for n, o in
                               zip(self._signature(a), found[1], strict=True))
                if filled != found[1]:
                    fills.append({"b_id": found[0], "display_name": a.display_name,
                                  "bio": a.bio, "followers": a.followers, "url": a.url,
                                  "platform_user_id": a.platform_user_id, "raw": a.raw})
                    self.changed_account_ids.add(found[0])
                before = formers.get((a.platform, a.key)) or []
                if a.handle not in (found[1][0], a.key, *before):
                    # The handle it had then: as much a former handle as one renamed away.
                    olds.append({"b_id": found[0],
                                 "former": [a.handle, *before][:MAX_FORMER_HANDLES]})
                    formers[(a.platform, a.key)] = olds[-1]["former"]
                    self.changed_account_ids.add(found[0])
                ids[(a.platform, a.key)] = found[0]
                continue
            if found is not None and a.handle == a.key and found[1][0] != a.key:
                # A handle the platform could not verify (Bluesky's handle.invalid, stood in
                # for by the DID) keeps the one stored: [[organisations]] accounts and
                # exclude_accounts name people by handle.
                a = dataclasses.replace(a, handle=str(found[1][0]))
            values = {
                "handle": a.handle,
                "display_name": a.display_name,
                "bio": a.bio,
                "followers": a.followers,
                "url": a.url,
                "platform_user_id": a.platform_user_id,
                "raw": a.raw,
                "last_seen": now,
                "profile_at": at,
                "former_handles": None,  # None: those stored stay
            }
            if found is not None and a.handle != found[1][0] and found[1][0] != a.key:
                # Renamed: the handle it had is kept, as campaign.toml may still name it.
                old = str(found[1][0])
                kept = [h for h in formers.get((a.platform, a.key)) or ()
                        if h not in (old, a.handle)]
                values["former_handles"] = [*kept[-(MAX_FORMER_HANDLES - 1):], old]
            if found is None:
                inserts.append({"platform": a.platform, "key": a.key, "first_seen": now, **values})
                del inserts[-1]["former_handles"]
            elif found[1] != _merged(self._signature(a), found[1]):
                # A partial record (an archive row without bio or followers) never erases
                # what a fuller one stored: the update keeps existing values for its Nones.
                updates.append({"b_id": found[0], **values})
                ids[(a.platform, a.key)] = found[0]
                self.changed_account_ids.add(found[0])
            else:
                ids[(a.platform, a.key)] = found[0]
        if updates:
            conn.execute(
                accounts_t.update()
                .where(accounts_t.c.id == sa.bindparam("b_id"))
                .values({k: (sa.bindparam(k) if k in ("handle", "last_seen", "profile_at") else
                             sa.func.coalesce(sa.bindparam(k, type_=accounts_t.c[k].type),
                                              accounts_t.c[k]))
                         for k in updates[0] if k != "b_id"}),
                updates,
            )
        if fills:
            conn.execute(
                accounts_t.update()
                .where(accounts_t.c.id == sa.bindparam("b_id"))
                .values({k: sa.func.coalesce(accounts_t.c[k], sa.bindparam(k))
                         for k in fills[0] if k != "b_id"}),
                fills,
            )
        if olds:
            conn.execute(accounts_t.update().where(accounts_t.c.id == sa.bindparam("b_id"))
                         .values(former_handles=sa.bindparam("former")), olds)
        if inserts:
            # Unordered RETURNING lets SQLAlchemy batch the rows; each row names its key.
            rows = conn.execute(
                accounts_t.insert().returning(
                    accounts_t.c.id, accounts_t.c.platform, accounts_t.c.key),
                inserts,
            )
            for row in rows:
                ids[(row.platform, row.key)] = row.id
                self.changed_account_ids.add(row.id)
        by_key = {(a.platform, a.key): a for a in unknown}
        for key, account_id in ids.items():
            if key in by_key:
                self._accounts[key] = (account_id, self._signature(by_key[key]))
        return ids

    def _same_x_account(self, conn: Connection, strays: Sequence[AccountRecord],
                        shown: dict[tuple[str, str], dt.datetime | None],
                        formers: dict[tuple[str, str], list[Any] | None],
                        ) -> dict[tuple[str, str], tuple[int, tuple[object, ...]]]:
        """X accounts stored under the other key of the same person, for records whose key
        is not stored: a TAGS sheet without usable user ids (Excel cuts them to 15 digits)
        keys an account by its handle (`@name`), an API or archive import by its user id.
        Each was stored apart, and a person in both was two contributors.

        A handle-keyed record takes the one account stored with that handle (or, when none
        has it now, the one renamed from it: a sheet's rows from before a rename); an
        id-keyed record takes over the account stored under its handle as key, which is
        re-keyed to the id. Two or more accounts with the handle (a handle passed on) leave
        it apart."""
        found: dict[tuple[str, str], tuple[int, tuple[object, ...]]] = {}
        columns = (accounts_t.c.id, accounts_t.c.key, accounts_t.c.handle,
                   accounts_t.c.display_name, accounts_t.c.bio, accounts_t.c.followers,
                   accounts_t.c.url, accounts_t.c.platform_user_id, accounts_t.c.raw,
                   accounts_t.c.profile_at, accounts_t.c.former_handles)
        by_handle = {a.key: a for a in strays if a.key.startswith("@")}
        by_id = {a.handle: a for a in strays if a.key.isdigit() and a.handle.startswith("@")}
        for column, wanted in ((accounts_t.c.handle, by_handle), (accounts_t.c.key, by_id)):
            matches: dict[str, list[Any]] = {}
            for chunk in _chunks(sorted(wanted)):
                for row in conn.execute(sa.select(*columns).where(
                        accounts_t.c.platform == "x", column.in_(chunk))):
                    matches.setdefault(row.handle if column is accounts_t.c.handle
                                       else row.key, []).append(row)
            if column is accounts_t.c.handle and len(matches) < len(wanted):
                # A handle no account has now may be one an account was renamed from.
                left = set(wanted) - matches.keys()
                for row in conn.execute(sa.select(*columns).where(
                        accounts_t.c.platform == "x", accounts_t.c.former_handles.is_not(None))):
                    for name in left & set(row.former_handles or ()):
                        matches.setdefault(name, []).append(row)
            for name, rows in matches.items():
                if len(rows) != 1:
                    continue
                (row,), record = rows, wanted[name]
                if column is accounts_t.c.key:
                    conn.execute(accounts_t.update().where(accounts_t.c.id == row.id)
                                 .values(key=record.key))
                found[("x", record.key)] = (row.id, _stored_signature(row))
                shown[("x", record.key)] = row.profile_at
                formers[("x", record.key)] = row.former_handles
        return found

    def _link_moves(self, conn: Connection, movers: Sequence[AccountRecord],
                    ids: dict[tuple[str, str], int]) -> None:
        """Accounts that moved (Mastodon's `moved`) linked to the account moved to, and
        their posts stored under it: one person, one contributor, every post of both kept.

        A move that would go round in a circle (moved back again) is not linked: the
        account moved to last keeps its own posts."""
        for a in movers:
            move = (a.platform, a.key, a.moved_to or "")
            source, target = ids.get(move[:2]), ids.get((a.platform, move[2]))
            if move in self._linked or source is None or target is None or source == target:
                continue
            self._linked.add(move)
            final = self._author_ids(conn, {("", ""): target})[("", "")]
            if final == source:
                log.warning("%s account %s moved to %s, which moved back: kept apart",
                            a.platform, a.handle, a.moved_to)
                continue
            conn.execute(accounts_t.update().where(accounts_t.c.id == source)
                         .values(moved_to_id=target))
            conn.execute(posts_t.update().where(posts_t.c.account_id == source)
                         .values(account_id=final))
            for held, author in list(self._authors.items()):
                if author == source:
                    self._authors[held] = final
            self._authors[source] = final

    def _author_ids(self, conn: Connection, ids: dict[tuple[str, str], int]
                    ) -> dict[tuple[str, str], int]:
        """`ids` with each account's row id replaced by the one its posts are stored
        under: the account it moved to, and so on (a move whose account is erased ends
        the chain). Looked up once per account a writer sees."""
        unknown = sorted({i for i in ids.values() if i not in self._authors})
        step: dict[int, int] = {}
        todo = unknown
        while todo:
            following = []
            moved = sa.alias(accounts_t, "moved")
            for chunk in _chunks(todo):
                for rid, target in conn.execute(
                        sa.select(accounts_t.c.id, accounts_t.c.moved_to_id)
                        .join(moved, moved.c.id == accounts_t.c.moved_to_id)
                        .where(accounts_t.c.id.in_(chunk))):
                    step[rid] = target
                    if target not in step and target not in self._authors:
                        following.append(target)
            todo = sorted(set(following) - set(step))
        for rid in unknown:
            final, path = rid, {rid}
            while final in step and step[final] not in path:
                final = step[final]
                path.add(final)
            self._authors[rid] = self._authors.get(final, final)
        return {key: self._authors[i] for key, i in ids.items()}

    def _stored_account_ids(self, conn: Connection, keys: Iterable[tuple[str, str]]
                            ) -> dict[tuple[str, str], int]:
        """(platform, key) -> row id of the accounts among `keys` stored already."""
        ids: dict[tuple[str, str], int] = {}
        wanted = sorted(keys)
        for platform in {p for p, _ in wanted}:
            for chunk in _chunks([k for p, k in wanted if p == platform]):
                rows = conn.execute(
                    sa.select(accounts_t.c.id, accounts_t.c.key).where(
                        accounts_t.c.platform == platform, accounts_t.c.key.in_(chunk)))
                ids.update(((platform, key), rid) for rid, key in rows)
        return ids

    # -- posts --------------------------------------------------------------------------

    def _upsert_posts(
        self,
        conn: Connection,
        posts: list[PostRecord],
        account_ids: dict[tuple[str, str], int],
        now: dt.datetime,
        result: BatchResult,
    ) -> None:
        if not posts:
            return
        settled = self._chains.settle(conn, posts, lambda platform, ids: {
            pid: Holder(found.id, pid, found.counts)
            for pid, found in stored_posts(conn, platform, ids).items()})
        posts = settled.posts
        result.unchanged += settled.superseded
        if settled.takeovers:
            self._take_over(conn, settled.takeovers, account_ids, now, result)
        existing = self._stored_posts(conn, posts)
        fresh, updates, references, seen, authors = [], [], [], [], []
        edits: list[tuple[int, PostRecord]] = []
        stamp = _time_binder(conn)
        for p in posts:
            found = existing.get((p.platform, p.platform_id))
            if found is None:
                fresh.append(p)
                continue
            seen.append(found.id)
            if p.edited_at is not None and found.edited_before(stamp(p.edited_at)):
                edits.append((found.id, p))
            counts = (p.likes, p.reposts, p.replies, p.quotes)
            # An archive must not undo fresher counts, nor may a context copy (a quoted
            # post embedded in a quote carries no counts, or stale ones): both only raise.
            if (self.archive or p.context_only) and counts != found.counts:
                counts = tuple(map(max, counts, found.counts))
            if found.counts != counts:
                updates.append(
                    {"b_id": found.id, "likes": counts[0], "reposts": counts[1],
                     "replies": counts[2], "quotes": counts[3]}
                )
            added = found.added_reference(p.kind, p.referenced_id)
            if added is not None:
                references.append({"b_id": found.id, "kind": added[0], "ref": added[1]})
            if found.lacks_account and (author := account_ids.get(
                    (p.platform, p.account_key or ""))) is not None:
                authors.append({"b_id": found.id, "author": author})
        if updates:
            conn.execute(
                posts_t.update()
                .where(posts_t.c.id == sa.bindparam("b_id"))
                .values(
                    likes=sa.bindparam("likes"),
                    reposts=sa.bindparam("reposts"),
                    replies=sa.bindparam("replies"),
                    quotes=sa.bindparam("quotes"),
                ),
                updates,
            )
        if references:
            # Only where none is stored yet (the look-up above and this update are in one
            # transaction, but a writer alongside must not have its reference replaced).
            conn.execute(
                posts_t.update()
                .where(posts_t.c.id == sa.bindparam("b_id"), posts_t.c.referenced_id.is_(None))
                .values(kind=sa.bindparam("kind"),
                        referenced_id=sa.func.coalesce(sa.bindparam("ref"),
                                                       posts_t.c.referenced_id)),
                references,
            )
        if authors:
            # A post stored while its author was unknown (left out of X's `includes`) takes
            # the author a later copy names; an author once stored is never replaced.
            conn.execute(
                posts_t.update()
                .where(posts_t.c.id == sa.bindparam("b_id"), posts_t.c.account_id.is_(None))
                .values(account_id=sa.bindparam("author")),
                authors,
            )
        for chunk in ([] if self.archive else _chunks(seen)):
            conn.execute(
                posts_t.update().where(posts_t.c.id.in_(chunk)).values(last_collected=now)
            )
        if edits:
            self._edited(conn, edits)
        changed = len({u["b_id"] for u in updates} | {r["b_id"] for r in references}
                      | {a["b_id"] for a in authors} | {row for row, _ in edits})
        result.updated += changed
        result.unchanged += len(seen) - changed
        if not fresh:
            return
        if len(self._dictionaries) > len(self._stored_dictionaries):
            self._settle_dictionaries(conn, fresh)
        # The hot path of a million-post import: plain DBAPI executemany of ready tuples
        # (SQLAlchemy's per-row parameter processing costs more than the insert itself),
        # then the new ids (consecutive on SQLite; else one indexed lookup, cheaper than
        # multi-row RETURNING).
        placeholder = _placeholder(conn)
        stamped_now = stamp(now)
        campaign_id, source, accounts = self.db.campaign_id, self.source, account_ids.get
        conn.exec_driver_sql(
            f"INSERT INTO {posts_t.name} ({', '.join(POST_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(POST_COLUMNS))})",
            [(campaign_id, p.platform, p.platform_id,
              accounts((p.platform, p.account_key or "")), p.uri, p.url,
              stamp(p.created_at), p.text, p.lang, p.kind, p.referenced_id, p.conversation_id,
              " ".join(p.mentions) or None, p.likes, p.reposts, p.replies, p.quotes,
              source, p.raw, p.raw_z, stamped_now, stamped_now,
              p.edited_at and stamp(p.edited_at)) for p in fresh],
        )
        new_ids = self._new_ids(conn, fresh)
        result.new += len(new_ids)
        self._store_tags(conn, list(zip(new_ids, fresh, strict=True)))
        for pid, p in zip(new_ids, fresh, strict=True):
            if len(p.versions) > 1:
                self._chains.keep(conn, p.platform, earlier(p), pid)

    def _store_tags(self, conn: Connection, rows: Sequence[tuple[int, PostRecord]]) -> None:
        """The hashtag and technique rows of posts just stored (by row id)."""
        placeholder = _placeholder(conn)
        tag_rows = [
            (pid, tag)
            for pid, p in rows
            for tag in ((folded(p.hashtags[0]),) if len(p.hashtags) == 1
                        else _unique([folded(t) for t in p.hashtags]))
        ]
        if tag_rows:
            conn.exec_driver_sql(
                f"INSERT INTO {hashtags_t.name} (post_id, tag) "
                f"VALUES ({placeholder}, {placeholder})", tag_rows)
        tagger = self.tagger
        if tagger is not None or any(p.techniques for _, p in rows):
            technique_rows = [
                (pid, name)
                for pid, p in rows
                for name in (p.techniques if p.techniques is not None  # unique already
                             else _unique(tagger(p.text)) if tagger is not None else ())
            ]
            if technique_rows:
                conn.exec_driver_sql(
                    f"INSERT INTO {techniques_t.name} (post_id, technique) "
                    f"VALUES ({placeholder}, {placeholder})", technique_rows)

    def _tag_again(self, conn: Connection, rows: Sequence[tuple[int, PostRecord]]) -> None:
        """Stored rows given a post's new text: their hashtag and technique rows made anew."""
        ids = [row for row, _ in rows]
        for table in (hashtags_t, techniques_t):
            for chunk in _chunks(ids):
                conn.execute(table.delete().where(table.c.post_id.in_(chunk)))
        self._store_tags(conn, rows)

    def _edited(self, conn: Connection, edits: Sequence[tuple[int, PostRecord]]) -> None:
        """Stored posts edited since (a later `edited_at`) take the edited text, mentions,
        payload and tags; counts and references go as for any copy."""
        posts = [p for _, p in edits]
        if len(self._dictionaries) > len(self._stored_dictionaries):
            self._settle_dictionaries(conn, posts)
        mark = _placeholder(conn)
        stamp = _time_binder(conn)
        conn.exec_driver_sql(
            f"UPDATE {posts_t.name} SET text = {mark}, lang = {mark}, mentions = {mark}, "
            f"raw = {mark}, raw_z = {mark}, edited_at = {mark} WHERE id = {mark}",
            [(p.text, p.lang, " ".join(p.mentions) or None, p.raw, p.raw_z,
              stamp(p.edited_at), row) for row, p in edits if p.edited_at is not None])
        self._tag_again(conn, edits)

    def _take_over(self, conn: Connection, takeovers: Sequence[tuple[Holder, PostRecord]],
                   account_ids: dict[tuple[str, str], int], now: dt.datetime,
                   result: BatchResult) -> None:
        """Later versions of edited posts take their stored rows over (knowvember.versions):
        what the post says now, its payload and its tags; its time and first collection stay
        the original's, and its counts only rise."""
        posts = [p for _, p in takeovers]
        if len(self._dictionaries) > len(self._stored_dictionaries):
            self._settle_dictionaries(conn, posts)
        mark = _placeholder(conn)
        stamp = _time_binder(conn)
        columns = ("platform_id", "account_id", "uri", "url", "text", "lang", "kind",
                   "referenced_id", "conversation_id", "mentions", "likes", "reposts",
                   "replies", "quotes", "source", "raw", "raw_z", "last_collected")
        conn.exec_driver_sql(
            f"UPDATE {posts_t.name} SET {', '.join(f'{c} = {mark}' for c in columns)} "
            f"WHERE id = {mark}",
            [(p.platform_id, account_ids.get((p.platform, p.account_key or "")), p.uri, p.url,
              p.text, p.lang, p.kind, p.referenced_id, p.conversation_id,
              " ".join(p.mentions) or None, *stamp_counts(holder, p), self.source, p.raw,
              p.raw_z, stamp(now), holder.row) for holder, p in takeovers])
        self._tag_again(conn, [(holder.row, p) for holder, p in takeovers])
        olds: dict[str, list[str]] = {}
        for holder, p in takeovers:
            gone = [*earlier(p), holder.holds]
            self._chains.keep(conn, p.platform, gone, holder.row)
            olds.setdefault(p.platform, []).extend(gone)
        for platform, ids in olds.items():
            point_references(conn, platform, ids)
        result.updated += len(takeovers)

    def _settle_dictionaries(self, conn: Connection, fresh: Sequence[PostRecord]) -> None:
        """Store the dictionaries these posts' frames need and are not stored yet; a post
        whose dictionary could not be stored (its id taken) keeps its payload as text."""
        used = {payloads.frame_dictionary(p.raw_z) for p in fresh if p.raw_z is not None}
        wanted = [self._dictionaries[i] for i in sorted(used)
                  if i in self._dictionaries and i not in self._stored_dictionaries
                  and i not in self._clashed_dictionaries]
        if wanted:
            clashes = payloads.store(conn, wanted)
            self._clashed_dictionaries |= clashes
            self._storing |= {d.id for d in wanted} - clashes
        if used & self._clashed_dictionaries:
            payloads.inflate(fresh, self._dictionaries.values(), self._clashed_dictionaries)

    def _new_ids(self, conn: Connection, fresh: Sequence[PostRecord]) -> list[int]:
        """The row ids of the posts one executemany just inserted, in order.

        SQLite gives a row of a plain INTEGER PRIMARY KEY table max(id) + 1, and this
        transaction holds the write lock, so the rows got consecutive ids ending at max(id):
        taken when both ends check out (two look-ups instead of one per post), else (and on
        other databases) looked up by key.
        """
        if conn.dialect.name == "sqlite":
            last = conn.exec_driver_sql(f"SELECT max(id) FROM {posts_t.name}").scalar()
            if last is not None:
                first = int(last) - len(fresh) + 1
                ends = {rid: (platform, pid) for rid, platform, pid in conn.exec_driver_sql(
                    f"SELECT id, platform, platform_id FROM {posts_t.name} WHERE id IN (?, ?)",
                    (first, int(last)))}
                if (ends.get(first) == (fresh[0].platform, fresh[0].platform_id)
                        and ends.get(int(last)) == (fresh[-1].platform, fresh[-1].platform_id)):
                    return list(range(first, int(last) + 1))
        ids: dict[tuple[str, str], int] = {}
        for platform in {p.platform for p in fresh}:
            wanted = [p.platform_id for p in fresh if p.platform == platform]
            ids.update(((platform, pid), rid)
                       for pid, rid in stored_ids(conn, platform, wanted).items())
        return [ids[(p.platform, p.platform_id)] for p in fresh]

    def unchanged(self, platform: str, items: Sequence[tuple[str, tuple[int, int, int, int]]]
                  ) -> set[str]:
        """Ids among `items` ((id, counts) pairs) already stored that writing them would not
        change: equal counts, or in archive mode counts no higher than stored. An importer
        asks before mapping a page, so a re-import costs lookups, not mappings."""
        with translate_errors(self.db.engine), self.db.engine.connect() as conn:
            return unchanged_posts(conn, platform, items, archive=self.archive)

    def _stored_posts(
        self, conn: Connection, posts: Sequence[PostRecord]
    ) -> dict[tuple[str, str], StoredPost]:
        """(platform, platform id) -> what is stored of those already stored."""
        existing: dict[tuple[str, str], StoredPost] = {}
        for platform in {p.platform for p in posts}:
            ids = [p.platform_id for p in posts if p.platform == platform]
            for pid, found in stored_posts(conn, platform, ids).items():
                existing[(platform, pid)] = found
        return existing

    # -- checkpoints --------------------------------------------------------------------

    def _save_checkpoint(
        self, conn: Connection, checkpoint: dict[str, str | None], now: dt.datetime
    ) -> None:
        save_state(conn, self.db.campaign_id, self.source, checkpoint, now)


# Sources whose X records always say what a post reposts, replies to or quotes (API v2
# `referenced_tweets`, v1.1 `retweeted_status` and the rest). A post another source stored
# (a TAGS sheet cannot always say what a retweet refers to) may still be given a reference.
REFERENCE_SURE_SOURCES = ("twarc2", "x")


@dataclass(frozen=True, slots=True)
class StoredPost:
    """What a writer compares an incoming copy of a stored post with."""

    id: int
    counts: tuple[int, int, int, int]
    kind: str
    referenced_id: str | None
    # Whether a later copy could name a reference this one lacks (see REFERENCE_SURE_SOURCES).
    may_gain_reference: bool
    # When the stored text was last edited, as the database gives it back (None: never)
    edited_at: object = None
    # Stored without its author (X left a suspended or withheld one out of `includes`)
    lacks_account: bool = False

    def edited_before(self, edited_at: object) -> bool:
        """Whether a copy edited at `edited_at` (bound as `_time_binder` binds it: text on
        SQLite, a naive UTC datetime elsewhere) is a later edit than the text stored."""
        return self.edited_at is None or edited_at > self.edited_at  # type: ignore[operator]

    def added_reference(self, kind: str, referenced_id: str | None
                        ) -> tuple[str, str | None] | None:
        """The (kind, reference) to store when a copy says more than what is stored: a
        reference where none is stored (with that copy's kind), or a more specific kind
        than `original`. A stored reference is never replaced, nor a kind changed under it."""
        if self.referenced_id is not None:
            return None
        if referenced_id:
            return (kind if kind != "original" else self.kind), referenced_id
        if self.kind == "original" and kind != "original":
            return kind, None
        return None


def stored_posts(conn: Connection, platform: str, ids: Sequence[str]) -> dict[str, StoredPost]:
    """platform id -> what is stored of the posts among `ids` already stored."""
    found: dict[str, StoredPost] = {}
    mark = _placeholder(conn)
    sure = ", ".join(f"'{s}'" for s in REFERENCE_SURE_SOURCES)
    for chunk in _chunks(ids):
        rows = conn.exec_driver_sql(
            "SELECT id, platform_id, likes, reposts, replies, quotes, kind, referenced_id, "
            f"CASE WHEN referenced_id IS NULL AND (kind <> 'original' OR source NOT IN ({sure})) "
            f"THEN 1 ELSE 0 END, edited_at, CASE WHEN account_id IS NULL THEN 1 ELSE 0 END "
            f"FROM {posts_t.name} WHERE platform = {mark} AND "
            f"platform_id IN ({', '.join([mark] * len(chunk))})", (platform, *chunk)).fetchall()
        for rid, pid, likes, reposts, replies, quotes, kind, ref, unsure, edited, lacks in rows:
            found[pid] = StoredPost(rid, (likes, reposts, replies, quotes), kind, ref,
                                    bool(unsure), edited, bool(lacks))
    return found


def stored_ids(conn: Connection, platform: str, ids: Sequence[str]) -> dict[str, int]:
    """platform id -> row id of the posts among `ids` already stored (the new ids of a
    batch on PostgreSQL: one look-up per batch of a first import, so nothing more is read)."""
    found: dict[str, int] = {}
    mark = _placeholder(conn)
    for chunk in _chunks(ids):
        found.update((pid, rid) for rid, pid in conn.exec_driver_sql(
            f"SELECT id, platform_id FROM {posts_t.name} WHERE platform = {mark} AND "
            f"platform_id IN ({', '.join([mark] * len(chunk))})", (platform, *chunk)))
    return found


def unchanged_posts(conn: Connection, platform: str,
                    items: Sequence[tuple[str, tuple[int, int, int, int]]], *,
                    archive: bool) -> set[str]:
    """Ids among `items` ((id, counts) pairs) stored already that storing again would not
    change: equal counts, or (`archive`) counts no higher than those stored; and a
    reference stored, or none that a later copy could add (a post a TAGS sheet stored as a
    retweet of an unknown post is mapped again, so the archive can say what it reposts)."""
    stored = stored_posts(conn, platform, [pid for pid, _ in items])
    same: set[str] = set()
    for pid, counts in items:
        found = stored.get(pid)
        if found is None or found.may_gain_reference or found.lacks_account:
            continue
        if found.counts == counts or (archive and all(
                a <= b for a, b in zip(counts, found.counts, strict=True))):
            same.add(pid)
    return same


def save_state(
    conn: Connection,
    campaign_id: int,
    source: str,
    values: dict[str, str | None],
    now: dt.datetime | None = None,
) -> None:
    """Upsert collector state rows (portable: update, then insert where nothing matched)."""
    now = now or utcnow()
    for key, value in values.items():
        updated = conn.execute(
            state_t.update()
            .where(
                state_t.c.campaign_id == campaign_id,
                state_t.c.source == source,
                state_t.c.key == key,
            )
            .values(value=value, updated_at=now)
        )
        if updated.rowcount == 0:
            conn.execute(
                state_t.insert().values(
                    campaign_id=campaign_id, source=source, key=key, value=value, updated_at=now
                )
            )


def load_state(db: Database, source: str) -> dict[str, str | None]:
    """The checkpoints a source saved for this campaign, key -> value."""
    with db.begin() as conn:
        rows = conn.execute(
            sa.select(state_t.c.key, state_t.c.value).where(
                state_t.c.campaign_id == db.campaign_id, state_t.c.source == source
            )
        )
        return {r.key: r.value for r in rows}

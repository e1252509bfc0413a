"""`knowvember forget`: erase an account on request (UK GDPR), and keep it erased.

Erasing removes, across every campaign in the database:
- the account's profile (the `accounts` row, its raw payload and organisation assignment);
- its posts, with their hashtags, techniques and raw payloads;
- reposts of its posts (a repost is a copy of its text and payload);
- the raw payload of other people's replies and quotes of its posts when that payload embeds
  the account (Bluesky quote views, X v1.1 retweets); their own text stays: it is theirs;
- its handle wherever the run log quotes it (line errors of an import).

Keeping it erased: the `forgotten_accounts` table holds SHA-256 digests of platform + account
key and platform + handle, never the handle itself, and every `PostWriter` drops posts whose
author matches one, so later collections and imports do not store the account again (the run
counts them as skipped), nor anyone's repost of its posts (a copy of its words). A digest
can be checked against a guessed handle, which is the point; it cannot be read back.

`forget` waits for running collections and imports (their locks), so a batch written at the
same moment cannot bring the account back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowvember import payloads
from knowvember.db import Database, translate_errors
from knowvember.errors import REPORTED, InputError
from knowvember.models import (
    Account,
    ForgottenAccount,
    Post,
    PostHashtag,
    PostTechnique,
    Run,
    utcnow,
)
from knowvember.payloads import Unpacker
from knowvember.records import parse_account_ref

if TYPE_CHECKING:
    from knowvember.config import Settings

log = logging.getLogger(__name__)

forgotten_t = ForgottenAccount.__table__
accounts_t = Account.__table__
posts_t = Post.__table__
hashtags_t = PostHashtag.__table__
techniques_t = PostTechnique.__table__
runs_t = Run.__table__

# A fixed, public prefix: digests from this tool never collide with other SHA-256 lists.
_DOMAIN = "knowvember:forgotten:v1"
REDACTED = "[forgotten account]"
CHUNK = 500
LOCKS = ("collect:x", "collect:mastodon", "collect:bluesky", "import:twarc2", "import:tags",
         "import:csv", "import:mastodon", "import:bluesky")


def digest(platform: str, kind: str, value: str) -> str:
    """The hex SHA-256 that stands for one identity of a forgotten account."""
    text = "\x1f".join((_DOMAIN, platform, kind, value.strip().lower()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def account_digests(platform: str, *, key: str | None = None, handle: str | None = None
                    ) -> list[tuple[str, str]]:
    """(digest, kind) for an account's key and handle, whichever are known."""
    found = []
    if key:
        found.append((digest(platform, "key", key), "key"))
    if handle:
        found.append((digest(platform, "handle", handle), "handle"))
    return found


def forgotten_digests(conn: Connection) -> frozenset[str]:
    """Every digest in the forgotten list (a few per erased account: small)."""
    return frozenset(r[0] for r in conn.execute(sa.select(forgotten_t.c.digest)))


def is_forgotten(digests: frozenset[str], platform: str, *, key: str | None = None,
                 handle: str | None = None) -> bool:
    if not digests:
        return False
    return any(d in digests for d, _ in account_digests(platform, key=key, handle=handle))


@dataclass
class ForgetReport:
    """What `forget` removed, for the screen and `--format json`."""

    account: str
    platform: str
    handle: str
    accounts: int = 0
    posts: int = 0
    reposts: int = 0
    hashtags: int = 0
    techniques: int = 0
    raw_payloads_cleared: int = 0
    # compression dictionaries holding the account's handle or id, dropped (their posts'
    # payloads are kept as text instead)
    payload_dictionaries_dropped: int = 0
    run_log_entries_redacted: int = 0
    already_forgotten: bool = False
    still_in_config: list[str] = field(default_factory=list)

    @property
    def removed_anything(self) -> bool:
        return bool(self.accounts or self.posts or self.reposts or self.raw_payloads_cleared
                    or self.payload_dictionaries_dropped or self.run_log_entries_redacted)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_account(ref: str) -> tuple[str, str]:
    try:
        return parse_account_ref(ref)
    except ValueError as exc:
        raise InputError(f"ACCOUNT: {exc}") from None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _matching_accounts(conn: Connection, platform: str, handle: str
                       ) -> list[tuple[int, str, str]]:
    """(id, key, handle) of every stored account that is this one.

    Matched by handle, and by key for rows keyed by the handle itself (CSV imports without
    an author id key accounts that way).
    """
    rows = conn.execute(
        sa.select(accounts_t.c.id, accounts_t.c.key, accounts_t.c.handle).where(
            accounts_t.c.platform == platform,
            sa.or_(accounts_t.c.handle == handle, accounts_t.c.key == handle),
        )
    )
    return [(r.id, r.key, r.handle) for r in rows]


def preview(db: Database, ref: str) -> ForgetReport:
    """What `forget` would remove, removing nothing (for the confirmation question)."""
    platform, handle = parse_account(ref)
    report = ForgetReport(account=ref, platform=platform, handle=handle)
    with db.begin() as conn:
        _erase(conn, report, dry_run=True)
    return report


def forget(db: Database, ref: str, settings: Settings | None = None, *,
           lock_wait: float = 10.0) -> ForgetReport:
    """Erase the account `ref` (`platform:handle`) and add it to the forgotten list."""
    platform, handle = parse_account(ref)
    report = ForgetReport(account=ref, platform=platform, handle=handle)
    with _all_run_locks(db, lock_wait), translate_errors(db.engine), db.engine.begin() as conn:
        _erase(conn, report, dry_run=False)
    if settings is not None:
        report.still_in_config = config_mentions(settings, platform, handle)
    log.info("Forgot %s: %d account(s), %d post(s), %d repost(s) removed", ref,
             report.accounts, report.posts, report.reposts, extra=REPORTED)
    return report


@contextlib.contextmanager
def _all_run_locks(db: Database, wait: float) -> Iterator[None]:
    from knowvember.locks import run_lock

    with contextlib.ExitStack() as stack:
        for name in LOCKS:
            stack.enter_context(run_lock(db, name, wait=wait))
        yield


def _erase(conn: Connection, report: ForgetReport, *, dry_run: bool) -> None:
    platform, handle = report.platform, report.handle
    known = forgotten_digests(conn)
    accounts = _matching_accounts(conn, platform, handle)
    identities = account_digests(platform, handle=handle)
    for _, key, stored_handle in accounts:
        identities += account_digests(platform, key=key, handle=stored_handle)
    identities = list(dict.fromkeys(identities))
    report.already_forgotten = bool(identities) and all(d in known for d, _ in identities)
    account_ids = [a[0] for a in accounts]
    post_ids: list[int] = []
    platform_ids: list[str] = []
    for chunk in _chunks(account_ids):
        for row in conn.execute(sa.select(posts_t.c.id, posts_t.c.platform_id)
                                .where(posts_t.c.account_id.in_(chunk))):
            post_ids.append(row.id)
            platform_ids.append(row.platform_id)
    repost_ids: list[int] = []
    referring: list[tuple[int, str | None]] = []
    unpacker = Unpacker(conn)
    for chunk in _chunks(platform_ids):
        rows = conn.execute(
            sa.select(posts_t.c.id, posts_t.c.kind, posts_t.c.raw, posts_t.c.raw_z,
                      posts_t.c.account_id)
            .where(posts_t.c.platform == platform, posts_t.c.referenced_id.in_(chunk)))
        for row in rows:
            if row.account_id in account_ids:
                continue
            if row.kind == "repost":
                repost_ids.append(row.id)
            else:
                referring.append((row.id, unpacker.text(row.raw, row.raw_z)))
    values = [handle, *(k for _, k, _ in accounts), *(h for _, _, h in accounts)]
    forms = _forms(v for v in values if v)  # once, for every payload and dictionary
    cleared = [pid for pid, raw in referring if raw and _embeds(raw, forms)]
    handles = list(dict.fromkeys([handle, *(h for _, _, h in accounts)]))
    doomed = post_ids + repost_ids
    report.accounts = len(account_ids)
    report.posts = len(post_ids)
    report.reposts = len(repost_ids)
    report.raw_payloads_cleared = len(cleared)
    dictionaries = payloads.naming(conn, forms)
    report.payload_dictionaries_dropped = len(dictionaries)
    for chunk in _chunks(doomed):
        report.hashtags += _count(conn, hashtags_t, hashtags_t.c.post_id.in_(chunk))
        report.techniques += _count(conn, techniques_t, techniques_t.c.post_id.in_(chunk))
    runs = _runs_quoting(conn, handles)
    report.run_log_entries_redacted = len(runs)
    if dry_run:
        return
    for chunk in _chunks(doomed):
        conn.execute(hashtags_t.delete().where(hashtags_t.c.post_id.in_(chunk)))
        conn.execute(techniques_t.delete().where(techniques_t.c.post_id.in_(chunk)))
        conn.execute(posts_t.delete().where(posts_t.c.id.in_(chunk)))
    for chunk in _chunks(cleared):
        conn.execute(posts_t.update().where(posts_t.c.id.in_(chunk))
                     .values(raw=None, raw_z=None))
    payloads.retrain(conn, dictionaries, forms)
    for chunk in _chunks(account_ids):
        conn.execute(accounts_t.delete().where(accounts_t.c.id.in_(chunk)))
    for run_id, error, details in runs:
        conn.execute(runs_t.update().where(runs_t.c.id == run_id).values(
            error=_redact(error, handles) if error else error,
            details=json.loads(_redact(json.dumps(details), handles)) if details else details))
    now = utcnow()
    fresh = [{"digest": d, "kind": kind, "forgotten_at": now}
             for d, kind in identities if d not in known]
    if fresh:
        conn.execute(forgotten_t.insert(), fresh)


def _count(conn: Connection, table: sa.Table, where: Any) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(where))
               .scalar() or 0)


def _forms(values: Iterable[str]) -> set[str]:
    """The lower-case forms an identity takes in a payload: as given, without '@', and a
    Mastodon handle's user part."""
    return {form.lower() for value in values
            for form in (value, value.lstrip("@"), value.lstrip("@").split("@")[0])
            if len(form) >= 2}


def _embeds(raw: str, forms: Iterable[str]) -> bool:
    """Whether a JSON payload holds one of the account's identities (`_forms`) as a whole
    string."""
    lowered = raw.lower()
    return any(f'"{form}"' in lowered for form in forms)


def _redact(text: str, marks: Iterable[str]) -> str:
    import re

    for mark in sorted(marks, key=len, reverse=True):
        bare = mark.lstrip("@")
        if len(bare) < 3:
            continue
        text = re.sub(r"@?" + re.escape(bare), REDACTED, text, flags=re.IGNORECASE)
    return text


def _runs_quoting(conn: Connection, marks: Sequence[str]
                  ) -> list[tuple[int, str | None, dict[str, Any] | None]]:
    """Runs whose error or details quote the account (an import's line errors can)."""
    bare = [m.lstrip("@") for m in marks if len(m.lstrip("@")) >= 3]
    if not bare:
        return []
    details_text = sa.cast(runs_t.c.details, sa.Text)
    conditions = []
    for mark in bare:
        pattern = f"%{mark.lower()}%"
        conditions += [sa.func.lower(runs_t.c.error).like(pattern),
                       sa.func.lower(details_text).like(pattern)]
    rows = conn.execute(sa.select(runs_t.c.id, runs_t.c.error, runs_t.c.details)
                        .where(sa.or_(*conditions)))
    return [(r.id, r.error, r.details) for r in rows]


def config_mentions(settings: Settings, platform: str, handle: str) -> list[str]:
    """Where campaign.toml still names the account (forget cannot edit the file)."""
    places = []
    for index, org in enumerate(settings.organisations):
        for ref in org.accounts:
            with contextlib.suppress(ValueError):
                if parse_account_ref(ref) == (platform, handle):
                    places.append(f"organisations[{index}].accounts ({org.code})")
    for ref in settings.leaderboard.exclude_accounts:
        with contextlib.suppress(ValueError):
            if parse_account_ref(ref) == (platform, handle):
                places.append("leaderboard.exclude_accounts")
    return places

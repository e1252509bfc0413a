"""`knowvember forget`: erase an account on request (UK GDPR), and keep it erased.

Erasing removes, across every campaign in the database:
- the account's profile (the `accounts` row, its raw payload and organisation assignment);
- its posts, with their hashtags, techniques and raw payloads;
- reposts of its posts (a repost is a copy of its text and payload);
- in other people's posts (their own words stay: they are theirs), every trace of it: its
  @-handle in the text and `mentions`, its display name in posts about it, references to
  its posts (a Mastodon or Bluesky URI spells the account), and any raw payload that embeds
  it (X mentions, `includes.users`, a reply's context, a retweet of a quote of it);
- its handle wherever the run log quotes it (line errors of an import), and the log line
  recording the erasure names only a digest.

All of it in one transaction: a failure leaves the database as it was. `redact_incoming`
does the same to a post arriving after the erasure, for `PostWriter`.

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
import re
from collections.abc import Container, Iterable, Iterator, Sequence
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
from knowvember.records import (
    PostRecord,
    account_ref_keys,
    account_ref_names,
    normalise_handle,
    parse_account_ref,
)

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
    # other people's posts whose text, mentions or references named the account
    others_posts_redacted: int = 0
    already_forgotten: bool = False
    # other stored accounts of the same person erased with it: {"account", "link"}, the link
    # "renamed" (the handle given is one it had before) or "moved" (a Mastodon move)
    same_person: list[dict[str, str]] = field(default_factory=list)
    # the stored accounts the reference names under another handle: a Mastodon profile
    # address (https://social.nhs.uk/@lks) names the actor, whose handle can be on another
    # domain (@lks@nhs.uk); "Forgot mastodon:@lks@social.nhs.uk" named a handle nobody had
    stored_as: list[str] = field(default_factory=list)
    still_in_config: list[str] = field(default_factory=list)
    # report folders written before the erasure, which still show the account
    reports_written_before: list[str] = field(default_factory=list)

    @property
    def removed_anything(self) -> bool:
        return bool(self.accounts or self.posts or self.reposts or self.raw_payloads_cleared
                    or self.payload_dictionaries_dropped or self.run_log_entries_redacted
                    or self.others_posts_redacted)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_account(ref: str) -> tuple[str, str]:
    """`platform:handle`, or the account's profile address, as (platform, handle).

    An erasure request often quotes the profile's address (`https://x.com/someone`,
    `https://nhs.social/@lib`): it is read as the account it shows. A handle no account can
    have is refused: a URL or any text after `x:` was taken as a handle, and its pieces
    (`https`, the instance's name) then matched other people's posts, whose raw payloads
    the erasure cleared, while the account itself was left stored.
    """
    from knowvember.config import account_ref_mistake

    try:
        platform, handle = parse_account_ref(ref)  # a profile address too (records)
    except ValueError as exc:
        # What to write instead (`@someone` without its platform, a Mastodon address, a
        # DID), as campaign.toml's check says it; "not platform:handle" said neither.
        raise InputError(f"ACCOUNT: {account_ref_mistake(ref) or exc}") from None
    if not _HANDLE_SHAPES[platform].match(handle):
        typed = ref.partition(":")[2].strip()
        shown = repr(typed) if len(typed) <= 80 and typed.isprintable() else "that"
        raise InputError(f"ACCOUNT: {shown} is not {_PLATFORM_NAMES[platform]} handle; "
                         f"write {_HANDLE_EXAMPLES[platform]}, or paste the profile's address")
    return platform, handle


# What a stored handle can look like (normalised: lower case, X and Mastodon with '@').
_HANDLE_SHAPES = {
    "x": re.compile(r"^@\w{1,50}$"),
    "mastodon": re.compile(r"^@[\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+(?::\d+)?)?$"),
    "bluesky": re.compile(r"^(?:[\w\-]+(?:\.[\w\-]+)*|did:[a-z]+:[\w.:%\-]+)$"),
}
_PLATFORM_NAMES = {"x": "an X", "mastodon": "a Mastodon", "bluesky": "a Bluesky"}
_HANDLE_EXAMPLES = {"x": "x:@UHLLibraries", "mastodon": "mastodon:@lib@nhs.social",
                    "bluesky": "bluesky:lib.bsky.social"}
def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _matching_accounts(conn: Connection, platform: str, handle: str,
                       keys: Iterable[str] = ()) -> list[_Stored]:
    """Every stored account that is this one, or the same person's.

    Matched by handle; by key (a Bluesky DID, the actor a Mastodon profile address names,
    and rows keyed by the handle itself: CSV imports without an author id key accounts that
    way); and, when no account has the handle now, by a handle an account had before it was
    renamed (`former_handles`), as campaign.toml's mappings and opt-outs are. Then every
    account linked to one of those by a Mastodon move, either way: the store keeps a
    mover's posts under the account it moved to, so forgetting the old handle erased an
    empty profile and left every post, and forgetting the new one left the old profile.
    """
    columns = (accounts_t.c.id, accounts_t.c.key, accounts_t.c.handle,
               accounts_t.c.platform_user_id, accounts_t.c.display_name,
               accounts_t.c.former_handles, accounts_t.c.moved_to_id)
    mine = accounts_t.c.platform == platform
    rows = list(conn.execute(sa.select(*columns).where(
        mine, sa.or_(accounts_t.c.handle == handle,
                     accounts_t.c.key.in_(sorted({handle, *keys}))))))
    found = {r.id: _Stored.of(r, "") for r in rows}
    if not any(r.handle == handle for r in rows):
        for r in conn.execute(sa.select(*columns).where(
                mine, accounts_t.c.former_handles.is_not(None))):
            if handle in (r.former_handles or ()) and r.id not in found:
                found[r.id] = _Stored.of(r, RENAMED)
    todo = set(found)
    while todo:
        targets = sorted({m for i in todo if (m := found[i].moved_to_id) is not None}
                         - found.keys())
        near = sorted(todo)
        todo = set()
        for r in conn.execute(sa.select(*columns).where(
                mine, sa.or_(accounts_t.c.moved_to_id.in_(near),
                             accounts_t.c.id.in_(targets)))):
            if r.id not in found:
                found[r.id] = _Stored.of(r, MOVED)
                todo.add(r.id)
    return list(found.values())


def _former_handles(conn: Connection, platform: str, accounts: Sequence[_Stored]
                    ) -> list[str]:
    """The handles the accounts had before a rename that no other stored account has now:
    other people's posts from before the rename mention the person by them, and a sheet
    keyed by handle brings them back by them. A handle passed on to someone else is theirs,
    and stays."""
    former = {h for a in accounts for h in a.former} - {a.handle for a in accounts}
    if not former:
        return []
    held = set(conn.execute(sa.select(accounts_t.c.handle).where(
        accounts_t.c.platform == platform, accounts_t.c.handle.in_(sorted(former)),
        accounts_t.c.id.not_in([a.id for a in accounts]))).scalars())
    return sorted(former - held)


def preview(db: Database, ref: str, settings: Settings | None = None) -> ForgetReport:
    """What `forget` would remove, removing nothing (the question, and `--dry-run`): the
    same look-ups as the real run, so the same counts."""
    platform, handle = parse_account(ref)
    report = ForgetReport(account=ref, platform=platform, handle=handle)
    with translate_errors(db.engine), db.begin() as conn:
        who = _erase(conn, report, dry_run=True)
    if settings is not None:
        report.still_in_config = config_mentions(settings, who)
        report.reports_written_before = reports_written_before(settings, report)
    return report


def forget(db: Database, ref: str, settings: Settings | None = None, *,
           lock_wait: float = 10.0) -> ForgetReport:
    """Erase the account `ref` (`platform:handle`) and add it to the forgotten list."""
    platform, handle = parse_account(ref)
    report = ForgetReport(account=ref, platform=platform, handle=handle)
    with _all_run_locks(db, lock_wait), translate_errors(db.engine), db.engine.begin() as conn:
        who = _erase(conn, report, dry_run=False)
    if settings is not None:
        report.still_in_config = config_mentions(settings, who)
        report.reports_written_before = reports_written_before(settings, report)
    # The log file must not keep the handle just erased everywhere else. It names the
    # erasure by the start of the handle's digest (as `forgotten_accounts` holds it), so
    # an auditor holding the request can match it, and nobody else can read it.
    log.info("Forgot an account on %s (forgotten list entry %s): %d account(s), %d post(s), "
             "%d repost(s) removed, %d other post(s) and %d payload(s) no longer name it",
             platform, digest(platform, "handle", handle)[:12], report.accounts,
             report.posts, report.reposts, report.others_posts_redacted,
             report.raw_payloads_cleared, extra=REPORTED)
    return report


@contextlib.contextmanager
def _all_run_locks(db: Database, wait: float) -> Iterator[None]:
    from knowvember.locks import run_lock

    with contextlib.ExitStack() as stack:
        for name in LOCKS:
            stack.enter_context(run_lock(db, name, wait=wait))
        yield


def _erase(conn: Connection, report: ForgetReport, *, dry_run: bool) -> _Identity:
    """Count, and unless `dry_run` remove, everything `forget` erases; every spelling of
    the account erased. The counts come from the same look-ups as the removal, so the
    question (and `--dry-run`) says exactly what the real run removes."""
    platform, handle = report.platform, report.handle
    known = forgotten_digests(conn)
    accounts = _matching_accounts(conn, platform, handle, account_ref_keys(report.account))
    if not accounts:
        _refuse_incomplete(conn, platform, handle)
    former = _former_handles(conn, platform, accounts)
    report.same_person = [{"account": f"{platform}:{a.handle}", "link": a.via}
                          for a in accounts if a.via]
    report.stored_as = [f"{platform}:{a.handle}" for a in accounts
                        if not a.via and a.handle and a.handle.lower() != handle.lower()]
    identities = account_digests(platform, handle=handle)
    for account in accounts:
        identities += account_digests(platform, key=account.key, handle=account.handle)
    for old in former:
        identities += account_digests(platform, handle=old)
    identities = list(dict.fromkeys(identities))
    report.already_forgotten = bool(identities) and all(d in known for d, _ in identities)
    account_ids = [a.id for a in accounts]
    post_ids: list[int] = []
    platform_ids: set[str] = set()
    for chunk in _chunks(account_ids):
        for row in conn.execute(sa.select(posts_t.c.id, posts_t.c.platform_id)
                                .where(posts_t.c.account_id.in_(chunk))):
            post_ids.append(row.id)
            platform_ids.add(row.platform_id)
    who = _Identity.of(platform, handle, accounts, former)
    repost_ids, scrubs = _others_posts(conn, who, set(account_ids), platform_ids)
    forms = who.forms  # once, for every payload and dictionary
    handles = who.handles
    doomed = post_ids + repost_ids
    report.accounts = len(account_ids)
    report.posts = len(post_ids)
    report.reposts = len(repost_ids)
    report.raw_payloads_cleared = sum(1 for s in scrubs if s.clear_raw)
    report.others_posts_redacted = sum(1 for s in scrubs if s.changes)
    dictionaries = payloads.naming(conn, forms)
    report.payload_dictionaries_dropped = len(dictionaries)
    for chunk in _chunks(doomed):
        report.hashtags += _count(conn, hashtags_t, hashtags_t.c.post_id.in_(chunk))
        report.techniques += _count(conn, techniques_t, techniques_t.c.post_id.in_(chunk))
    runs = _runs_quoting(conn, handles)
    report.run_log_entries_redacted = len(runs)
    if dry_run:
        return who
    for chunk in _chunks(doomed):
        conn.execute(hashtags_t.delete().where(hashtags_t.c.post_id.in_(chunk)))
        conn.execute(techniques_t.delete().where(techniques_t.c.post_id.in_(chunk)))
        conn.execute(posts_t.delete().where(posts_t.c.id.in_(chunk)))
    _write_scrubs(conn, scrubs)
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
    return who


def erase_forgotten(conn: Connection) -> int:
    """Erase every stored account the forgotten list names, as `forget` would; the number
    erased. For rows put back from elsewhere (`db restore` of a backup made before an
    erasure): the list keeps an account out of later runs, but it was back in the database,
    in every report and export, with all its posts."""
    forgotten = forgotten_digests(conn)
    if not forgotten:
        return 0
    erased: set[int] = set()
    rows = conn.execute(sa.select(accounts_t.c.id, accounts_t.c.platform, accounts_t.c.key,
                                  accounts_t.c.handle))
    for account_id, platform, key, handle in list(rows):
        if account_id in erased or not is_forgotten(forgotten, platform, key=key,
                                                     handle=handle):
            continue
        report = ForgetReport(account=f"{platform}:{handle or key}", platform=platform,
                              handle=handle or key)
        erased.update(_erase(conn, report, dry_run=False).account_ids)
    return len(erased)


def _refuse_incomplete(conn: Connection, platform: str, handle: str) -> None:
    """A Mastodon handle without its instance, or a Bluesky one without its domain, that no
    stored account has: refused, naming the stored accounts it could mean.

    Such a handle matches no account anyone can have (`mastodon:@lib` is `@lib@nhs.social`
    once stored), so erasing it erased nothing of the person and put on the forgotten list
    an entry that never stops their posts, while saying the account was forgotten.
    """
    if platform == "mastodon" and "@" not in handle[1:]:
        prefix, form = handle + "@", f"{handle}@instance, e.g. mastodon:{handle}@nhs.social"
    elif platform == "bluesky" and "." not in handle and not handle.startswith("did:"):
        prefix, form = handle + ".", f"a domain, e.g. bluesky:{handle}.bsky.social"
    else:
        return
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = conn.execute(
        sa.select(accounts_t.c.handle).where(
            accounts_t.c.platform == platform,
            accounts_t.c.handle.like(escaped + "%", escape="\\"))
        .order_by(accounts_t.c.handle).limit(6)).scalars().all()
    stored = (f"; stored: {', '.join(f'{platform}:{h}' for h in like[:5])}"
              f"{' and more' if len(like) > 5 else ''}" if like else "")
    raise InputError(f"ACCOUNT: {platform}:{handle} names no stored account, and "
                     f"{_PLATFORM_NAMES[platform]} handle is {form}{stored}. Nothing was "
                     "changed")


# -- other people's posts that name the account ------------------------------------------
#
# Their posts are theirs and stay, but the forgotten person must not be readable in them:
# - the handle, wherever the text @-mentions it, becomes REDACTED, and it leaves `mentions`;
# - the display name becomes REDACTED in the posts that are about the account (they mention
#   it, or reply to, quote or continue a thread of its posts). Elsewhere a name is not
#   proof of who is meant ("Jane Smith" may be another Jane Smith), so it stays;
# - a reference to one of its posts (`referenced_id`, `conversation_id`), which for
#   Mastodon and Bluesky spells its handle or DID, becomes an opaque REFERENCE_MARK, so the
#   post is still counted as a reply or quote, and a later import does not put the
#   reference back (a stored reference is never replaced);
# - the raw payload, when it holds the account's handle, id or name (X `entities.mentions`
#   and `includes.users`, `in_reply_to_user_id`, a Bluesky reply's parent URI, a Mastodon
#   `mentions` list), is cleared: a payload is someone else's verbatim record, and editing
#   it could leave the account behind in a field not thought of.

REFERENCE_MARK = "forgotten:"
NAME_MIN = 3  # a display name shorter than this is not looked for


RENAMED = "renamed"  # matched by a handle it had before
MOVED = "moved"  # linked by a Mastodon move to an account matched


@dataclass(frozen=True)
class _Stored:
    id: int
    key: str
    handle: str
    platform_user_id: str | None
    display_name: str | None
    former: tuple[str, ...] = ()
    moved_to_id: int | None = None
    via: str = ""  # how it was found when not by the reference itself (RENAMED, MOVED)

    @classmethod
    def of(cls, row: Any, via: str) -> _Stored:
        return cls(row.id, row.key, row.handle, row.platform_user_id, row.display_name,
                   tuple(row.former_handles or ()), row.moved_to_id, via)


@dataclass(frozen=True)
class _Identity:
    """Every spelling of the forgotten account that other people's posts can hold."""

    platform: str
    handles: list[str]  # normalised, as in `mentions`
    keys: list[str]
    names: list[str]
    forms: set[str]  # lower-case handles and ids, for payloads and dictionaries
    account_ids: tuple[int, ...] = ()  # the stored accounts erased

    @classmethod
    def of(cls, platform: str, handle: str, accounts: Sequence[_Stored],
           former: Sequence[str] = ()) -> _Identity:
        handles = list(dict.fromkeys([handle, *(a.handle for a in accounts), *former]))
        keys = list(dict.fromkeys(a.key for a in accounts if a.key))
        ids = [a.platform_user_id for a in accounts if a.platform_user_id]
        names = list(dict.fromkeys(
            variant for a in accounts if a.display_name
            for variant in _name_variants(a.display_name)))
        forms = _forms(v for v in [*handles, *keys, *ids] if v)
        return cls(platform, handles, keys, names, forms, tuple(a.id for a in accounts))

    # compiled once per `forget`, used on every post it scans
    _compiled: dict[str, re.Pattern[str] | None] = field(default_factory=dict)

    def mention_pattern(self, *, local: bool) -> re.Pattern[str] | None:
        """@-mentions of the account in text; `local` adds a Mastodon handle's bare user
        part (`@lib`, how a server shows a mention of its own user)."""
        name = f"mentions:{local}"
        if name not in self._compiled:
            self._compiled[name] = self._mention_pattern(local=local)
        return self._compiled[name]

    def _mention_pattern(self, *, local: bool) -> re.Pattern[str] | None:
        spelt = {"@" + h.lstrip("@") for h in self.handles}
        if local and self.platform == "mastodon":
            spelt |= {"@" + h.lstrip("@").split("@")[0] for h in self.handles}
        spelt = {s for s in spelt if len(s) >= 3}
        return _mentions_of(spelt) if spelt else None

    def name_pattern(self) -> re.Pattern[str] | None:
        if "names" not in self._compiled:
            self._compiled["names"] = self._name_pattern()
        return self._compiled["names"]

    def _name_pattern(self) -> re.Pattern[str] | None:
        if not self.names:
            return None
        alternatives = "|".join(r"\s+".join(map(re.escape, n.split()))
                                for n in sorted(self.names, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def reposted(self, text: str | None, reference: str | None, erased: set[str]) -> bool:
        """Whether a repost copies one of the account's posts: an erased one, one whose URI
        spells the account, or an X retweet of it ("RT @handle: ...", as `PostWriter`
        recognises one when the original is not stored)."""
        if self.in_reference(reference, erased):
            return True
        if self.platform != "x" or not text or not text.startswith("RT @"):
            return False
        author = text[3:text.find(":")] if ":" in text else ""
        return author.lower() in {h.lower() for h in self.handles}

    def in_reference(self, value: str | None, erased: set[str]) -> bool:
        """Whether a reference points to one of the account's posts: an erased one, or
        (Mastodon, Bluesky) one whose URI spells the account."""
        if not value:
            return False
        if value in erased:
            return True
        lowered = value.lower()
        return any(len(k) >= 8 and not k.isdigit() and k.lower() in lowered
                   for k in self.keys) or (
            self.platform == "mastodon" and any(
                f"/users/{u}/" in lowered or f"/@{u}/" in lowered
                for u in (h.lstrip("@").split("@")[0] for h in self.handles) if u))


def _name_variants(name: str) -> list[str]:
    """A display name as posts write it: whole, and without the decoration profiles add
    ("Jane Smith 📚 (she/her)", "Jane Smith | UHL Library" are written "Jane Smith")."""
    whole = " ".join(name.split())
    core = re.split(r"\s+[(|•·–—-]|\s*[|•·]\s*", whole)[0]
    core = re.sub(r"^\W+|[\W_]+$", "", core)
    return [n for n in dict.fromkeys((whole, core)) if len(n) >= NAME_MIN]


@dataclass
class _Scrub:
    """What `forget` changes in one post of someone else's."""

    id: int
    changes: dict[str, Any] = field(default_factory=dict)
    clear_raw: bool = False


def _others_posts(conn: Connection, who: _Identity, account_ids: set[int],
                  erased: set[str]) -> tuple[list[int], list[_Scrub]]:
    """Other people's reposts of the account (to delete) and the changes their other posts
    naming it need, in one pass over the platform's posts, filtered by the database."""
    if not who.handles and not erased:
        return [], []
    columns = (posts_t.c.id, posts_t.c.platform_id, posts_t.c.kind, posts_t.c.account_id,
               posts_t.c.text, posts_t.c.mentions, posts_t.c.referenced_id,
               posts_t.c.conversation_id, posts_t.c.raw, posts_t.c.raw_z)
    rows: Iterable[Any] = conn.execute(
        sa.select(*columns).where(posts_t.c.platform == who.platform,
                                  sa.or_(*_naming_conditions(conn, who, list(account_ids)))))
    unpacker = Unpacker(conn)
    reposts: list[int] = []
    scrubs: list[_Scrub] = []
    seen: set[int] = set()
    followers: dict[str, list[int]] | None = None
    for _ in range(FOLLOW_DEPTH + 1):
        naming: set[str] = set()
        for row in rows:
            seen.add(row.id)
            if row.account_id in account_ids:
                continue  # its own: deleted whole
            if row.kind == "repost" and who.reposted(row.text, row.referenced_id, erased):
                reposts.append(row.id)  # a copy of its words
                continue
            scrub = _scrub(row, who, erased, unpacker)
            if scrub.changes or scrub.clear_raw:
                scrubs.append(scrub)
                naming.add(row.platform_id)
        if not naming:
            break
        # A repost or quote of a post that names the account can embed that post (an X
        # retweet of a quote carries the quoted link): look at those too.
        if followers is None:
            followers = _referring(conn, who.platform)
        ids = sorted({i for ref in naming for i in followers.get(ref, ())} - seen)
        rows = [row for chunk in _chunks(ids) for row in conn.execute(
            sa.select(*columns).where(posts_t.c.id.in_(chunk)))]
    return reposts, scrubs


FOLLOW_DEPTH = 3  # reposts of quotes of reposts... of a post naming the account


def _referring(conn: Connection, platform: str) -> dict[str, list[int]]:
    """Post ids by the post they repost, quote or reply to, for one platform (one scan of
    two narrow columns; `referenced_id` has no index)."""
    found: dict[str, list[int]] = {}
    for post_id, reference in conn.execute(
            sa.select(posts_t.c.id, posts_t.c.referenced_id)
            .where(posts_t.c.platform == platform, posts_t.c.referenced_id.is_not(None))):
        found.setdefault(reference, []).append(post_id)
    return found


def _naming_conditions(conn: Connection, who: _Identity, account_ids: list[int]
                       ) -> list[Any]:
    """SQL conditions that any post naming the account meets (a superset: `_scrub` decides).

    One scan of the platform's posts: `mentions` holds normalised handles; the text is
    searched for the @-handle (SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE);
    a reference to one of the account's posts is found by a semi-join on its posts, or by
    its key inside a URI; an uncompressed payload is searched for its handle and id.
    """
    sqlite = conn.dialect.name == "sqlite"

    def like(column: Any, pattern: str) -> Any:
        return column.like(pattern) if sqlite else column.ilike(pattern)

    conditions: list[Any] = []
    for handle in who.handles:
        bare = handle.lstrip("@")
        if len(bare) < 2:
            continue
        conditions += [posts_t.c.mentions.like(f"%{handle}%"),
                       like(posts_t.c.text, f"%@{bare}%")]
    for form in who.forms:
        if len(form) >= 3:
            conditions.append(like(posts_t.c.raw, f"%{form}%"))
    if account_ids:
        theirs = sa.select(posts_t.c.platform_id).where(posts_t.c.account_id.in_(account_ids))
        conditions += [posts_t.c.referenced_id.in_(theirs),
                       posts_t.c.conversation_id.in_(theirs)]
    for key in who.keys:
        if len(key) >= 8 and not key.isdigit():
            conditions += [posts_t.c.referenced_id.like(f"%{key}%"),
                           posts_t.c.conversation_id.like(f"%{key}%")]
    if who.platform == "mastodon":
        for handle in who.handles:
            user = handle.lstrip("@").split("@")[0]
            if user:
                conditions += [posts_t.c.referenced_id.like(f"%/users/{user}/%"),
                               posts_t.c.referenced_id.like(f"%/@{user}/%"),
                               posts_t.c.conversation_id.like(f"%/users/{user}/%")]
    return conditions or [sa.false()]


def _scrub(row: Any, who: _Identity, erased: set[str], unpacker: Unpacker) -> _Scrub:
    """The changes one of someone else's posts needs so that it no longer names the
    account (see the comment above REFERENCE_MARK)."""
    scrub = _Scrub(row.id)
    mentions = (row.mentions or "").split()
    handles = set(who.handles)
    mentioned = any(m in handles for m in mentions)
    referring = [c for c in ("referenced_id", "conversation_id")
                 if who.in_reference(getattr(row, c), erased)]
    text = row.text or ""
    pattern = who.mention_pattern(local=mentioned)
    new_text = pattern.sub(REDACTED, text) if pattern else text
    about = mentioned or bool(referring) or new_text != text
    names = who.name_pattern() if about else None
    if names:
        new_text = names.sub(REDACTED, new_text)
    if new_text != text:
        scrub.changes["text"] = new_text
    if mentioned:
        kept = [m for m in mentions if m not in handles]
        scrub.changes["mentions"] = " ".join(kept) or None
    for column in referring:
        scrub.changes[column] = reference_mark(who.platform, getattr(row, column))
    raw = unpacker.text(row.raw, row.raw_z)
    scrub.clear_raw = bool(raw) and _embeds(raw, who.forms, who.names if about else ())
    return scrub


def reference_mark(platform: str, reference: str) -> str:
    """What stands for a reference to an erased post: opaque and the same for every
    reference to that post, so replies to one post still group together."""
    return REFERENCE_MARK + digest(platform, "post", reference)[:16]


def _write_scrubs(conn: Connection, scrubs: Sequence[_Scrub]) -> None:
    """Apply `_scrub`'s changes, one executemany per set of columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for scrub in scrubs:
        values = dict(scrub.changes)
        if scrub.clear_raw:
            values.update(raw=None, raw_z=None)
        if values:
            groups.setdefault(tuple(sorted(values)), []).append(
                {"b_id": scrub.id, **{f"b_{k}": v for k, v in values.items()}})
    for columns, params in groups.items():
        conn.execute(posts_t.update().where(posts_t.c.id == sa.bindparam("b_id"))
                     .values({c: sa.bindparam(f"b_{c}") for c in columns}), params)


# -- posts arriving after a `forget` ---------------------------------------------------

_MENTION = {
    "x": re.compile(r"(?<![\w@])@(\w{1,15})(?!\w)"),
    "mastodon": re.compile(r"(?<![\w@])@(\w[\w.-]*(?:@[\w-]+(?:\.[\w-]+)+)?)"),
    "bluesky": re.compile(r"(?<![\w@])@([\w-]+(?:\.[\w-]+)+)"),
}


def _reference_forgotten(forgotten: frozenset[str], platform: str, reference: str | None
                         ) -> bool:
    """Whether a Mastodon or Bluesky post URI spells a forgotten account: its key (a DID,
    an account URL) or, for Mastodon, its handle (`https://host/users/name/...` is
    `@name@host`). An X id spells nobody."""
    if not reference:
        return False
    if platform == "bluesky" and reference.startswith("at://"):
        return is_forgotten(forgotten, platform, key=reference[5:].split("/", 1)[0])
    if platform == "mastodon" and "/statuses/" in reference:
        key = reference.split("/statuses/", 1)[0]
        host, _, user = key.partition("://")[2].partition("/users/")
        handle = f"@{user}@{host}" if host and user and "/" not in user else None
        return is_forgotten(forgotten, platform, key=key, handle=handle)
    return False


def _forgotten_mentions(post: PostRecord, gone: set[str], forgotten: frozenset[str]
                        ) -> list[str]:
    """The @-mentions in a post's text that spell a forgotten account: by digest, or (a
    Mastodon server's own user, `@lib`) the user part of a forgotten `mentions` entry."""
    pattern = _MENTION.get(post.platform)
    if pattern is None:
        return []
    local = {g.lstrip("@").split("@")[0] for g in gone} if post.platform == "mastodon" else set()
    return [match.group(0) for match in pattern.finditer(post.text or "")
            if match.group(1).lower() in local
            or is_forgotten(forgotten, post.platform,
                            handle=normalise_handle(post.platform, match.group(1)))]


def _mentions_of(spellings: Iterable[str]) -> re.Pattern[str]:
    """@-mentions spelt one of these ways, in any case, as whole mentions: not inside a
    longer handle (`@gone22`, `@gone.bsky.social` for `@gone`) or an email address."""
    alternatives = "|".join(re.escape(s) for s in sorted(set(spellings), key=len, reverse=True))
    return re.compile(rf"(?<![\w@])(?:{alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)


def redact_incoming(post: PostRecord, forgotten: frozenset[str],
                    left_out: Container[tuple[str, str]] = ()) -> bool:
    """Make a post about to be stored name no forgotten account, as `forget` made the
    stored ones (see REFERENCE_MARK); True when it changed anything.

    Only digests are kept, so each @-mention, `mentions` entry and reference is tested
    against them: a display name cannot be (it is not kept, not even as a digest).
    `left_out` holds (platform, id) of forgotten accounts' posts the caller dropped, so a
    quote of one (an X id spells nobody) loses its reference too. For `PostWriter`, on
    every post it keeps, so that importing an archive again, or a new post mentioning the
    account, does not bring it back.
    """
    if not forgotten:
        return False
    platform = post.platform
    gone = {m for m in post.mentions if is_forgotten(forgotten, platform, handle=m)}
    spelt = _forgotten_mentions(post, gone, forgotten)
    references = [c for c in ("referenced_id", "conversation_id")
                  if (value := getattr(post, c)) and ((platform, value) in left_out
                                                      or _reference_forgotten(forgotten,
                                                                              platform, value))]
    if not (gone or spelt or references):
        return False
    if spelt:
        post.text = _mentions_of(spelt).sub(REDACTED, post.text)
    post.mentions = tuple(m for m in post.mentions if m not in gone)
    for column in references:
        setattr(post, column, reference_mark(platform, getattr(post, column)))
    post.raw = post.raw_z = None  # someone else's verbatim record, naming the account
    return True


def _count(conn: Connection, table: sa.Table, where: Any) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(where))
               .scalar() or 0)


def _forms(values: Iterable[str]) -> set[str]:
    """The lower-case forms an identity takes in a payload: as given, without '@', and a
    Mastodon handle's user part."""
    return {form.lower() for value in values
            for form in (value, value.lstrip("@"), value.lstrip("@").split("@")[0])
            if len(form) >= 2}


def _embeds(raw: str, forms: Iterable[str], names: Iterable[str] = ()) -> bool:
    """Whether a JSON payload holds one of the account's identities (`_forms`): as a whole
    string, or (a form long enough to identify) as a word of a longer one, such as a
    profile URL or a mention in the text; or one of its display `names`."""
    lowered = raw.lower()
    for form in forms:
        if f'"{form}"' in lowered:
            return True
        if len(form) >= payloads.NAMING_MIN and re.search(
                rf"(?<![\w.-]){re.escape(form)}(?![\w-])", lowered):
            return True
    return any(" ".join(name.lower().split()) in " ".join(lowered.split()) for name in names)


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


def config_mentions(settings: Settings, who: _Identity) -> list[str]:
    """Where campaign.toml still names the account (forget cannot edit the file): by any
    of its handles (the one given, the one it has now, one it had before a rename, the
    other end of a Mastodon move) or by its key (a DID, a Mastodon actor address)."""
    handles, keys = set(who.handles), set(who.keys)

    def names(ref: str) -> bool:
        try:
            platform, named, by_key = account_ref_names(ref)
        except ValueError:
            return False
        return platform == who.platform and bool(named & handles or (named | by_key) & keys)

    places = []
    for index, org in enumerate(settings.organisations):
        if any(names(ref) for ref in org.accounts):
            places.append(f"organisations[{index}].accounts ({org.code})")
    if any(names(ref) for ref in settings.leaderboard.exclude_accounts):
        places.append("leaderboard.exclude_accounts")
    return places


def forgotten_in_config(settings: Settings, digests: frozenset[str]) -> list[str]:
    """Where campaign.toml names an account on the forgotten list, by handle or key.

    `forget` says so once, and cannot edit the file; `init --from` then carried last
    year's mappings and opt-outs, the erased person's handle with them, into the new
    year's file, which `config check` called valid."""
    def forgotten(ref: str) -> bool:
        try:
            platform, handles, keys = account_ref_names(ref)
        except ValueError:
            return False
        return any(is_forgotten(digests, platform, handle=h) for h in handles) or any(
            is_forgotten(digests, platform, key=k) for k in keys | handles)

    if not digests:
        return []
    places = [f"organisations[{index}].accounts[{n}] ({org.code})"
              for index, org in enumerate(settings.organisations)
              for n, ref in enumerate(org.accounts) if forgotten(ref)]
    return places + [f"leaderboard.exclude_accounts[{n}]"
                     for n, ref in enumerate(settings.leaderboard.exclude_accounts)
                     if forgotten(ref)]


def reports_written_before(settings: Settings, report: ForgetReport) -> list[str]:
    """The campaign's report folder, when it holds files and the account had posts there.

    `forget` said "Forgot x:@someone" while report/posts.csv, the workbook, the HTML and the
    organisation pages written the day before still held the person's handle and posts: the
    folder a coordinator shares on SharePoint. The files are not edited (a PDF or workbook
    cannot be, and the copies already sent are beyond reach): the coordinator is told to
    write the report again.
    """
    if not (report.posts or report.reposts or report.others_posts_redacted):
        return []
    folder = settings.resolve(settings.reports.out_dir)
    try:
        written = folder.is_dir() and any(path.is_file() for path in folder.rglob("*"))
    except OSError:
        return []
    return [str(folder)] if written else []

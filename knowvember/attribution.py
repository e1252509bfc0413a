"""Attributing accounts to organisations.

The order, each recorded in `accounts.attribution`:

1. `config`: the account is listed under `[[organisations]] accounts` in campaign.toml;
2. `manual`: a coordinator ran `orgs assign` (or `unassigned`: a coordinator ran
   `orgs unassign`, meaning "this account belongs to no organisation; do not guess");
3. `auto`: the account's display name, bio and handle matched one organisation confidently
   (`attribution_confidence` says how surely).

Anything else stays unattributed (`attribution` NULL) and waits in `orgs unmatched` with
suggestions. Reports join posts to organisations through the account at report time, so a
changed attribution changes every report, past posts included.

Automatic matching stores what it read (`attribution_input`, with a fingerprint of the
catalogue and the rules), so a profile that has not changed is not matched again; changing
campaign.toml or upgrading the rules matches everything once more.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from knowvember.errors import ConflictError, InputError, NotFoundError
from knowvember.models import Account, Post
from knowvember.organisations import Candidate, Catalogue, account_text, sync_organisations
from knowvember.records import account_ref_keys, account_ref_names, parse_account_ref

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from knowvember.config import Settings
    from knowvember.db import Database

log = logging.getLogger(__name__)

Window = tuple[dt.datetime, dt.datetime]  # the first instant, the first one after (UTC)

CONFIG = "config"
MANUAL = "manual"
UNASSIGNED = "unassigned"  # a coordinator said "no organisation": automatic matching stays off
AUTO = "auto"
KEPT = frozenset({MANUAL, UNASSIGNED})

BATCH = 1000
IN_CHUNK = 900

accounts_t = Account.__table__
posts_t = Post.__table__


@dataclass
class AttributionSummary:
    checked: int = 0  # accounts looked at
    by_config: int = 0  # attributed by a campaign.toml mapping
    auto: int = 0  # attributed by an automatic match
    queued: int = 0  # no organisation: waiting in `orgs unmatched`
    manual: int = 0  # left as a coordinator set them (assigned or unassigned)
    unchanged: int = 0  # profile unchanged since its last match: not matched again
    updated: int = 0  # rows whose attribution changed


@dataclass(frozen=True)
class AccountRef:
    """One account as coordinators name it (`platform:handle`) and how it is attributed."""

    id: int
    platform: str
    handle: str
    display_name: str | None
    bio: str | None
    organisation_code: str | None
    attribution: str | None
    attribution_confidence: float | None
    former_handles: tuple[str, ...] = ()  # before it was renamed, oldest first
    key: str = ""  # the platform's identity (an X id, a Mastodon actor, a Bluesky DID)

    @property
    def ref(self) -> str:
        return f"{self.platform}:{self.handle}"


@dataclass
class UnmatchedAccount:
    account: AccountRef
    posts: int
    suggestions: list[Candidate] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        a = self.account
        return {
            "account": a.ref, "platform": a.platform, "handle": a.handle,
            "display_name": a.display_name, "bio": a.bio, "posts": self.posts,
            "attribution": a.attribution,
            "suggestions": [c.to_json() for c in self.suggestions],
        }


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_COLUMNS = (
    accounts_t.c.id, accounts_t.c.platform, accounts_t.c.handle, accounts_t.c.display_name,
    accounts_t.c.bio, accounts_t.c.organisation_code, accounts_t.c.attribution,
    accounts_t.c.attribution_confidence, accounts_t.c.attribution_input, accounts_t.c.key,
    accounts_t.c.former_handles,
)


def _batches(conn: Connection, account_ids: Iterable[int] | None) -> Iterator[list[Any]]:
    """Account rows in batches: all of them by id (keyset), or the ones asked for."""
    if account_ids is not None:
        ids = sorted({int(i) for i in account_ids})
        for chunk in _chunks(ids):
            yield list(conn.execute(sa.select(*_COLUMNS).where(accounts_t.c.id.in_(chunk))))
        return
    last = 0
    while True:
        rows = list(conn.execute(
            sa.select(*_COLUMNS).where(accounts_t.c.id > last)
            .order_by(accounts_t.c.id).limit(BATCH)
        ))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _stamp(fingerprint: str, text: str) -> str:
    return f"{fingerprint}\n{text}"


# `attribution_input` of a config mapping: which campaign's campaign.toml made it.
_CONFIG_STAMP = "config:"


def _config_stamp(slug: str) -> str:
    return f"{_CONFIG_STAMP}{slug}"


def _mapped_by_another_campaign(row: Any, slug: str) -> bool:
    """True for a config mapping another campaign's campaign.toml made.

    Several campaigns share one database, each with its own campaign.toml: running
    `orgs attribute` with KNOWvember 2018's file must not undo the accounts KNOWvember
    2025's file maps (their reports changed with whichever file ran last). Only the
    campaign that made a mapping releases it, when its file drops the account. A mapping
    stored before campaigns were recorded is released by any campaign, as before.
    """
    stamp = row.attribution_input or ""
    return (row.attribution == CONFIG and stamp.startswith(_CONFIG_STAMP)
            and stamp[len(_CONFIG_STAMP):] != slug)


def _taken(conn: Connection, catalogue: Catalogue) -> set[tuple[str, str]]:
    """The handles campaign.toml maps that a stored account has now: a mapping naming one
    applies to its holder, never to an account that had the handle before."""
    handles = sorted({handle for _platform, handle in catalogue.accounts})
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(handles):
        found.update((platform, handle) for platform, handle in conn.execute(
            sa.select(accounts_t.c.platform, accounts_t.c.handle)
            .where(accounts_t.c.handle.in_(chunk))))
    return found


def _config_mapping(catalogue: Catalogue, row: Any, taken: set[tuple[str, str]]
                    ) -> tuple[str, str] | None:
    """(code, handle) of the campaign.toml mapping that applies to the account: by its
    handle, by its key (a Bluesky DID, `bluesky:did:plc:...` or a bsky.app address holding
    one; or the actor a Mastodon profile address names), or by a handle it had before (the
    latest first) that no stored account has now. A mapping written before the account was
    renamed (`x:@UHL_Library`, now `@UHL_Knowledge`) was dropped at the rename, and the
    account's posts went to no organisation, or a guessed one; one written as a DID, as a
    profile's share link can give it, or as the address of a Mastodon account whose handle
    is on another domain than its server, applied to nobody, while `config check` said it
    was valid. The handle returned is then the key."""
    code = catalogue.accounts.get((row.platform, row.handle))
    if code is not None:
        return code, row.handle
    key = row.key or ""
    if key and (code := catalogue.accounts.get((row.platform, key))):
        return code, key
    for old in reversed(row.former_handles or ()):
        if (row.platform, old) not in taken and (code := catalogue.accounts.get(
                (row.platform, old))) is not None:
            return code, old
    return None


def _config_code(catalogue: Catalogue, row: Any, taken: set[tuple[str, str]]) -> str | None:
    mapping = _config_mapping(catalogue, row, taken)
    return mapping[0] if mapping else None


def _stale_ids(conn: Connection, catalogue: Catalogue, fingerprint: str, slug: str) -> set[int]:
    """Accounts whose attribution is out of date with this catalogue, beyond a batch's own.

    A collection or import attributes the accounts it added or changed. An account whose
    profile did not change was left as the old catalogue matched it, so a mapping added
    under `[[organisations]] accounts` (or an alias, or a new release's rules) did not apply
    until someone ran `orgs attribute`, and every report kept the old organisation. These
    are the automatic or unattributed accounts matched under another fingerprint, the
    accounts this file maps that do not have its mapping yet, and this campaign's mappings
    that its file dropped.
    """
    prefix = f"{fingerprint}\n"
    stamp = accounts_t.c.attribution_input
    ids = set(conn.execute(sa.select(accounts_t.c.id).where(
        sa.or_(accounts_t.c.attribution.is_(None), accounts_t.c.attribution == AUTO),
        sa.or_(stamp.is_(None), sa.func.substr(stamp, 1, len(prefix)) != prefix),
    )).scalars())
    taken = _taken(conn, catalogue)
    for row in conn.execute(sa.select(*_COLUMNS).where(accounts_t.c.attribution == CONFIG)):
        if (_config_code(catalogue, row, taken) != row.organisation_code
                and not _mapped_by_another_campaign(row, slug)):
            ids.add(row.id)
    handles = sorted({handle for _platform, handle in catalogue.accounts})
    rows = [row for chunk in _chunks(handles) for row in conn.execute(
        sa.select(*_COLUMNS).where(sa.or_(accounts_t.c.handle.in_(chunk),
                                          accounts_t.c.key.in_(chunk))))]
    if catalogue.accounts:  # renamed accounts (few): those a mapping names by an old handle
        rows += conn.execute(sa.select(*_COLUMNS).where(
            accounts_t.c.former_handles.is_not(None))).all()
    for row in rows:
        code = _config_code(catalogue, row, taken)
        if code is not None and (row.attribution != CONFIG or row.organisation_code != code
                                 or row.attribution_input != _config_stamp(slug)):
            ids.add(row.id)
    return ids


def automatic(catalogue: Catalogue, text: str) -> tuple[str | None, float | None]:
    """The organisation an automatic match applies to `text` (None when not confident)."""
    candidates = catalogue.match(text, limit=2) if text.strip() else []
    if candidates and candidates[0].auto:
        return candidates[0].code, candidates[0].confidence
    return None, None


def attribute_accounts(
    db: Database,
    settings: Settings,
    account_ids: Iterable[int] | None = None,
    *,
    catalogue: Catalogue | None = None,
    force: bool = False,
    sync: bool = True,
) -> AttributionSummary:
    """Apply config mappings and confident automatic matches to accounts (None: all).

    Manual assignments (and unassignments) are kept; a config mapping overrides them. With
    `force`, profiles are matched again even if unchanged. The organisations table is
    brought up to date first (`sync`), so reports can join every code attributed here.
    """
    catalogue = catalogue or Catalogue.load(settings)
    if sync:
        sync_organisations(db, catalogue)
    fingerprint = catalogue.fingerprint()
    summary = AttributionSummary()
    with db.begin() as conn:
        if account_ids is not None:
            account_ids = {int(i) for i in account_ids} | _stale_ids(
                conn, catalogue, fingerprint, settings.campaign.slug)
        taken = _taken(conn, catalogue)
        for rows in _batches(conn, account_ids):
            updates = []
            for row in rows:
                summary.checked += 1
                new = _decide(row, catalogue, fingerprint, force, summary,
                              settings.campaign.slug, taken)
                if new is None:
                    continue
                if (new["organisation_code"], new["attribution"],
                        new["attribution_confidence"]) != (
                        row.organisation_code, row.attribution, row.attribution_confidence):
                    summary.updated += 1
                elif new["attribution_input"] == row.attribution_input:
                    continue
                updates.append({"b_id": row.id, **new})
            if updates:
                conn.execute(
                    accounts_t.update().where(accounts_t.c.id == sa.bindparam("b_id")).values(
                        organisation_code=sa.bindparam("organisation_code"),
                        attribution=sa.bindparam("attribution"),
                        attribution_confidence=sa.bindparam("attribution_confidence"),
                        attribution_input=sa.bindparam("attribution_input"),
                    ),
                    updates,
                )
    log.debug("attribution: %s", summary)
    return summary


def _decide(
    row: Any, catalogue: Catalogue, fingerprint: str, force: bool, summary: AttributionSummary,
    slug: str, taken: set[tuple[str, str]],
) -> dict[str, Any] | None:
    """The new attribution values for one account row (None: leave it as it is)."""
    mapped = _config_code(catalogue, row, taken)
    if mapped is not None:
        summary.by_config += 1
        return {"organisation_code": mapped, "attribution": CONFIG,
                "attribution_confidence": 1.0, "attribution_input": _config_stamp(slug)}
    if _mapped_by_another_campaign(row, slug):
        summary.by_config += 1
        return None
    if row.attribution in KEPT:
        summary.manual += 1
        return None
    text = account_text(row.display_name, row.bio, row.handle)
    stamp = _stamp(fingerprint, text)
    if not force and row.attribution != CONFIG and row.attribution_input == stamp:
        summary.unchanged += 1
        if row.organisation_code:
            summary.auto += 1
        else:
            summary.queued += 1
        return None
    code, confidence = automatic(catalogue, text)
    if code:
        summary.auto += 1
    else:
        summary.queued += 1
    return {"organisation_code": code, "attribution": AUTO if code else None,
            "attribution_confidence": confidence, "attribution_input": stamp}


# -- coordinators' commands -----------------------------------------------------------------


def _parse(ref: str) -> tuple[str, str]:
    try:
        return parse_account_ref(ref)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def find_account(db: Database, ref: str) -> AccountRef:
    """The account named `platform:handle` (the most recently seen, if a handle moved), or
    by its key: a Bluesky DID (`bluesky:did:plc:...`, as a share link gives it) or the
    actor a Mastodon profile address names, as opt-outs are read (`account_ref_names`);
    `orgs assign bluesky:did:plc:...` said there was no such account."""
    platform, handle = _parse(ref)
    keys = sorted(account_ref_keys(ref))
    with db.begin() as conn:
        row = conn.execute(
            sa.select(*_COLUMNS).where(accounts_t.c.platform == platform,
                                       sa.or_(accounts_t.c.handle == handle,
                                              accounts_t.c.key.in_(keys)))
            # The one whose profile most recently showed the handle (an old archive's
            # account stored late is not the one a handle passed on to).
            .order_by(sa.nulls_last(accounts_t.c.profile_at.desc()),
                      accounts_t.c.last_seen.desc(), accounts_t.c.id.desc()).limit(1)
        ).first()
        if row is None:  # a handle it had before it was renamed
            row = next((r for r in conn.execute(
                sa.select(*_COLUMNS).where(accounts_t.c.platform == platform,
                                           accounts_t.c.former_handles.is_not(None))
                .order_by(sa.nulls_last(accounts_t.c.profile_at.desc()),
                          accounts_t.c.id.desc()))
                if handle in (r.former_handles or ())), None)
    if row is None:
        raise NotFoundError(
            f"no account {platform}:{handle} in the database (accounts are added when they "
            "post; write it as platform:handle, e.g. x:@UHLLibraries, "
            "mastodon:@lib@nhs.social, bluesky:lib.bsky.social)"
        )
    return _ref(row)


def _ref(row: Any) -> AccountRef:
    return AccountRef(
        id=row.id, platform=row.platform, handle=row.handle, display_name=row.display_name,
        bio=row.bio, organisation_code=row.organisation_code, attribution=row.attribution,
        attribution_confidence=row.attribution_confidence,
        former_handles=tuple(row.former_handles or ()), key=row.key,
    )


def _refuse_config_mapped(db: Database, catalogue: Catalogue, account: AccountRef,
                          action: str) -> None:
    with db.begin() as conn:
        mapping = _config_mapping(catalogue, account, _taken(conn, catalogue))
    if mapping is not None:
        mapped, handle = mapping
        by_key = "its DID" if handle.startswith("did:") else "its profile address"
        named = account.ref if handle == account.handle else (
            f"{account.ref} (by {by_key}, {account.platform}:{handle})" if handle == account.key
            else f"{account.ref} (by the handle it had before, {account.platform}:{handle})")
        raise ConflictError(
            f"{named} is mapped to {mapped} in campaign.toml ([[organisations]] "
            f"accounts), which comes before a coordinator's choice; to {action} it, change "
            "the mapping there"
        )


def _write(db: Database, account_id: int, **values: Any) -> None:
    with db.begin() as conn:
        conn.execute(accounts_t.update().where(accounts_t.c.id == account_id).values(**values))


def assign_account(db: Database, catalogue: Catalogue, ref: str, code: str) -> AccountRef:
    """`orgs assign`: attribute an account to an organisation by hand (kept from then on)."""
    org = catalogue.get(code)
    if org is None:
        # G6V2S, North London NHS FT, is the successor ODS names for two trusts but is not
        # in the catalogue: "no organisation with code" sent people looking for a typo.
        missing = catalogue.missing_successor(code)
        raise NotFoundError(
            f"{missing}, then assign the account to it" if missing else
            f"no organisation with code {code.strip()!r} (see `knowvember orgs list`, "
            "`orgs match \"NAME\"`, or add it under [[organisations]] in campaign.toml)"
        )
    account = find_account(db, ref)
    _refuse_config_mapped(db, catalogue, account, "reassign")
    if account.organisation_code and account.organisation_code != org.code:
        _warn_other_campaigns(db, account, org.code)
    _write(db, account.id, organisation_code=org.code, attribution=MANUAL,
           attribution_confidence=1.0)
    return find_account(db, ref)


def _warn_other_campaigns(db: Database, account: AccountRef, code: str) -> None:
    """Say so when an account moved to another organisation has posts in other campaigns:
    an account has one organisation for every campaign, so last year's report, written
    again, would count them for the new one too (someone who moved trusts in between)."""
    from knowvember.models import Campaign

    campaigns = Campaign.__table__
    with db.begin() as conn:
        rows = conn.execute(
            sa.select(campaigns.c.name, sa.func.count().label("posts"))
            .join(posts_t, posts_t.c.campaign_id == campaigns.c.id)
            .where(posts_t.c.account_id == account.id, campaigns.c.id != db.campaign_id)
            .group_by(campaigns.c.name).order_by(campaigns.c.name)).all()
    if rows:
        log.warning(
            "%s moves from %s to %s in every campaign: its posts in %s count for %s too "
            "when those reports are written again (an account has one organisation)",
            account.ref, account.organisation_code, code,
            ", ".join(f"{r.name} ({r.posts:,})" for r in rows), code)


def unassign_account(
    db: Database, catalogue: Catalogue, ref: str, *, automatic_again: bool = False
) -> AccountRef:
    """`orgs unassign`: take an account's organisation away.

    By default the account is marked `unassigned`: a coordinator decided it belongs to no
    organisation, so automatic matching leaves it alone (a bio that names a trust the person
    has left must not bring it back). With `automatic_again`, the account goes back to
    automatic matching, which runs at once.
    """
    account = find_account(db, ref)
    _refuse_config_mapped(db, catalogue, account, "unassign")
    if automatic_again:
        text = account_text(account.display_name, account.bio, account.handle)
        code, confidence = automatic(catalogue, text)
        _write(db, account.id, organisation_code=code, attribution=AUTO if code else None,
               attribution_confidence=confidence,
               attribution_input=_stamp(catalogue.fingerprint(), text))
    else:
        _write(db, account.id, organisation_code=None, attribution=UNASSIGNED,
               attribution_confidence=None)
    return find_account(db, ref)


def unmatched_accounts(
    db: Database,
    catalogue: Catalogue,
    *,
    limit: int | None = None,
    suggestions: int = 3,
    include_unassigned: bool = False,
    exclude: Iterable[tuple[str, str]] = (),
) -> list[UnmatchedAccount]:
    """Accounts with campaign posts but no organisation, most posts first, with suggestions.

    Accounts a coordinator unassigned are left out unless `include_unassigned`; `exclude`
    holds (platform, handle) pairs that opted out.
    """
    counts = _post_counts(db)
    query = (
        sa.select(*_COLUMNS, counts.c.posts)
        .join(counts, counts.c.account_id == accounts_t.c.id)
        .where(accounts_t.c.organisation_code.is_(None))
        .order_by(counts.c.posts.desc(), accounts_t.c.platform, accounts_t.c.handle)
    )
    if not include_unassigned:
        query = query.where(sa.or_(accounts_t.c.attribution.is_(None),
                                   accounts_t.c.attribution != UNASSIGNED))
    excluded = set(exclude)
    with db.begin() as conn:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        if is_opted_out(excluded, row.platform, row.handle, row.key, row.former_handles):
            continue
        text = account_text(row.display_name, row.bio, row.handle)
        found.append(UnmatchedAccount(_ref(row), int(row.posts),
                                      catalogue.match(text, limit=suggestions)))
        if limit is not None and len(found) >= limit:
            break
    return found


def unassigned_count(db: Database, exclude: Iterable[tuple[str, str]] = ()) -> int:
    """Accounts with campaign posts that a coordinator unassigned (`orgs unassign`).

    `orgs unmatched` leaves them out unless asked (`--all`) and says how many it left out,
    so that "every account has an organisation" is not said while some have none.
    """
    counts = _post_counts(db)
    query = (
        sa.select(accounts_t.c.platform, accounts_t.c.handle, accounts_t.c.key,
                  accounts_t.c.former_handles)
        .join(counts, counts.c.account_id == accounts_t.c.id)
        .where(accounts_t.c.organisation_code.is_(None),
               accounts_t.c.attribution == UNASSIGNED)
    )
    excluded = set(exclude)
    with db.begin() as conn:
        return sum(1 for row in conn.execute(query)
                   if not is_opted_out(excluded, row.platform, row.handle, row.key,
                                       row.former_handles))


def _post_counts(db: Database, window: Window | None = None) -> sa.Subquery:
    """Posts per account in this campaign (one grouped scan of the posts index), only those
    from `window`'s start up to (not including) its end when one is given."""
    query = (
        sa.select(posts_t.c.account_id, sa.func.count().label("posts"))
        .where(posts_t.c.campaign_id == db.campaign_id, posts_t.c.account_id.is_not(None))
    )
    if window is not None:
        start, end = window
        query = query.where(posts_t.c.created_at >= start, posts_t.c.created_at < end)
    return query.group_by(posts_t.c.account_id).subquery("post_counts")


def accounts_of(db: Database, code: str | Sequence[str], *,
                leave_out: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
                window: Window | None = None) -> list[tuple[AccountRef, int]]:
    """The accounts attributed to `code` (or to any of several codes: a trust and those
    that closed into it, `Catalogue.counted_for`), with their campaign posts, most posts
    first; `leave_out` holds (platform, handle) of accounts opted out (see `opted_out`),
    which are named nowhere. `window` (UTC instants, as the reports' `Period.window_utc`
    gives them) counts only the posts a report counts."""
    codes = [code] if isinstance(code, str) else list(code)
    counts = _post_counts(db, window)
    posts = sa.func.coalesce(counts.c.posts, 0).label("posts")
    query = (
        sa.select(*_COLUMNS, posts)
        .outerjoin(counts, counts.c.account_id == accounts_t.c.id)
        .where(accounts_t.c.organisation_code.in_(codes))
        .order_by(posts.desc(), accounts_t.c.platform, accounts_t.c.handle)
    )
    with db.begin() as conn:
        return [(_ref(row), int(row.posts)) for row in conn.execute(query)
                if not is_opted_out(leave_out, row.platform, row.handle, row.key,
                                    row.former_handles)]


def opted_out(settings: Settings) -> set[tuple[str, str]]:
    """(platform, handle) and (platform, key) of `[leaderboard] exclude_accounts`: an
    entry can name an account by handle, by profile address or, on Bluesky, by DID (see
    `is_opted_out`)."""
    found = set()
    for ref in settings.leaderboard.exclude_accounts:
        try:
            platform, handles, keys = account_ref_names(ref)
        except ValueError:
            continue
        found.update((platform, name) for name in handles | keys)
    return found


def is_opted_out(leave_out: set[tuple[str, str]] | frozenset[tuple[str, str]],
                 platform: str, handle: str, key: str, former: Iterable[str] | None = ()
                 ) -> bool:
    """Whether an account is among `opted_out`'s, by its handle (in any case), its key, or
    a handle it had before it was renamed (an opt-out must outlast a rename)."""
    return ((platform, handle.lower()) in leave_out or (platform, key) in leave_out
            or any((platform, old) in leave_out for old in former or ()))


def opted_out_accounts(conn: Connection, refs: Sequence[str]
                       ) -> tuple[set[int], list[tuple[int, str]]]:
    """Ids of the accounts `[leaderboard] exclude_accounts` names, and the entries (by
    position) that name no stored account.

    An entry names accounts by handle (in any case), by profile address or by DID (see
    `account_ref_names`): a DID or an address was taken as a handle no account has, and
    the person who opted out stayed in every published number. A malformed entry raises
    ValueError, naming the entry and saying why."""
    c = accounts_t.c
    ids: set[int] = set()
    unmatched: list[tuple[int, str]] = []
    renamed: dict[str, list[Any]] = {}  # platform -> (id, former handles) of renamed accounts
    for index, ref in enumerate(refs):
        try:
            platform, handles, keys = account_ref_names(ref)
        except ValueError as exc:
            raise ValueError(f"leaderboard.exclude_accounts[{index}]: {exc}") from None
        found = conn.execute(sa.select(c.id).where(
            c.platform == platform,
            sa.or_(sa.func.lower(c.handle).in_(sorted(handles)),
                   c.key.in_(sorted(keys | handles))))).scalars().all()
        if platform not in renamed:
            renamed[platform] = conn.execute(sa.select(c.id, c.former_handles).where(
                c.platform == platform, c.former_handles.is_not(None))).all()
        found = [*found, *(rid for rid, former in renamed[platform]
                           if handles & set(former or ()))]  # an opt-out outlasts a rename
        ids.update(int(i) for i in found)
        if not found:
            unmatched.append((index, ref))
    return ids, unmatched

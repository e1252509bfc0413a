"""Who is who in a report: campaigns, accounts, their organisations, and who opted out.

A post's organisation is its account's `organisation_code`, read through the catalogue as
the campaign saw it: a trust that merged before the campaign reports under its successor
(`current_code`), and under the name it had then (`name_as_of`). Accounts are few (thousands
where posts are millions), so they are resolved here in Python once; posts are then grouped
by the account's index with numpy.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import sqlalchemy as sa

from knowvember.attribution import opted_out_accounts
from knowvember.errors import ConfigError
from knowvember.labels import UNLISTED_LABEL, asks_unlisted
from knowvember.models import Account, Campaign
from knowvember.privacy import forgotten_digests, is_forgotten
from knowvember.records import parse_account_ref
from reports.choices import MAX_COUNT
from reports.period import CampaignRow
from reports.redact import redact_contacts

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection

    from knowvember.config import Settings
    from knowvember.organisations import Organisation

log = logging.getLogger(__name__)

accounts_t = Account.__table__
campaigns_t = Campaign.__table__


class CatalogueLike(Protocol):
    """What reports need from `knowvember.organisations.Catalogue`."""

    def get(self, code: str) -> Organisation | None: ...
    def name_as_of(self, code: str, date: dt.date) -> str: ...
    def current_code(self, code: str, date: dt.date) -> str: ...
    def __iter__(self) -> Iterator[Organisation]: ...


@dataclass(frozen=True)
class OrgInfo:
    """An organisation as a report names it."""

    code: str
    name: str
    region: str | None
    out_of_scope: bool = False
    kind: str = "trust"  # trust | closed | custom | unknown (a code the catalogue lacks)


class Directory:
    """Organisation codes resolved for one campaign date, through the catalogue.

    Codes the catalogue does not know fall back to the config's `[[organisations]]` entry
    of that code, then to the code itself, so a report never drops an attributed account.
    """

    def __init__(self, catalogue: CatalogueLike, date: dt.date,
                 settings: Settings | None = None) -> None:
        self.catalogue = catalogue
        self.date = date
        self._config = {o.code.strip().upper(): o for o in (settings.organisations
                                                             if settings else [])}
        self._cache: dict[str, OrgInfo] = {}

    def resolve(self, code: str | None) -> OrgInfo | None:
        if code is None or not code.strip():
            return None
        key = code.strip().upper()
        if key not in self._cache:
            self._cache[key] = self._lookup(key)
        return self._cache[key]

    def resolved(self) -> dict[str, OrgInfo]:
        """Every code resolved so far (as written, upper-cased) and what it resolved to."""
        return dict(self._cache)

    def _lookup(self, code: str) -> OrgInfo:
        current = (self.catalogue.current_code(code, self.date) or code).strip().upper()
        org = self.catalogue.get(current)
        if org is not None:
            return OrgInfo(code=org.code.upper(), name=self.catalogue.name_as_of(current,
                                                                                 self.date),
                           region=org.region, out_of_scope=bool(org.out_of_scope),
                           kind=org.kind)
        entry = self._config.get(current)
        if entry is not None:
            return OrgInfo(code=current, name=entry.name or current, region=entry.region,
                           out_of_scope=entry.out_of_scope, kind="custom")
        return OrgInfo(code=current, name=self.catalogue.name_as_of(current, self.date)
                       or current, region=None, kind="unknown")

    def trusts(self) -> list[OrgInfo]:
        """The catalogue's NHS trusts open on the campaign date (for "N of M trusts").

        A trust closed since (kind "closed") was open then and counts; one closed before
        does not (its successor does).
        """
        found: dict[str, OrgInfo] = {}
        for org in self.catalogue:
            if org.kind not in ("trust", "closed") or org.out_of_scope:
                continue
            if (org.opened and org.opened > self.date) or (org.closed and org.closed < self.date):
                continue
            info = self.resolve(org.code)
            if info is not None:
                found.setdefault(info.code, info)
        return list(found.values())


@dataclass
class Accounts:
    """The accounts a report can name, column-wise, sorted by id.

    `org[i]` is the index into `orgs` of account i's organisation, or -1 when unattributed.
    """

    ids: np.ndarray
    platform: list[str]
    handle: list[str]
    display_name: list[str | None]
    followers: np.ndarray
    url: list[str | None]
    attribution: list[str | None]
    org: np.ndarray
    orgs: list[OrgInfo]
    # Accounts whose owner asked not to be shown to people who are not signed in (see
    # `unlisted_account_ids`): counted in every number, never named or quoted.
    unlisted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def index_of(self, account_ids: np.ndarray) -> np.ndarray:
        """Account index for each id; `len(self)` for ids not in the table (and -1)."""
        if not len(self):
            return np.full(account_ids.shape, 0, dtype=np.int64)
        pos = np.searchsorted(self.ids, account_ids)
        pos = np.minimum(pos, len(self) - 1)
        return np.where(self.ids[pos] == account_ids, pos, len(self))

    def ref(self, i: int) -> str:
        return f"{self.platform[i]}:{self.handle[i]}"

    def is_unlisted(self, i: int) -> bool:
        return bool(i < len(self.unlisted) and self.unlisted[i])


def unlisted_account_ids(conn: Connection) -> set[int]:
    """Ids of the Bluesky accounts that asked not to be shown publicly (`asks_unlisted`)."""
    c = accounts_t.c
    rows = conn.execute(sa.select(c.id, c.raw).where(
        c.platform == "bluesky", c.raw.contains(UNLISTED_LABEL, autoescape=True))).all()
    return {int(r.id) for r in rows if asks_unlisted(r.raw)}


def load_accounts(conn: Connection, directory: Directory) -> Accounts:
    c = accounts_t.c
    rows = conn.execute(
        sa.select(c.id, c.platform, c.handle, c.display_name, c.followers, c.url,
                  c.attribution, c.organisation_code).order_by(c.id)
    ).all()
    orgs: list[OrgInfo] = []
    org_index: dict[str, int] = {}
    org_of = np.full(len(rows), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        info = directory.resolve(row.organisation_code)
        if info is None:
            continue
        if info.code not in org_index:
            org_index[info.code] = len(orgs)
            orgs.append(info)
        org_of[i] = org_index[info.code]
    unlisted = unlisted_account_ids(conn)
    return Accounts(
        ids=np.array([r.id for r in rows], dtype=np.int64),
        platform=[r.platform for r in rows],
        handle=[r.handle for r in rows],
        # A display name can be an address ("lib@trust.nhs.uk"): no output may show one.
        display_name=[redact_contacts(r.display_name) for r in rows],
        # Capped as post counts are (`reports.choices.MAX_COUNT`): reach adds them up.
        followers=np.clip(np.array([r.followers or 0 for r in rows], dtype=np.int64),
                          0, MAX_COUNT),
        url=[r.url for r in rows],
        attribution=[r.attribution for r in rows],
        org=org_of,
        orgs=orgs,
        unlisted=np.array([r.id in unlisted for r in rows], dtype=bool),
    )


def excluded_account_ids(conn: Connection, settings: Settings, *,
                         warn_unmatched: bool = False) -> set[int]:
    """Ids of the accounts in `[leaderboard] exclude_accounts` (opted out of everything).

    With `warn_unmatched`, an entry that names no stored account is logged: a misspelt
    handle would otherwise leave the person who opted out in every published number.
    """
    refs = settings.leaderboard.exclude_accounts
    if not refs:
        return set()
    try:
        # By handle (in any case, and the handles a renamed account had), profile address or
        # DID: one reading with the collection's and `orgs show`'s, so a person who opted out
        # and then renamed is left out of the reports too.
        found, unmatched = opted_out_accounts(conn, refs)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None  # it names exclude_accounts[i] and says why
    if warn_unmatched and unmatched:
        forgotten = forgotten_digests(conn)
        for _index, ref in unmatched:
            platform, handle = parse_account_ref(ref)  # read once already: cannot fail
            if not is_forgotten(forgotten, platform, handle=handle):
                # (An account erased with `forget` is in no number either: no warning.)
                log.warning("leaderboard.exclude_accounts: %s:%s matches no account in the "
                            "database (yet); check its spelling, or it is not left out",
                            platform, handle)
    return found


def campaign_rows(conn: Connection) -> list[CampaignRow]:
    """Every campaign in the database, oldest first."""
    c = campaigns_t.c
    rows = conn.execute(sa.select(c.id, c.slug, c.name, c.start, c.end, c.timezone)
                        .order_by(c.start, c.id)).all()
    return [CampaignRow(id=r.id, slug=r.slug, name=r.name, start=r.start, end=r.end,
                        timezone=r.timezone) for r in rows]

"""Individual posts in a report: the most engaging ones (every post: `reports.posts_csv`).

Which posts to show is decided on the numpy frame (engagement is there); only the chosen
few are then read in full (text, link, author), by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from knowvember.models import Post
from reports.choices import MAX_COUNT
from reports.dataset import CampaignData, org_of_accounts
from reports.redact import redact_contacts

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

posts_t = Post.__table__

@dataclass(frozen=True)
class PostRow:
    """A post as a report shows it; `created` is local to the campaign's timezone.

    `text` has no email address in it (`reports.redact`): what the report shows, every
    format shows, so it is removed here once.
    """

    id: int
    platform: str
    platform_id: str
    url: str | None
    created: dt.datetime
    text: str
    kind: str
    likes: int
    reposts: int
    replies: int
    quotes: int
    account: str | None
    handle: str | None
    display_name: str | None
    org_code: str | None
    org_name: str | None

    @property
    def engagement(self) -> int:
        """Capped as every count the report adds up is (`reports.choices.MAX_COUNT`)."""
        return min(self.likes + self.reposts + self.replies + self.quotes, MAX_COUNT)


def quotable(data: CampaignData) -> np.ndarray:
    """Per post of the frame: whether a report may show it, which it may not when its
    author asked not to be shown publicly (`reports.scope.asks_unlisted`); such posts are
    still counted."""
    return ~np.append(data.accounts.unlisted, False)[data.acct]


def top_post_ids(data: CampaignData, n: int, mask: np.ndarray | None = None) -> list[int]:
    """Ids of the `n` content posts with most engagement (ties: older id first)."""
    frame = data.frame
    keep = frame.content & quotable(data)
    if mask is not None:
        keep &= mask
    ids, engagement = frame.id[keep], frame.engagement[keep]
    if not len(ids) or n <= 0:
        return []
    if len(ids) > n:  # partial selection first: 1,000,000 posts, top 20
        cut = np.argpartition(-engagement, n - 1)[:n]
        threshold = engagement[cut].min()
        pool = np.flatnonzero(engagement >= threshold)
        ids, engagement = ids[pool], engagement[pool]
    order = np.lexsort((ids, -engagement))[:n]
    return [int(i) for i in ids[order]]


def top_ids_per_org(data: CampaignData, k: int) -> dict[int, list[int]]:
    """The `k` most engaging content posts of every organisation (by org index)."""
    frame = data.frame
    org = org_of_accounts(data)[data.acct]
    keep = frame.content & (org >= 0) & quotable(data)
    org, ids, engagement = org[keep], frame.id[keep], frame.engagement[keep]
    if not len(org):
        return {}
    # One int64 key (organisation, then engagement descending) sorts 4x faster than lexsort;
    # the stable sort keeps the frame's order among equals.
    ceiling = int(engagement.max()) + 1
    order = np.argsort(org * ceiling + (ceiling - 1 - engagement), kind="stable")
    org, ids = org[order], ids[order]
    starts = np.flatnonzero(np.r_[True, org[1:] != org[:-1]]) if len(org) else []
    result: dict[int, list[int]] = {}
    for start in starts:
        group = int(org[start])
        stop = start + k
        chosen = ids[start:stop][org[start:stop] == group]
        result[group] = [int(i) for i in chosen]
    return result


def fetch_posts(conn: Connection, data: CampaignData, ids: list[int]) -> list[PostRow]:
    """The posts with these ids, in the order given."""
    if not ids:
        return []
    c = posts_t.c
    found: dict[int, Any] = {}
    query = sa.select(c.id, c.platform, c.platform_id, c.url, c.uri, c.created_at, c.text,
                      c.kind, c.likes, c.reposts, c.replies, c.quotes, c.account_id).where(
        c.id.in_(sa.bindparam("ids", expanding=True)))
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 900):
        for row in conn.execute(query, {"ids": unique[start:start + 900]}):
            found[row.id] = row
    accounts = data.accounts
    tz = data.period.tz
    present = [found[pid] for pid in ids if pid in found]
    index = accounts.index_of(np.array([r.account_id if r.account_id is not None else -1
                                        for r in present], dtype=np.int64))
    rows = []
    for row, i in zip(present, index.tolist(), strict=True):
        known = i < len(accounts)
        o = int(accounts.org[i]) if known else -1
        org = accounts.orgs[o] if o >= 0 else None
        rows.append(PostRow(
            id=row.id, platform=row.platform, platform_id=row.platform_id,
            url=row.url or (row.uri if (row.uri or "").startswith("http") else None),
            created=row.created_at.astimezone(tz).replace(tzinfo=None),
            text=redact_contacts(row.text) or "",
            kind=row.kind, likes=row.likes, reposts=row.reposts, replies=row.replies,
            quotes=row.quotes,
            account=accounts.ref(i) if known else None,
            handle=accounts.handle[i] if known else None,
            display_name=accounts.display_name[i] if known else None,
            org_code=org.code if org else None, org_name=org.name if org else None,
        ))
    return rows

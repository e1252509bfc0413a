"""Everything a summary, leaderboard or report counts, read from the database once.

`load_campaign_data` reads the period's posts as numpy columns (see `reports.frame`), the
accounts and their organisations, the technique tags of those posts, and the stories. Every
metric is then computed from this one object, which is what keeps the numbers the same in
the summary, the leaderboards, the report and the per-organisation pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from knowvember.models import Post, PostTechnique, Story, StoryTechnique
from reports.frame import PostFrame, frame_positions, load_frame, rows_to_array
from reports.period import CampaignRow, Period, make_period
from reports.redact import publishable_links, redact_contacts
from reports.scope import (
    Accounts,
    CatalogueLike,
    Directory,
    OrgInfo,
    campaign_rows,
    excluded_account_ids,
    load_accounts,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.techniques import Taxonomy

log = logging.getLogger(__name__)

post_techniques_t = PostTechnique.__table__
posts_t = Post.__table__
stories_t = Story.__table__
story_techniques_t = StoryTechnique.__table__

APPROVED = "approved"
# (connection, campaign, period, organisations, opted-out account ids)
AccountsRead = Callable[["Connection", CampaignRow, Period, Directory, set[int]], None]
PHASES = ("before", "during", "after")


@dataclass(frozen=True)
class StoryRow:
    """A story as reports may use it: never the submitter's email (it is not even read), and
    no address typed into its texts or links either (`reports.redact`)."""

    id: int
    title: str
    body: str
    outcome: str | None
    org: OrgInfo | None
    organisation_text: str | None
    name: str | None
    role: str | None
    links: tuple[str, ...]
    consent: bool
    status: str
    submitted_at: dt.datetime
    techniques: tuple[str, ...]

    @property
    def approved(self) -> bool:
        return self.status == APPROVED

    @property
    def published(self) -> bool:
        """Approved and consented: the only stories whose content may be shown."""
        return self.status == APPROVED and bool(self.consent)


@dataclass(frozen=True)
class PreviousCampaign:
    """The campaign before this one, for "first-time organisations"."""

    campaign: CampaignRow
    org_codes: frozenset[str]


@dataclass
class CampaignData:
    """One campaign's period, ready to count.

    `acct[i]` is the account index of post i (`len(accounts)` when it has no known account);
    `tech_post` / `tech_code` pair a content post's frame index with a technique index into
    `technique_names` (reposts carry the text they repeat, so they never count as mentions).
    """

    settings: Settings
    campaign: CampaignRow
    period: Period
    directory: Directory
    taxonomy: Taxonomy
    accounts: Accounts
    frame: PostFrame
    acct: np.ndarray
    tech_post: np.ndarray
    tech_code: np.ndarray
    technique_names: list[str]
    stories: list[StoryRow]
    excluded_accounts: int = 0
    previous: PreviousCampaign | None = None
    earlier: list[CampaignRow] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def n_accounts(self) -> int:
        return len(self.accounts)

    def restrict(self, account_mask: np.ndarray, story_keep: list[bool],
                 filters: dict[str, str]) -> CampaignData:
        """The same data narrowed to some accounts (posts) and stories, e.g. one region.

        `account_mask` has one entry per account plus one for posts without an account.
        """
        keep = account_mask[self.acct]
        index = np.cumsum(keep) - 1  # old frame index -> new frame index
        tech_keep = keep[self.tech_post]
        return replace(
            self,
            frame=self.frame.take(keep),
            acct=self.acct[keep],
            tech_post=index[self.tech_post[tech_keep]],
            tech_code=self.tech_code[tech_keep],
            stories=[s for s, k in zip(self.stories, story_keep, strict=True) if k],
            filters={**self.filters, **filters},
        )

    def phases_of(self, technique: str) -> tuple[str, ...]:
        found = self.taxonomy.get(technique)
        return tuple(found.phases) if found else ()


def load_campaign_data(
    db: Database,
    settings: Settings,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    catalogue: CatalogueLike | None = None,
    taxonomy: Taxonomy | None = None,
    campaign_id: int | None = None,
    compare: bool = True,
    accounts_read: AccountsRead | None = None,
) -> CampaignData:
    """Read the config's campaign (or `campaign_id`) for a period: the input to every metric.

    `compare` also reads which organisations took part in the previous campaign (for
    "first-time organisations"); year-over-year rows of earlier campaigns skip it.
    `accounts_read` is called once the accounts are read, before the posts, so work that
    needs only the period and the organisations (the report's posts.csv) can start early.
    """
    if catalogue is None:
        from knowvember.organisations import Catalogue

        catalogue = Catalogue.load(settings)
    if taxonomy is None:
        from knowvember.techniques import Taxonomy

        taxonomy = Taxonomy.load(settings)
    campaign_id = db.campaign_id if campaign_id is None else campaign_id
    with db.begin() as conn:
        campaigns = campaign_rows(conn)
        campaign = next(c for c in campaigns if c.id == campaign_id)
        if campaign.id == db.campaign_id:  # the config is the word on its own campaign
            c = settings.campaign
            campaign = CampaignRow(id=campaign.id, slug=c.slug, name=c.name, start=c.start,
                                   end=c.end, timezone=c.timezone)
        period = make_period(campaign, since, until)
        directory = Directory(catalogue, campaign.start, settings)
        excluded = excluded_account_ids(conn, settings, warn_unmatched=True)
        accounts = load_accounts(conn, directory)
        if accounts_read is not None:
            accounts_read(conn, campaign, period, directory, excluded)
        frame = load_frame(conn, campaign.id, period, excluded)
        if not len(frame) and campaign.id == db.campaign_id:
            note = stored_elsewhere(conn, campaign, campaigns, settings)
            if note:
                log.warning(note)
        acct = accounts.index_of(frame.account)
        tech_post, tech_code, names = _load_techniques(conn, frame)
        stories = _load_stories(conn, campaign.id, period, directory)
        earlier = [c for c in campaigns if c.start < campaign.start and c.id != campaign.id
                   and _holds_anything(conn, c)]
        previous = None
        if earlier and compare:
            prev = earlier[-1]
            prev_frame = load_frame(conn, prev.id, make_period(prev), excluded)
            prev_acct = accounts.index_of(np.unique(prev_frame.account))
            codes = {accounts.orgs[o].code for o in
                     accounts.org[prev_acct[prev_acct < len(accounts)]] if o >= 0}
            prev_stories = _load_stories(conn, prev.id, make_period(prev), directory)
            codes.update(s.org.code for s in prev_stories if s.approved and s.org)
            previous = PreviousCampaign(prev, frozenset(codes))
    log.debug("loaded %d posts, %d accounts, %d tags, %d stories", len(frame), len(accounts),
              len(tech_post), len(stories))
    return CampaignData(
        settings=settings, campaign=campaign, period=period, directory=directory,
        taxonomy=taxonomy, accounts=accounts, frame=frame, acct=acct, tech_post=tech_post,
        tech_code=tech_code, technique_names=names, stories=stories,
        excluded_accounts=len(excluded), previous=previous, earlier=earlier,
    )


def _holds_anything(conn: Connection, campaign: CampaignRow) -> bool:
    """Whether a campaign has a post or a story stored.

    Running any command with another year's campaign.toml (a `config check`, a summary with
    a mistyped slug) records that campaign: with nothing stored it is no earlier campaign
    to compare with, or every organisation would be taking part "for the first time" and
    the year-on-year table would hold a year of zeros.
    """
    p, s = posts_t.c, stories_t.c
    return any(conn.execute(sa.select(column).where(owner == campaign.id).limit(1)).first()
               for column, owner in ((p.id, p.campaign_id), (s.id, s.campaign_id)))


def stored_elsewhere(conn: Connection, campaign: CampaignRow, campaigns: list[CampaignRow],
                     settings: Settings) -> str | None:
    """What to tell someone whose campaign has nothing stored while other campaigns do.

    A report of zeros is right on 1 November, but it is also what last year's database (or a
    campaign.toml copied without changing `[campaign] slug`) gives, and a coordinator must
    not publish that by mistake. Only looked at when the period has no posts at all.
    """
    if _holds_anything(conn, campaign):
        return None  # something of its own is stored: only this period is empty
    p = posts_t.c
    counts = dict(conn.execute(sa.select(p.campaign_id, sa.func.count()).where(
        p.campaign_id != campaign.id).group_by(p.campaign_id)).all())
    others = [f"{c.slug} (\"{c.name}\", {c.start} to {c.end}: {counts[c.id]:,} "
              f"post{'s' if counts[c.id] != 1 else ''} stored)"
              for c in campaigns if counts.get(c.id)]
    if not others:
        return None
    where = f" in {settings.path}" if settings.path else ""
    return (f"no posts or stories of {campaign.slug} (\"{campaign.name}\", the campaign{where}) "
            f"are in this database yet; it holds {'; '.join(others)}. If you meant that "
            "campaign, run with its campaign.toml (--config); if this is an earlier year's "
            "database, set [database] url to this year's. Otherwise collect or import this "
            "campaign's posts first.")


def _load_techniques(conn: Connection, frame: PostFrame
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(frame index, technique index) for each technique tag on a content post of the frame."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(frame):
        return empty, empty, []
    pt = post_techniques_t.c
    lo, hi = int(frame.id.min()), int(frame.id.max())
    in_range = [pt.post_id >= lo, pt.post_id <= hi]
    # Every name ever tagged (the technique index answers this at once); names of other
    # campaigns simply count nothing here.
    names = sorted(r[0] for r in conn.execute(sa.select(pt.technique).distinct()))
    if not names:
        return empty, empty, []
    if conn.dialect.name == "sqlite":
        # One range of the name index per technique: it holds (technique, post id), so no
        # row is read and no name compared (a third of the time of one pass with CASE).
        query = sa.select(sa.func.group_concat(pt.post_id)).where(
            pt.technique == sa.bindparam("name"), *in_range)
        id_parts, code_parts = [], []
        for i, name in enumerate(names):
            ids = np.fromstring(conn.execute(query, {"name": name}).scalar() or "", sep=",",
                                dtype=np.int64)
            id_parts.append(ids)
            code_parts.append(np.full(len(ids), i, dtype=np.int64))
        post_ids, codes = np.concatenate(id_parts), np.concatenate(code_parts)
    else:
        code = sa.case({name: i for i, name in enumerate(names)}, value=pt.technique,
                       else_=-1)
        pairs = rows_to_array(conn.execute(sa.select(pt.post_id, code).where(*in_range)).all(),
                              2)
        post_ids, codes = pairs[:, 0], pairs[:, 1]
    index = frame_positions(frame.id, post_ids)
    found = index >= 0
    index, codes = index[found], codes[found]
    content = frame.content[index]
    return index[content], codes[content], names


def _load_stories(conn: Connection, campaign_id: int, period: Period,
                  directory: Directory) -> list[StoryRow]:
    """The campaign's stories; cut off by date only where --since / --until asked for it."""
    s = stories_t.c
    query = sa.select(s.id, s.title, s.body, s.outcome, s.organisation_code,
                      s.organisation_text, s.name, s.role, s.links, s.consent, s.status,
                      s.submitted_at).where(s.campaign_id == campaign_id).order_by(
                          s.submitted_at, s.id)
    start, end = period.window_utc()
    if period.since_given:
        query = query.where(s.submitted_at >= start)
    if period.until_given:
        query = query.where(s.submitted_at < end)
    rows = conn.execute(query).all()
    techniques: dict[int, list[str]] = {}
    if rows:
        st = story_techniques_t.c
        ids = [r.id for r in rows]
        for chunk in range(0, len(ids), 900):
            for sid, name in conn.execute(sa.select(st.story_id, st.technique).where(
                    st.story_id.in_(ids[chunk:chunk + 900])).order_by(st.story_id,
                                                                      st.technique)):
                techniques.setdefault(sid, []).append(name)
    return [
        StoryRow(
            # Every text a report may show, without an email address or phone number, once
            # here, so no format (or a new one) can forget it.
            id=r.id, title=redact_contacts(r.title) or "", body=redact_contacts(r.body) or "",
            outcome=redact_contacts(r.outcome), org=directory.resolve(r.organisation_code),
            organisation_text=redact_contacts(r.organisation_text),
            name=redact_contacts(r.name), role=redact_contacts(r.role),
            links=publishable_links(r.links),
            consent=bool(r.consent), status=r.status, submitted_at=r.submitted_at,
            techniques=tuple(techniques.get(r.id, ())),
        )
        for r in rows
    ]


# -- grouping -------------------------------------------------------------------------


@dataclass
class GroupStats:
    """Metrics of groups of accounts (organisations, regions, contributors), one per group.

    Posts count every kind; `engagement` sums content posts only (a repost carries the
    original's counts, which would otherwise be counted twice); `activity` and
    `repost_activity` are the diminishing-returns terms of the leaderboard score.
    """

    posts: np.ndarray
    original: np.ndarray
    replies: np.ndarray
    reposts: np.ndarray
    quotes: np.ndarray
    contributors: np.ndarray
    engagement: np.ndarray
    reach: np.ndarray
    activity: np.ndarray
    repost_activity: np.ndarray
    techniques: np.ndarray
    stories: np.ndarray
    stories_submitted: np.ndarray

    def row(self, g: int) -> dict[str, Any]:
        return {
            "posts": int(self.posts[g]),
            "original_posts": int(self.original[g]),
            "replies": int(self.replies[g]),
            "reposts": int(self.reposts[g]),
            "quotes": int(self.quotes[g]),
            "contributors": int(self.contributors[g]),
            "engagement": int(self.engagement[g]),
            "potential_reach": int(self.reach[g]),
            "techniques": int(self.techniques[g]),
            "stories": int(self.stories[g]),
        }


@dataclass
class AccountStats:
    """Per account (plus one slot for posts without an account): counts by kind etc."""

    kinds: np.ndarray  # (n + 1, 4): original, reply, repost, quote
    engagement: np.ndarray  # content posts only
    pairs: np.ndarray  # unique (account index, technique index) rows

    @property
    def posts(self) -> np.ndarray:
        return self.kinds.sum(axis=1)

    @property
    def active(self) -> np.ndarray:
        """Accounts that posted in the period (the last slot, no account, never counts)."""
        active = self.posts > 0
        active[-1] = False
        return active


def distinct(keys: np.ndarray, bound: int) -> np.ndarray:
    """The distinct values of `keys`, sorted, as `np.unique` gives them; every key is an
    integer in [0, bound). When that range is not much larger than the keys, marking each
    value seen is one pass (900,000 account-technique pairs: 0.004 s, where np.unique's
    hashing and sorting took 0.5 s, and a report asks for eight of them)."""
    if bound <= max(4 * len(keys), 1 << 20):
        return np.flatnonzero(np.bincount(keys, minlength=bound)).astype(np.int64)
    return np.unique(keys)


def account_stats(data: CampaignData) -> AccountStats:
    n = data.n_accounts + 1
    frame = data.frame
    kinds = np.bincount(data.acct * 4 + frame.kind, minlength=n * 4).reshape(n, 4)
    engagement = np.bincount(data.acct, weights=frame.engagement * frame.content,
                             minlength=n).astype(np.int64)
    t = max(len(data.technique_names), 1)
    pair_keys = distinct(data.acct[data.tech_post] * t + data.tech_code, n * t)
    pairs = np.stack([pair_keys // t, pair_keys % t], axis=1)
    return AccountStats(kinds=kinds, engagement=engagement, pairs=pairs)


def group_stats(data: CampaignData, stats: AccountStats, group_of_account: np.ndarray,
                n_groups: int, group_of_story: list[int] | None = None) -> GroupStats:
    """Sum account metrics into groups; `group_of_account` has -1 for "in no group"."""
    g = np.asarray(group_of_account, dtype=np.int64)
    inside = g >= 0
    gi = g[inside]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(gi, weights=values[inside], minlength=n_groups)[:n_groups]

    kinds = stats.kinds
    active = stats.active
    content = kinds[:, 0] + kinds[:, 1] + kinds[:, 3]
    followers = np.append(data.accounts.followers, 0)
    techniques = _distinct_techniques(data, stats, g, n_groups, group_of_story)
    stories = np.zeros(n_groups, dtype=np.int64)
    submitted = np.zeros(n_groups, dtype=np.int64)
    if group_of_story is not None:
        for story, sg in zip(data.stories, group_of_story, strict=True):
            if sg >= 0:
                submitted[sg] += 1
                stories[sg] += story.approved
    return GroupStats(
        posts=total(kinds.sum(axis=1)).astype(np.int64),
        original=total(kinds[:, 0]).astype(np.int64),
        replies=total(kinds[:, 1]).astype(np.int64),
        reposts=total(kinds[:, 2]).astype(np.int64),
        quotes=total(kinds[:, 3]).astype(np.int64),
        contributors=total(active.astype(np.int64)).astype(np.int64),
        engagement=total(stats.engagement).astype(np.int64),
        reach=total(followers * active).astype(np.int64),
        activity=total(np.log2(1.0 + content)),
        repost_activity=total(np.log2(1.0 + kinds[:, 2])),
        techniques=techniques,
        stories=stories,
        stories_submitted=submitted,
    )


def _distinct_techniques(data: CampaignData, stats: AccountStats, g: np.ndarray,
                         n_groups: int, group_of_story: list[int] | None) -> np.ndarray:
    """Distinct techniques per group: in its members' content posts or its approved stories."""
    names = data.technique_names
    t = max(len(names), 1)
    pairs = stats.pairs
    pair_groups = g[pairs[:, 0]] if len(pairs) else np.zeros(0, dtype=np.int64)
    inside = pair_groups >= 0
    keys = distinct(pair_groups[inside] * t + pairs[inside, 1], n_groups * t) if len(pairs) \
        else np.zeros(0, dtype=np.int64)
    counts = np.bincount(keys // t, minlength=n_groups)[:n_groups].astype(np.int64)
    if group_of_story is None:
        return counts
    from_stories: dict[int, set[str]] = {}
    for story, sg in zip(data.stories, group_of_story, strict=True):
        if sg >= 0 and story.approved and story.techniques:
            from_stories.setdefault(sg, set()).update(story.techniques)
    if from_stories:
        in_posts: dict[int, set[str]] = {}
        for key in keys:
            group, technique = divmod(int(key), t)
            if group in from_stories:
                in_posts.setdefault(group, set()).add(names[technique])
        for group, extra in from_stories.items():
            counts[group] += len(extra - in_posts.get(group, set()))
    return counts


def org_of_accounts(data: CampaignData) -> np.ndarray:
    """Organisation index per account slot (the no-account slot is -1)."""
    return np.append(data.accounts.org, -1)


def org_index(data: CampaignData) -> dict[str, int]:
    return {org.code: i for i, org in enumerate(data.accounts.orgs)}


def story_orgs(data: CampaignData) -> tuple[list[OrgInfo], list[int]]:
    """Organisations (accounts' first, then any only stories name) and each story's index."""
    orgs = list(data.accounts.orgs)
    index = {o.code: i for i, o in enumerate(orgs)}
    result = []
    for story in data.stories:
        if story.org is None:
            result.append(-1)
            continue
        if story.org.code not in index:
            index[story.org.code] = len(orgs)
            orgs.append(story.org)
        result.append(index[story.org.code])
    return orgs, result


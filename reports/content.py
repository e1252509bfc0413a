"""What the report says, assembled once and handed to every format (HTML, PDF, MD, XLSX).

Nothing here formats for a medium: it gathers numbers, rows, posts, stories and charts from
the one `CampaignData` so that the HTML, the PDF, the Markdown and the workbook cannot
disagree.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from knowvember.records import PLATFORMS
from reports import charts
from reports.dataset import (
    PHASES,
    CampaignData,
    StoryRow,
    account_stats,
    group_stats,
    org_of_accounts,
    story_orgs,
)
from reports.history import campaign_history
from reports.leaderboard import leaderboard, weights_from
from reports.metrics import participating, summarise, technique_counts
from reports.network import Connections, build_connections
from reports.period import long_date
from reports.posts import PostRow, fetch_posts, top_ids_per_org, top_post_ids
from reports.quality import Quality, data_quality
from reports.redact import UNLISTED_NAME
from reports.scope import OrgInfo
from reports.svg import daily_bars

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

    from knowvember.db import Database

log = logging.getLogger(__name__)

ORG_TOP_POSTS = 5
CONTRIBUTORS_LISTED = 25


@dataclass
class OrgPage:
    """One organisation's page: its numbers and rank, people, days, techniques, posts."""

    org: OrgInfo
    slug: str
    numbers: dict[str, int]
    rank: int | None
    ranked: int
    score: float | None
    first_time: bool | None
    contributors: list[dict[str, Any]]
    days: list[tuple[dt.date, int]]
    chart_svg: str
    techniques: list[dict[str, Any]]
    top_posts: list[PostRow]
    stories: list[StoryRow]


@dataclass
class ReportContent:
    title: str
    subtitle: str
    generated_at: dt.datetime
    interim: bool
    data: CampaignData
    summary: dict[str, Any]
    headline: list[tuple[str, str, str]]
    platforms: list[str]
    daily: list[dict[str, Any]]
    org_board: list[dict[str, Any]]
    region_board: list[dict[str, Any]]
    contributor_board: list[dict[str, Any]]
    techniques: list[dict[str, Any]]
    phases: list[dict[str, Any]]
    top_posts: list[PostRow]
    stories: list[StoryRow]
    history: list[dict[str, Any]]
    network: Connections | Future[Connections]
    quality: Quality
    weights: dict[str, float]
    charts: dict[str, charts.Chart] = field(default_factory=dict)
    # Contributors beyond the table who share the rank of its last row (`build_content`).
    contributors_tied: int = 0
    org_pages: list[OrgPage] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # label -> relative path

    @property
    def no_top_posts(self) -> str:
        """What the top posts section says when it has none to show. "No posts yet." was
        said under a headline of posts when they were all reposts (never listed), or all by
        accounts that ask not to be shown publicly."""
        s = self.summary
        if not s["posts"]:
            return "No posts yet."
        if not s["original_posts"] + s["replies"] + s["quotes"]:
            return (f"The period's {count(s['posts'], 'post')} "
                    f"{'is a repost' if s['posts'] == 1 else 'are all reposts'}, and reposts "
                    "are not listed here.")
        return ("The period's original posts, replies and quotes are all by accounts that "
                "ask not to be shown publicly.")

    @property
    def connections(self) -> Connections:
        """The network, waiting for it if it is still being computed elsewhere."""
        if not isinstance(self.network, Connections):
            self.network = self.network.result()
        return self.network


def org_slug(code: str) -> str:
    """The file name of an organisation's page: its code, one name per code.

    A code holds letters, digits, `-`, `_` and `.` (see knowvember.organisations); the `.`
    was made `_`, so `HEE.NW` and `HEE_NW` shared one page (the second overwrote the first,
    and both were linked to it). "INDEX" would be the index page itself where case does not
    count in file names (Windows, macOS), so it is kept apart too."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", code) or "_"
    return f"{slug}_" if slug.casefold() == "index" else slug


def fmt(value: int | float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def rank_text(rank: int | None) -> str:
    """A rank as the tables print it; "—" for a row listed but not ranked ("(no region)")."""
    return "—" if rank is None else str(rank)


PLURALS = {"reply": "replies", "story": "stories", "was": "were"}


def count(n: int, noun: str) -> str:
    """`1 reply`, `2 replies`, `1,204 posts`."""
    return f"{fmt(n)} {noun if n == 1 else PLURALS.get(noun, noun + 's')}"


def shown_with_ties(rows: list[dict[str, Any]], top: int) -> int:
    """How many of the ranked `rows` a "top `top`" shows: the first `top`, and every row
    tied with the last of them (they share its rank, and their order is only by name), so
    a joint tenth is not left out of the published top ten."""
    shown = min(top, len(rows))
    while shown and shown < len(rows) and rows[shown]["rank"] == rows[shown - 1]["rank"]:
        shown += 1
    return shown


def org_top(content: ReportContent) -> int:
    """How many organisations the report's leaderboard (table and chart) shows."""
    return shown_with_ties(content.org_board, content.data.settings.reports.top_organisations)


def day_ranges(days: list[dt.date]) -> list[str]:
    """Consecutive days folded: `5–9 November 2019`, `11 November 2019`."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    out = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            out.append(long_date(first))
        elif (first.year, first.month) == (last.year, last.month):
            out.append(f"{first.day}–{long_date(last)}")
        else:
            out.append(f"{long_date(first)} – {long_date(last)}")
    return out


def build_content(db: Database, data: CampaignData, *, per_org: bool = False,
                  now: dt.datetime | None = None, xlsx_posts: int = 0,
                  connections: Future[Connections] | None = None) -> ReportContent:
    """Gather everything the report shows (charts are drawn by `draw_charts`).

    `connections` may be computed elsewhere meanwhile (it reads the whole posts table).
    """
    settings = data.settings
    summary = summarise(data)
    weights = weights_from(settings.leaderboard.weights)
    org_board = leaderboard(data, by="organisation", weights=weights)
    region_board = leaderboard(data, by="region", weights=weights)
    accounts = data.accounts
    unlisted = {accounts.ref(int(i)): int(i) for i in np.flatnonzero(accounts.unlisted)}
    contributors = leaderboard(data, by="contributor", weights=weights)
    contributor_board = [unnamed_if_unlisted(data, row, unlisted.get(row["account"]))
                         for row in contributors[:CONTRIBUTORS_LISTED]]
    # People who post once each tie in their hundreds, so the table is not lengthened to
    # hold them as the organisations' is; it says how many more share the last rank shown
    # (the 25th row read "25" as if it were the only 25th).
    cut = contributor_board[-1]["rank"] if contributor_board else None
    contributors_tied = sum(1 for row in contributors[CONTRIBUTORS_LISTED:]
                            if row["rank"] == cut)
    posts, stories, phases = technique_counts(data)
    techniques = [{"name": name, "phases": data.phases_of(name), "posts": n,
                   "stories": stories[name]} for name, n in posts.items()]
    phase_rows = [{"phase": phase, **phases[phase],
                   "techniques": [t for t in techniques if phase in t["phases"]
                                  and (t["posts"] or t["stories"])]} for phase in PHASES]
    unphased = [t for t in techniques if not t["phases"] and (t["posts"] or t["stories"])]
    if unphased:
        phase_rows.append({"phase": "", "posts": sum(t["posts"] for t in unphased),
                           "stories": sum(t["stories"] for t in unphased),
                           "techniques": unphased})
    top_n = settings.reports.top_posts
    with db.begin() as conn:
        top_ids = top_post_ids(data, max(top_n, xlsx_posts))
        top_posts = fetch_posts(conn, data, top_ids)
        quality = data_quality(db, conn, data, now=now)
    history = campaign_history(db, data, summary)
    pages = org_pages(db, data, org_board, summary) if per_org else []
    network: Connections | Future[Connections]
    if connections is not None:
        network = connections
    else:
        with db.begin() as conn:
            network = build_connections(conn, data, _excluded_ids(db, data))
    period = data.period
    title = f"{data.campaign.name}: campaign report"
    if period.interim:
        title = f"{data.campaign.name}: interim report to {long_date(period.until)}"
    content = ReportContent(
        title=title, subtitle=period.label(), generated_at=now or dt.datetime.now(dt.UTC),
        interim=period.interim, data=data, summary=summary, headline=headline(summary),
        platforms=[p for p in (*PLATFORMS, "other") if summary["by_platform"].get(p)],
        daily=daily_rows(data, summary), org_board=org_board, region_board=region_board,
        contributor_board=contributor_board, contributors_tied=contributors_tied,
        techniques=techniques, phases=phase_rows,
        top_posts=top_posts, stories=[s for s in data.stories if s.published],
        history=history, network=network, quality=quality, weights=weights,
        org_pages=pages,
    )
    return content


def unnamed_if_unlisted(data: CampaignData, row: dict[str, Any], index: int | None
                        ) -> dict[str, Any]:
    """A contributor's row as a published report may show it: one whose owner asked not to
    be shown publicly (`reports.scope.asks_unlisted`) keeps its numbers but loses its name,
    handle and link. `index` is the row's account index (None: not an unlisted one)."""
    if index is None or not data.accounts.is_unlisted(index):
        return row
    names = {"account": UNLISTED_NAME, "handle": UNLISTED_NAME, "display_name": None,
             "url": None}
    return {**row, **{key: value for key, value in names.items() if key in row}}


def _excluded_ids(db: Database, data: CampaignData) -> set[int]:
    from reports.scope import excluded_account_ids

    with db.begin() as conn:
        return excluded_account_ids(conn, data.settings)


def headline(s: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [
        ("Posts", fmt(s["posts"]), f"{fmt(s['original_posts'])} original, "
         f"{count(s['replies'], 'reply')}, {count(s['reposts'], 'repost')}, "
         f"{count(s['quotes'], 'quote')}"),
        ("Contributors", fmt(s["contributors"]),
         f"{fmt(s['unattributed_contributors'])} not attributed to an organisation"),
    ]
    orgs_note = []
    if s["catalogue_trusts"]:
        orgs_note.append(f"{s['participating_trusts']} of the {s['catalogue_trusts']} "
                         "NHS trusts")
    if s["first_time_organisations"] is not None:
        orgs_note.append(f"{len(s['first_time_organisations'])} taking part for the first time")
    rows.append(("Organisations", fmt(s["organisations"]), "; ".join(orgs_note)))
    rows.append(("Regions", fmt(s["regions"]), "NHS England regions"))
    rows.append(("Engagement", fmt(s["engagement"]),
                 "likes, reposts, replies and quotes received"))
    rows.append(("Potential reach", fmt(s["potential_reach"]),
                 "upper bound: the contributors' followers added up"))
    rows.append(("Stories", fmt(s["stories_approved"]),
                 f"approved, of {fmt(s['stories_submitted'])} submitted"))
    if s["peak_day"]:
        day = dt.date.fromisoformat(s["peak_day"]["date"])
        rows.append(("Peak day", long_date(day), count(s["peak_day"]["posts"], "post")))
        hour = dt.datetime.fromisoformat(s["peak_hour"]["start"])
        rows.append(("Peak hour", f"{long_date(hour.date())}, {hour:%H:00}",
                     count(s["peak_hour"]["posts"], "post")))
    return rows


def daily_rows(data: CampaignData, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per local day: posts per platform, total, original posts, running total."""
    frame = data.frame
    n = data.period.n_days
    n_platforms = len(PLATFORMS) + 1
    per = np.bincount(frame.day * n_platforms + frame.platform,
                      minlength=n * n_platforms)[: n * n_platforms].reshape(n, n_platforms)
    original = np.bincount(frame.day[frame.kind == 0], minlength=n)[:n]
    rows, running = [], 0
    for i, day in enumerate(data.period.days()):
        total = int(per[i].sum())
        running += total
        row = {"date": day, "total": total, "original": int(original[i]),
               "cumulative": running}
        for j, platform in enumerate((*PLATFORMS, "other")):
            row[platform] = int(per[i, j])
        rows.append(row)
    return rows


def org_pages(db: Database, data: CampaignData, board: list[dict[str, Any]],
              summary: dict[str, Any]) -> list[OrgPage]:
    """A page for every participating organisation (out-of-scope ones say they do not rank)."""
    stats = account_stats(data)
    orgs, of_story = story_orgs(data)
    org_of = org_of_accounts(data)
    groups = group_stats(data, stats, org_of, len(orgs), of_story)
    frame = data.frame
    n_days, n_orgs = data.period.n_days, len(orgs)
    n_platforms = len(PLATFORMS) + 1
    post_org = org_of[data.acct]
    inside = post_org >= 0
    day_keys = (post_org[inside] * n_days + frame.day[inside]) * n_platforms \
        + frame.platform[inside]
    per_day = np.bincount(day_keys, minlength=n_orgs * n_days * n_platforms)[
        : n_orgs * n_days * n_platforms].reshape(n_orgs, n_days, n_platforms) if n_orgs else None
    names = data.technique_names
    n_tech = max(len(names), 1)
    tech_org = post_org[data.tech_post]
    tech_keys = tech_org[tech_org >= 0] * n_tech + data.tech_code[tech_org >= 0]
    per_tech = np.bincount(tech_keys, minlength=n_orgs * n_tech)[: n_orgs * n_tech].reshape(
        n_orgs, n_tech) if n_orgs else None
    ranks = {row["code"]: row for row in board}
    taking_part = [i for i, _ in participating(data)]
    top = top_ids_per_org(data, ORG_TOP_POSTS)
    with db.begin() as conn:
        wanted = [pid for i in taking_part for pid in top.get(i, [])]
        fetched = {p.id: p for p in fetch_posts(conn, data, wanted)}
    posts_of_account = stats.posts[:-1]
    accounts = data.accounts
    members: dict[int, list[int]] = {}
    for a in np.flatnonzero(stats.active[:-1]):
        if org_of[a] >= 0:
            members.setdefault(int(org_of[a]), []).append(int(a))
    previous = data.previous.org_codes if data.previous else None
    days = data.period.days()
    story_techniques: dict[str, dict[str, int]] = {}
    for story in data.stories:
        if story.approved and story.org:
            counts = story_techniques.setdefault(story.org.code, {})
            for name in story.techniques:
                counts[name] = counts.get(name, 0) + 1
    pages = []
    for i in taking_part:
        org = orgs[i]
        people = sorted(members.get(i, []), key=lambda a: (-posts_of_account[a],
                                                           accounts.ref(a)))
        contributors = [unnamed_if_unlisted(data, {
            "account": accounts.ref(a), "platform": accounts.platform[a],
            "handle": accounts.handle[a], "display_name": accounts.display_name[a],
            "url": accounts.url[a], "posts": int(posts_of_account[a]),
            "original_posts": int(stats.kinds[a, 0]), "engagement": int(stats.engagement[a]),
        }, a) for a in people]
        counts = {p: per_day[i, :, j].tolist() for j, p in
                  enumerate((*PLATFORMS, "other"))} if per_day is not None else {}
        counts = {p: v for p, v in counts.items() if any(v)} or {"x": [0] * n_days}
        daily = [(d, int(sum(v[k] for v in counts.values()))) for k, d in enumerate(days)]
        techniques = []
        story_counts = story_techniques.get(org.code, {})
        for t, name in enumerate(names):
            n = int(per_tech[i, t]) if per_tech is not None else 0
            if n or story_counts.get(name):
                techniques.append({"name": name, "phases": data.phases_of(name), "posts": n,
                                   "stories": story_counts.get(name, 0)})
        for name, n in story_counts.items():  # techniques only its stories name
            if name not in names:
                techniques.append({"name": name, "phases": data.phases_of(name), "posts": 0,
                                   "stories": n})
        techniques.sort(key=lambda t: (-t["posts"], -t["stories"], t["name"].casefold()))
        row = ranks.get(org.code)
        pages.append(OrgPage(
            org=org, slug=org_slug(org.code), numbers=groups.row(i),
            rank=row["rank"] if row else None, ranked=len(board),
            score=row["score"] if row else None,
            first_time=None if previous is None else org.code not in previous,
            contributors=contributors, days=daily,
            chart_svg=daily_bars(days, counts, title=f"{org.name}: posts per day"),
            techniques=techniques,
            top_posts=[fetched[pid] for pid in top.get(i, []) if pid in fetched],
            stories=[s for s in data.stories if s.published and s.org
                     and s.org.code == org.code],
        ))
    pages.sort(key=lambda p: (p.rank is None, p.rank or 0, p.org.name.casefold()))
    return pages


def draw_charts(content: ReportContent) -> dict[str, charts.Chart]:
    """Render every chart of the main report (matplotlib, PNG)."""
    s = content.summary
    made: dict[str, charts.Chart] = {}

    def add(name: str, title: str, alt: str, png: bytes) -> None:
        made[name] = charts.Chart(name=name, title=title, alt=alt, png=png)

    if s["posts"]:
        _activity_charts(content, add)
    _ranking_charts(content, add)
    return made


NO_POSTS = "No posts in the period yet, so there is no activity to chart."
# Said where a table would be only its header row (the HTML says the first in its table).
NO_ORGANISATIONS = "No organisation has taken part yet."
NO_TECHNIQUES = "No technique has been named in a post or an approved story yet."


def _activity_charts(content: ReportContent, add: Callable[[str, str, str, bytes], None]
                     ) -> None:
    """Days, running total and hours: drawn only when there are posts (empty axes over 30
    days would look like a chart of something, and say nothing the sentence does not)."""
    s = content.summary
    days = [row["date"] for row in content.daily]
    by_platform = {p: [row[p] for row in content.daily] for p in content.platforms}
    add("daily", "Posts per day by platform",
        f"Bar chart of posts per day, {len(days)} days, stacked by platform; peak "
        f"{s['peak_day']['date'] if s['peak_day'] else 'none'}.",
        charts.daily_by_platform(days, by_platform))
    add("cumulative", "Cumulative posts",
        f"Line chart of posts so far, reaching {count(s['posts'], 'post')} and "
        f"{count(s['original_posts'], 'original post')}.",
        charts.cumulative(days, {"All posts": [r["total"] for r in content.daily],
                                 "Original posts": [r["original"] for r in content.daily]}))
    hours = [s["by_hour"][f"{h:02d}"] for h in range(24)]
    busiest = max(range(24), key=lambda h: (hours[h], -h))
    add("hours", "Posts by hour of day",
        f"Bar chart of posts by local hour of day; the busiest hour is {busiest:02d}:00 to "
        f"{busiest:02d}:59 with {count(hours[busiest], 'post')} over the period.",
        charts.by_hour(hours))


def _ranking_charts(content: ReportContent, add: Callable[[str, str, str, bytes], None]
                    ) -> None:
    """Leaderboards, techniques, years and the network: each only when it has something."""
    board = content.org_board[:org_top(content)]
    if board:
        add("organisations", f"Organisation leaderboard (top {len(board)} by score)",
            "Horizontal bar chart of organisation scores, best first: "
            # As the chart and the tables print a score: 4.00, not 4.0.
            + ", ".join(f"{r['name']} {r['score']:,.2f}" for r in board[:5]) + ".",
            charts.ranking([r["name"] for r in board], [r["score"] for r in board],
                           title=f"Organisation leaderboard: top {len(board)} by score",
                           xlabel="Score (points, see the formula in the method section)"))
    # The chart is of posts, so its bars are in order of posts (the region board is in
    # order of score: National's 469 posts were drawn below the South East's 93).
    regions = sorted(content.region_board, key=lambda r: (-r["posts"], r["region"].casefold()))
    if regions:
        add("regions", "Posts by region",
            "Horizontal bar chart of posts per region: "
            + ", ".join(f"{r['region']} {fmt(r['posts'])}" for r in regions) + ".",
            charts.ranking([r["region"] for r in regions], [r["posts"] for r in regions],
                           title="Posts by NHS England region", xlabel="Posts",
                           colour=charts.OKABE_ITO["green"], counts=True))
    mentioned = [t for t in content.techniques if t["posts"] or t["stories"]]
    if mentioned:
        add("techniques", "Techniques mentioned",
            "Horizontal bar chart of posts and approved stories per technique: "
            + ", ".join(f"{t['name']} {count(t['posts'], 'post')}"
                        + (f" and {count(t['stories'], 'story')}" if t["stories"] else "")
                        for t in mentioned[:5]) + ".",
            charts.techniques([t["name"] for t in mentioned], [t["posts"] for t in mentioned],
                              [t["stories"] for t in mentioned],
                              [t["phases"][0] if t["phases"] else "" for t in mentioned],
                              title="Techniques mentioned, by learning phase"))
    if content.history:
        add("history", "Campaign by campaign",
            "Grouped bar chart comparing campaigns: "
            + "; ".join(f"{r['year']}: {count(r['posts'], 'post')}" for r in content.history)
            + ".",
            charts.history([str(r["year"]) for r in content.history],
                           {"Posts": [r["posts"] for r in content.history],
                            "Contributors": [r["contributors"] for r in content.history],
                            "Organisations": [r["organisations"] for r in content.history]}))
    graph = content.connections.graph
    if graph.number_of_nodes():
        add("connections", "Connections between organisations",
            f"Network of {count(graph.number_of_nodes(), 'organisation')} and "
            f"{count(graph.number_of_edges(), 'directed link')}.",
            charts.network(graph))

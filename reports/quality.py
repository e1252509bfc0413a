"""Method and data quality: how the numbers were collected and what they may be missing.

A board reading "1,204 posts" should also read where they came from (sources and runs),
what could be missing (coverage gaps, days without posts, failed runs), what was left out
on purpose (off-campaign posts, opted-out accounts, out-of-scope organisations, posts
outside the period) and who could not be placed (unattributed accounts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from knowvember.models import Post, Run
from knowvember.runs import SKIPPED_OPTED_OUT
from reports.dataset import CampaignData, account_stats, org_of_accounts
from reports.redact import UNLISTED_NAME, redact_emails
from reports.scope import excluded_account_ids

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from knowvember.db import Database

posts_t = Post.__table__
runs_t = Run.__table__

UNATTRIBUTED_LISTED = 50
PROBLEMS_LISTED = 10


@dataclass
class Quality:
    sources: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    days_without_posts: list[dt.date] = field(default_factory=list)
    unattributed_accounts: int = 0
    unattributed_posts: int = 0
    unattributed: list[dict[str, Any]] = field(default_factory=list)
    posts_without_account: int = 0
    off_campaign_skipped: int = 0
    x_reads: int = 0
    x_cost: float = 0.0
    total_cost: float = 0.0
    excluded_configured: int = 0
    excluded_matched: int = 0
    before_period: int = 0
    after_period: int = 0
    out_of_scope: list[dict[str, Any]] = field(default_factory=list)
    attribution: dict[str, int] = field(default_factory=dict)


def data_quality(db: Database, conn: Connection, data: CampaignData,
                 now: dt.datetime | None = None) -> Quality:
    q = Quality()
    _runs(conn, data, q)
    _gaps(db, data, q, now)
    stats = account_stats(data)
    active = stats.active[:-1]
    org_of = org_of_accounts(data)[:-1]
    accounts = data.accounts
    posts = stats.posts[:-1]
    lost = np.flatnonzero(active & (org_of < 0))
    q.unattributed_accounts = len(lost)
    q.unattributed_posts = int(posts[lost].sum())
    for i in sorted(lost, key=lambda i: (-posts[i], accounts.ref(i)))[:UNATTRIBUTED_LISTED]:
        # One who asked not to be shown publicly is counted, not named (`asks_unlisted`).
        hidden = accounts.is_unlisted(int(i))
        q.unattributed.append({"account": UNLISTED_NAME if hidden else accounts.ref(int(i)),
                               "display_name": None if hidden else accounts.display_name[i],
                               "posts": int(posts[i])})
    q.posts_without_account = int(stats.posts[-1])
    for method in [accounts.attribution[i] for i in np.flatnonzero(active & (org_of >= 0))]:
        key = method or "unknown"
        q.attribution[key] = q.attribution.get(key, 0) + 1
    placed = active & (org_of >= 0)
    per_org = np.bincount(org_of[placed], weights=posts[placed], minlength=len(accounts.orgs))
    for i, org in enumerate(accounts.orgs):
        if org.out_of_scope and per_org[i]:
            q.out_of_scope.append({"code": org.code, "name": org.name,
                                   "posts": int(per_org[i])})
    day_counts = np.bincount(data.frame.day, minlength=data.period.n_days)
    # Days that have begun in the campaign's timezone at the report's `now`: not the
    # machine's own date, which is another day in another zone (or in a test).
    today = (now or dt.datetime.now(dt.UTC)).astimezone(data.period.tz).date()
    q.days_without_posts = [d for d, n in zip(data.period.days(), day_counts, strict=False)
                            if n == 0 and d <= today]
    q.excluded_configured = len(data.settings.leaderboard.exclude_accounts)
    q.excluded_matched = data.excluded_accounts
    start, end = data.period.window_utc()
    c = posts_t.c
    # Not the posts of accounts that opted out: "1 before" was an opted-out person's post
    # of October, counted in a report that leaves them out of every number.
    theirs = excluded_account_ids(conn, data.settings)
    others = [sa.or_(c.account_id.is_(None), c.account_id.not_in(sorted(theirs)))] \
        if theirs else []
    q.before_period = conn.execute(sa.select(sa.func.count()).where(
        c.campaign_id == data.campaign.id, c.created_at < start, *others)).scalar() or 0
    q.after_period = conn.execute(sa.select(sa.func.count()).where(
        c.campaign_id == data.campaign.id, c.created_at >= end, *others)).scalar() or 0
    return q


def _runs(conn: Connection, data: CampaignData, q: Quality) -> None:
    r = runs_t.c
    rows = conn.execute(sa.select(r.source, r.status, r.started_at, r.finished_at, r.fetched,
                                  r.new, r.updated, r.skipped, r.requests, r.posts_read,
                                  r.estimated_cost, r.error, r.details)
                        .where(r.campaign_id == data.campaign.id)
                        .order_by(r.started_at, r.id)).all()
    by_source: dict[str, dict[str, Any]] = {}
    seen_warnings: dict[str, None] = {}
    left_out = 0  # of the skipped posts, those of opted-out or forgotten accounts
    for row in rows:
        entry = by_source.setdefault(row.source, {
            "source": row.source, "runs": 0, "ok": 0, "partial": 0, "failed": 0,
            "running": 0, "first": row.started_at, "last": row.started_at, "last_ok": None,
            "fetched": 0, "new": 0, "updated": 0, "skipped": 0, "requests": 0,
            "posts_read": 0, "estimated_cost": 0.0})
        entry["runs"] += 1
        status = row.status if row.status in ("ok", "partial", "failed") else "running"
        if status == "running" and row.finished_at is None:
            status = "failed"  # a run killed before it finished
        entry[status] += 1
        entry["last"] = row.started_at
        if status == "ok":
            entry["last_ok"] = row.started_at
        for key in ("fetched", "new", "updated", "skipped", "requests", "posts_read"):
            entry[key] += int(getattr(row, key) or 0)
        if isinstance(row.details, dict):
            left_out += int(row.details.get(SKIPPED_OPTED_OUT, 0) or 0)
        entry["estimated_cost"] += float(row.estimated_cost or 0.0)
        file = (row.details or {}).get("file") if isinstance(row.details, dict) else None
        if status != "ok":
            # A run's message can quote a line of its input, address and all.
            q.problems.append({"source": row.source, "started_at": row.started_at,
                               "status": status,
                               "error": published(row.error or "did not finish", file)[:400]})
        for warning in (row.details or {}).get("warnings", []) or []:
            seen_warnings[published(str(warning), file)[:300]] = None
    q.sources = list(by_source.values())
    q.problems = q.problems[-PROBLEMS_LISTED:][::-1]
    q.warnings = list(seen_warnings)[-PROBLEMS_LISTED:]
    # Not the posts of opted-out or forgotten accounts, which the runs skip too: after a
    # `forget`, re-importing an archive counted that person's posts as off-campaign.
    q.off_campaign_skipped = sum(s["skipped"] for s in q.sources) - left_out
    x_sources = [s for s in q.sources if s["source"] == "x" or s["source"].startswith("x:")]
    q.x_reads = sum(s["posts_read"] for s in x_sources)
    q.x_cost = sum(s["estimated_cost"] for s in x_sources)
    q.total_cost = sum(s["estimated_cost"] for s in q.sources)


def published(message: str, file: object = None) -> str:
    """A run's message as a published report may show it: no email address, and files
    named by their name alone.

    An import's warnings start with the file as it was given, most often its absolute path
    ("/home/jane.smith/OneDrive - NHS Trust/KNOWvember/x.json: no posts in the file"), so
    the report published the coordinator's user name and folders. The run's own file is
    known (its path may hold spaces); any other file's absolute path is cut at whitespace.
    """
    if isinstance(file, str) and file and (file.startswith("/") or _WINDOWS.match(file)):
        message = message.replace(file, _name(file))
    message = _ABSOLUTE.sub(lambda m: _name(m.group(0)), message)
    return redact_emails(message) or ""


def _name(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


_WINDOWS = re.compile(r"[A-Za-z]:[\\/]")
# A file's absolute path: POSIX, two or more parts ending in a file name with an extension
# (an API path, "/api/v1/timelines/tag/KNOWvember", is kept), not inside a link
# ("https://x/y.json"); or Windows (C:\Users\...).
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])(?:/[^\s/:'\"]+)+/[^\s/:'\"]+\.\w{1,5}\b"
                       r"|(?<![\w])[A-Za-z]:[\\/][^\s:'\"]+")


def _gaps(db: Database, data: CampaignData, q: Quality, now: dt.datetime | None) -> None:
    """Stretches no successful run covered (the run log's own `runs --gaps`)."""
    if data.campaign.id != db.campaign_id:
        return
    from knowvember.ingest import coverage_gaps

    q.gaps = [gap.to_json() for gap in coverage_gaps(db, data.settings, now=now)]

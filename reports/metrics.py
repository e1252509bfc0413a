"""The campaign's headline numbers, defined once (docs/reports.md lists the definitions).

- posts: every stored campaign post in the period, of every kind; original posts, replies,
  reposts and quotes are its parts. Reposts are activity, not original content.
- contributors: distinct accounts with at least one post in the period.
- organisations / regions: distinct in-scope organisations (and their regions) with a
  contributor or an approved story.
- engagement: likes + reposts + replies + quotes received by original posts, replies and
  quotes (a repost shows the original's counts, which would count them twice).
- potential reach: the sum of the followers of distinct contributors, an upper bound.
- stories submitted: every story received (any status); approved: those approved.
- technique mentions: content posts tagged with a technique, and approved stories.
- days and hours are local to the campaign's timezone.
Opted-out accounts (`[leaderboard] exclude_accounts`) are left out before any of this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from knowvember.errors import NotFoundError
from knowvember.organisations import region_key
from knowvember.records import PLATFORMS
from reports.dataset import (
    PHASES,
    CampaignData,
    account_stats,
    group_stats,
    org_of_accounts,
    story_orgs,
)
from reports.period import DAY


def filter_data(data: CampaignData, *, org: str | None = None,
                region: str | None = None) -> CampaignData:
    """Narrow the data to one organisation and/or one region (posts and stories)."""
    accounts = data.accounts
    mask = np.ones(data.n_accounts + 1, dtype=bool)
    keep = [True] * len(data.stories)
    filters: dict[str, str] = {}
    if org is not None:
        info = data.directory.resolve(org)
        code = info.code if info else org.strip().upper()
        known = any(o.code == code for o in accounts.orgs) or any(
            s.org and s.org.code == code for s in data.stories)
        if not known and (info is None or info.kind == "unknown"):
            raise NotFoundError(f"--org {org}: no organisation with that code took part "
                                "or is in the catalogue" + _did_you_mean(data, org))
        org_codes = np.array([o.code == code for o in accounts.orgs] + [False])
        mask &= org_codes[org_of_accounts(data)]
        keep = [k and bool(s.org and s.org.code == code) for s, k in
                zip(data.stories, keep, strict=True)]
        filters["org"] = code
    if region is not None:
        wanted = region_key(region)  # any case, hyphens and "&" as the config reads them
        regions = {o.region for o in accounts.orgs if o.region} | {
            s.org.region for s in data.stories if s.org and s.org.region}
        matches = [r for r in regions if region_key(r) == wanted]
        if not matches:
            known = ", ".join(sorted(regions)) or "none yet"
            raise NotFoundError(f"--region {region}: no organisation in that region took part "
                                f"(regions: {known})")
        in_region = np.array([bool(o.region and region_key(o.region) == wanted)
                              for o in accounts.orgs] + [False])
        mask &= in_region[org_of_accounts(data)]
        keep = [k and bool(s.org and s.org.region and region_key(s.org.region) == wanted)
                for s, k in zip(data.stories, keep, strict=True)]
        filters["region"] = matches[0]
    if not filters:
        return data
    return data.restrict(mask, keep, filters)


def _did_you_mean(data: CampaignData, text: str) -> str:
    """The end of the message for an --org that is no code: a name typed there ("University
    Hospitals of Leicester") gets the code of the organisation it names, to run again with
    (never taken silently: a report of the wrong trust would be published as right)."""
    catalogue = data.directory.catalogue
    missing = getattr(catalogue, "missing_successor", None)
    if missing is not None and (successor := missing(text)):
        # G6V2S: no typing mistake, but a successor the catalogue leaves out, whose posts
        # are reported under the trusts it replaced until it is added.
        return f"; {successor}"
    matcher = getattr(catalogue, "matcher", None)
    found = matcher.match(text) if matcher is not None else []
    if not found:
        return " (see `knowvember orgs list`)"
    code = found[0][0]
    info = data.directory.resolve(code)
    if info is not None:
        code, name = info.code, f" ({info.name})"  # a merged trust's successor, as counted
    else:
        name = ""
    return f"; --org takes an ODS code: did you mean --org {code}{name}?"


def participating(data: CampaignData) -> list[tuple[int, bool]]:
    """(org index into `story_orgs(data)[0]`, in scope) for each participating organisation."""
    orgs, of_story = story_orgs(data)
    stats = account_stats(data)
    groups = group_stats(data, stats, org_of_accounts(data), len(orgs), of_story)
    return [(i, not orgs[i].out_of_scope) for i in range(len(orgs))
            if groups.contributors[i] > 0 or groups.stories[i] > 0]


def summarise(data: CampaignData) -> dict[str, Any]:
    """Headline numbers in the JSON shape `knowvember summary --format json` prints."""
    frame = data.frame
    period = data.period
    stats = account_stats(data)
    everyone = np.zeros(data.n_accounts + 1, dtype=np.int64)
    totals = group_stats(data, stats, everyone, 1).row(0)
    active = stats.active
    org_of = org_of_accounts(data)
    unattributed = int(np.count_nonzero(active & (org_of < 0)))
    orgs, _ = story_orgs(data)
    taking_part = participating(data)
    in_scope = [orgs[i] for i, ok in taking_part if ok]
    out_of_scope = [orgs[i] for i, ok in taking_part if not ok]
    trusts = data.directory.trusts()
    trust_codes = {t.code for t in trusts}

    n_days = period.n_days
    day_counts = np.bincount(frame.day, minlength=n_days)[:n_days]
    days = period.days()
    by_day = {d.isoformat(): int(n) for d, n in zip(days, day_counts, strict=True)}
    by_hour = np.bincount(frame.wall % DAY // 3600, minlength=24)[:24]
    slots = np.bincount(frame.slot) if len(frame) else np.zeros(0, dtype=np.int64)
    peak_day = peak_hour = None
    if len(frame):
        best = int(np.argmax(day_counts))
        peak_day = {"date": days[best].isoformat(), "posts": int(day_counts[best])}
        slot = int(np.argmax(slots))
        start = period.local_datetime(slot * 3600)
        peak_hour = {"start": start.strftime("%Y-%m-%dT%H:00"), "posts": int(slots[slot])}

    platform_counts = np.bincount(frame.platform, minlength=len(PLATFORMS) + 1)
    by_platform = {name: int(platform_counts[i]) for i, name in enumerate(PLATFORMS)}
    if platform_counts[len(PLATFORMS)]:
        by_platform["other"] = int(platform_counts[len(PLATFORMS)])

    techniques, technique_stories, phases = technique_counts(data)
    approved = [s for s in data.stories if s.approved]
    first_time = None
    if data.previous is not None:
        first_time = sorted(o.code for o in in_scope if o.code not in data.previous.org_codes)

    return {
        "campaign": {"slug": data.campaign.slug, "name": data.campaign.name},
        "period": {"since": period.since.isoformat(), "until": period.until.isoformat(),
                   "timezone": period.timezone, "interim": period.interim},
        "filters": dict(data.filters),
        "posts": totals["posts"],
        "original_posts": totals["original_posts"],
        "replies": totals["replies"],
        "reposts": totals["reposts"],
        "quotes": totals["quotes"],
        "contributors": totals["contributors"],
        "organisations": len(in_scope),
        "regions": len({o.region for o in in_scope if o.region}),
        "engagement": totals["engagement"],
        "potential_reach": totals["potential_reach"],
        "stories_submitted": len(data.stories),
        "stories_approved": len(approved),
        "stories_published": sum(s.published for s in data.stories),
        "by_platform": by_platform,
        "by_day": by_day,
        "by_hour": {f"{h:02d}": int(n) for h, n in enumerate(by_hour)},
        "peak_day": peak_day,
        "peak_hour": peak_hour,
        "techniques": techniques,
        "technique_stories": technique_stories,
        "phases": phases,
        "unattributed_contributors": unattributed,
        "out_of_scope_organisations": sorted(o.code for o in out_of_scope),
        "catalogue_trusts": len(trusts),
        # A trust formed after the campaign (its accounts' posts from before the merger)
        # still took part as an NHS trust: one of those it was formed from.
        "participating_trusts": sum(o.code in trust_codes or o.kind in ("trust", "closed")
                                    for o in in_scope),
        "previous_campaign": data.previous.campaign.slug if data.previous else None,
        "first_time_organisations": first_time,
        "excluded_accounts": data.excluded_accounts,
    }


def technique_counts(data: CampaignData
                     ) -> tuple[dict[str, int], dict[str, int], dict[str, dict[str, int]]]:
    """Posts per technique, approved stories per technique, and both per phase.

    A technique in two phases counts in each; a technique the taxonomy does not know (a
    story's "Other" answer) counts under its name but in no phase.
    """
    names = data.technique_names
    post_counts = np.bincount(data.tech_code, minlength=len(names))[:len(names)]
    posts = {name: int(n) for name, n in zip(names, post_counts, strict=True) if n}
    for technique in data.taxonomy:
        posts.setdefault(technique.name, 0)
    stories: dict[str, int] = {}
    for story in data.stories:
        if story.approved:
            for name in story.techniques:
                stories[name] = stories.get(name, 0) + 1
    for name in posts:
        stories.setdefault(name, 0)
    for name in stories:
        posts.setdefault(name, 0)
    order = sorted(posts, key=lambda n: (-posts[n], -stories[n], n.casefold()))
    phases = {phase: {"posts": 0, "stories": 0} for phase in PHASES}
    for name in order:
        for phase in data.phases_of(name):
            if phase in phases:
                phases[phase]["posts"] += posts[name]
                phases[phase]["stories"] += stories[name]
    return ({n: posts[n] for n in order}, {n: stories[n] for n in order}, phases)

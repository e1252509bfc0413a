"""Leaderboards by organisation, region or contributor, with a score that rewards breadth.

The score of a group (an organisation, a region, or one contributor) is

    contributors * w.contributors
    + sum over its contributors of log2(1 + their original posts, replies and quotes) * w.posts
    + sum over its contributors of log2(1 + their reposts) * w.reposts
    + distinct techniques mentioned (posts and approved stories) * w.techniques
    + approved stories * w.stories
    + log2(1 + engagement) * w.engagement

Each contributor's posts count with diminishing returns (the 1st post adds 1, the 1,000th
about 0.0014), and every contributor adds a flat amount, so one very loud account cannot
outrank a team whose many members each posted a little. Weights come from
`[leaderboard] weights`; `DEFAULT_WEIGHTS` are used for the keys not given there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from knowvember.config import DEFAULT_LEADERBOARD_WEIGHTS, MAX_LEADERBOARD_WEIGHT
from knowvember.errors import ConfigError, InputError
from reports.choices import By, Metric
from reports.dataset import (
    CampaignData,
    GroupStats,
    account_stats,
    group_stats,
    org_of_accounts,
    story_orgs,
)

DEFAULT_WEIGHTS = DEFAULT_LEADERBOARD_WEIGHTS

NO_REGION = "(no region)"
# Far above any sensible weight (the defaults are 0.25 to 3), and low enough that no
# score can overflow: a million of every counted thing stays finite. The config refuses
# the same (weights passed in by code are checked here).
MAX_WEIGHT = MAX_LEADERBOARD_WEIGHT


def weights_from(settings_weights: Mapping[str, float]) -> dict[str, float]:
    """The configured weights over the defaults; an unknown key is a config error.

    So is a weight TOML reads as `nan` or `inf` (or one so large that a score overflows):
    every score would be NaN or Infinity, which ranks nothing and is not JSON.
    """
    unknown = sorted(set(settings_weights) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise ConfigError(
            f"leaderboard.weights: unknown weight {unknown[0]!r}; weights are "
            + ", ".join(DEFAULT_WEIGHTS)
        )
    weights = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in settings_weights.items()}}
    for key, weight in weights.items():
        if not 0 <= weight <= MAX_WEIGHT:  # False for nan too
            raise ConfigError(f"leaderboard.weights: weight {key!r} is {weight}; a weight "
                              f"is a number from 0 to {MAX_WEIGHT:,}")
    return weights


def scores(stats: GroupStats, weights: Mapping[str, float]) -> np.ndarray:
    """The score of every group, rounded to 2 decimals so equal work ties exactly."""
    raw = (
        stats.contributors * weights["contributors"]
        + stats.activity * weights["posts"]
        + stats.repost_activity * weights["reposts"]
        + stats.techniques * weights["techniques"]
        + stats.stories * weights["stories"]
        + np.log2(1.0 + stats.engagement) * weights["engagement"]
    )
    return np.round(raw, 2)


def rank(values: list[float]) -> list[int]:
    """Competition ranks for values sorted best first: ties share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for i, value in enumerate(values):
        ranks.append(ranks[-1] if i and value == values[i - 1] else i + 1)
    return ranks


GROUP_COLUMNS = ("posts", "original_posts", "replies", "reposts", "quotes", "contributors",
                 "engagement", "potential_reach", "techniques", "stories")
NAME_COLUMNS = {
    By.organisation: ("code", "name", "region"),
    By.region: ("region", "organisations"),
    By.contributor: ("account", "platform", "handle", "display_name", "organisation_code",
                     "organisation_name", "region"),
}


def columns(by: By | str) -> tuple[str, ...]:
    """The keys of a `leaderboard` row, in order: a CSV of no rows still has its header."""
    return ("rank", *NAME_COLUMNS[By(by)], *GROUP_COLUMNS, "score")


def leaderboard(data: CampaignData, *, by: By | str = By.organisation,
                metric: Metric | str = Metric.score, top: int | None = None,
                weights: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """Ranked rows, best first; out-of-scope organisations (and their people) never rank."""
    by, metric = By(by), Metric(metric)
    if by is By.contributor and metric in (Metric.stories, Metric.contributors):
        # Stories belong to organisations, not accounts, and each contributor is one: the
        # ranking was every contributor tied first (128 rows "share rank 1").
        what = ("stories are submitted for organisations, not by accounts"
                if metric is Metric.stories else "every contributor is one contributor")
        raise InputError(f"--metric {metric.value} does not rank contributors ({what}); use "
                         "--by organisation or --by region, or --metric score, posts or "
                         "engagement")
    weights = weights_from(data.settings.leaderboard.weights if weights is None else weights)
    stats = account_stats(data)
    orgs, of_story = story_orgs(data)
    org_of = org_of_accounts(data)
    in_scope = np.array([not o.out_of_scope for o in orgs] + [True], dtype=bool)
    rows: list[dict[str, Any]] = []
    if by is By.organisation:
        groups = group_stats(data, stats, org_of, len(orgs), of_story)
        score = scores(groups, weights)
        for i, org in enumerate(orgs):
            if org.out_of_scope or not (groups.contributors[i] or groups.stories[i]):
                continue
            rows.append({"code": org.code, "name": org.name, "region": org.region,
                         **groups.row(i), "score": float(score[i])})
    elif by is By.region:
        names = sorted({o.region or NO_REGION for o in orgs if not o.out_of_scope})
        index = {name: i for i, name in enumerate(names)}
        region_of_org = np.array([-1 if o.out_of_scope else index[o.region or NO_REGION]
                                  for o in orgs] + [-1], dtype=np.int64)
        of_account = region_of_org[org_of]
        of_region_story = [region_of_org[g] if g >= 0 else -1 for g in of_story]
        groups = group_stats(data, stats, of_account, len(names), of_region_story)
        score = scores(groups, weights)
        org_counts = np.zeros(len(names), dtype=np.int64)
        org_groups = group_stats(data, stats, org_of, len(orgs), of_story)
        for j in range(len(orgs)):
            if region_of_org[j] >= 0 and (org_groups.contributors[j] or org_groups.stories[j]):
                org_counts[region_of_org[j]] += 1
        for i, name in enumerate(names):
            if not (groups.contributors[i] or groups.stories[i]):
                continue
            rows.append({"region": name, "organisations": int(org_counts[i]),
                         **groups.row(i), "score": float(score[i])})
    else:
        n = data.n_accounts
        keep = stats.active[:n] & in_scope[org_of[:n]]
        own = np.where(np.append(keep, False), np.arange(n + 1), -1)
        groups = group_stats(data, stats, own, n)
        score = scores(groups, weights)
        accounts = data.accounts
        for i in np.flatnonzero(keep):
            o = int(accounts.org[i])
            org = orgs[o] if o >= 0 else None
            row = {"account": accounts.ref(i), "platform": accounts.platform[i],
                   "handle": accounts.handle[i], "display_name": accounts.display_name[i],
                   "organisation_code": org.code if org else None,
                   "organisation_name": org.name if org else None,
                   "region": org.region if org else None, **groups.row(int(i)),
                   "score": float(score[i])}
            rows.append(row)
    key = metric.value
    # Ties on the metric: the higher score first, then by name, as a reader looks a name
    # up (organisations were in code order: R0A Manchester before RBS Alder Hey), the code
    # keeping the order whole between two of one name.
    label = {By.contributor: ("account",), By.region: ("region",)}.get(by, ("name", "code"))
    rows.sort(key=lambda r: (-r[key], -r["score"], *(str(r[k]).casefold() for k in label)))
    unranked = [r for r in rows if by is By.region and r["region"] == NO_REGION]
    rows = [r for r in rows if r not in unranked]
    ranks = rank([r[key] for r in rows])
    ranked = [{"rank": k, **r} for k, r in zip(ranks, rows, strict=True)]
    # The organisations without a region are no region: listed last, without a rank, so
    # their posts still add up to the total but "(no region)" never wins or takes a place.
    ranked += [{"rank": None, **r} for r in unranked]
    return ranked[:top] if top else ranked

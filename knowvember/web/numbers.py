"""The dashboard's numbers, from the reporting layer, kept for a minute.

The web app, like the CLI, is a front end that wires the core to `reports/`: the summary,
leaderboard and per-organisation numbers are the very functions behind `knowvember summary`
and `knowvember leaderboard`, so the dashboard can never disagree with them. Reading a large
campaign takes seconds, so one reading is shared by every request for `ttl` seconds (and
dropped at once when a story is submitted or decided here); a lock keeps concurrent requests
from each starting their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.organisations import Catalogue
    from knowvember.techniques import Taxonomy

log = logging.getLogger(__name__)


@dataclass
class CampaignNumbers:
    """One reading of the campaign: the data, its summary and its organisation leaderboard."""

    data: Any  # reports.dataset.CampaignData
    summary: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    read_at: float
    # Why the stored technique tags may not be the current rules' (retag.stale_tags_warning),
    # or None: the dashboard says so, as `knowvember summary` does on stderr.
    stale_tags: str | None = None
    _orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _contributors: list[dict[str, Any]] | None = None
    _charts: dict[str, bytes] = field(default_factory=dict)
    _daily_svg: str | None = None

    def rank_of(self, code: str) -> dict[str, Any] | None:
        for row in self.leaderboard:
            if row["code"] == code:
                return row
        return None

    def organisation(self, code: str) -> dict[str, Any]:
        """The summary, contributors and leaderboard row of one organisation, and the ids
        of the stories it counts (`reports.metrics.filter_data`'s, the report's rule)."""
        if code not in self._orgs:
            from reports.leaderboard import leaderboard
            from reports.metrics import filter_data, summarise

            narrowed = filter_data(self.data, org=code)
            if self._contributors is None:
                self._contributors = leaderboard(self.data, by="contributor")
            people = [row for row in self._contributors
                      if row.get("organisation_code") == code]
            self._orgs[code] = {"summary": summarise(narrowed), "contributors": people,
                                "story_ids": frozenset(s.id for s in narrowed.stories),
                                "rank": self.rank_of(code), "ranked": len(self.leaderboard),
                                "daily_svg": daily_svg(narrowed, "Posts per day by platform")}
        return self._orgs[code]

    @property
    def daily_svg(self) -> str:
        if self._daily_svg is None:
            self._daily_svg = daily_svg(self.data, "Posts per day by platform")
        return self._daily_svg

    def chart(self, name: str, top: int) -> bytes | None:
        """A PNG chart of the report's (`reports.charts`): `organisations`, `techniques`,
        `hours`; None for another name or when there is nothing to draw."""
        if name not in self._charts:
            png = _chart(self, name, top)
            if png is None:
                return None
            self._charts[name] = png
        return self._charts[name]


CHARTS = {
    "organisations": "Organisations by leaderboard score",
    "techniques": "Techniques mentioned in posts and approved stories",
    "hours": "Posts by hour of day",
}


def daily_series(data: Any) -> tuple[list[Any], dict[str, list[int]]]:
    """Posts per local day and platform, for the stacked daily chart."""
    import numpy as np

    from knowvember.records import PLATFORMS

    days = data.period.days()
    frame = data.frame
    series = {}
    for index, platform in enumerate(PLATFORMS):
        counts = np.bincount(frame.day[frame.platform == index], minlength=len(days))
        series[platform] = [int(n) for n in counts[: len(days)]]
    return days, series


def daily_svg(data: Any, title: str) -> str:
    """The per-organisation pages' inline SVG chart (`reports.svg`): XML-escaped text only."""
    from reports.svg import daily_bars

    days, series = daily_series(data)
    return daily_bars(days, series, title=title)


def _chart(numbers: CampaignNumbers, name: str, top: int) -> bytes | None:
    from reports import charts

    summary = numbers.summary
    if name == "organisations":
        rows = numbers.leaderboard[:top]
        if not rows:
            return None
        return charts.ranking([r["name"] for r in rows], [r["score"] for r in rows],
                              title=CHARTS[name], xlabel="Score (see the leaderboard's method)")
    if name == "techniques":
        told = summary.get("technique_stories", {})
        names = [n for n, posts in summary.get("techniques", {}).items()
                 if posts or told.get(n)][:top]
        if not names:
            return None
        phases = [next(iter(numbers.data.phases_of(n)), "") for n in names]
        return charts.techniques(names, [summary["techniques"].get(n, 0) for n in names],
                                 [told.get(n, 0) for n in names], phases, title=CHARTS[name])
    if name == "hours":
        if not summary.get("posts"):
            return None
        return charts.by_hour([int(n) for n in summary["by_hour"].values()],
                              title=CHARTS[name])
    return None


class NumbersCache:
    def __init__(self, settings: Settings, db: Database, catalogue: Callable[[], Catalogue],
                 taxonomy: Callable[[], Taxonomy], *, ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.db = db
        self.catalogue = catalogue
        self.taxonomy = taxonomy
        self.ttl = ttl
        self.clock = clock
        self._current: CampaignNumbers | None = None
        self._lock = threading.Lock()

    def get(self) -> CampaignNumbers:
        with self._lock:
            current = self._current
            if current is None or self.clock() - current.read_at >= self.ttl:
                current = self._current = self._read()
            return current

    def invalidate(self) -> None:
        with self._lock:
            self._current = None

    def _read(self) -> CampaignNumbers:
        from knowvember.retag import stale_tags_warning
        from reports.dataset import load_campaign_data
        from reports.leaderboard import leaderboard
        from reports.metrics import summarise

        started = time.perf_counter()
        taxonomy = self.taxonomy()
        data = load_campaign_data(self.db, self.settings, catalogue=self.catalogue(),
                                  taxonomy=taxonomy)
        numbers = CampaignNumbers(data=data, summary=summarise(data),
                                  leaderboard=leaderboard(data, by="organisation"),
                                  read_at=self.clock(),
                                  stale_tags=stale_tags_warning(self.db, taxonomy))
        log.debug("dashboard numbers read in %.2fs", time.perf_counter() - started)
        return numbers

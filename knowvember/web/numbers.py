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
    _orgs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rank_of(self, code: str) -> dict[str, Any] | None:
        for row in self.leaderboard:
            if row["code"] == code:
                return row
        return None

    def organisation(self, code: str) -> dict[str, Any]:
        """The summary, contributors and leaderboard row of one organisation."""
        if code not in self._orgs:
            from reports.leaderboard import leaderboard
            from reports.metrics import filter_data, summarise

            narrowed = filter_data(self.data, org=code)
            people = [row for row in leaderboard(self.data, by="contributor")
                      if row.get("organisation_code") == code]
            self._orgs[code] = {"summary": summarise(narrowed), "contributors": people,
                                "rank": self.rank_of(code), "ranked": len(self.leaderboard)}
        return self._orgs[code]


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
        from reports.dataset import load_campaign_data
        from reports.leaderboard import leaderboard
        from reports.metrics import summarise

        started = time.perf_counter()
        data = load_campaign_data(self.db, self.settings, catalogue=self.catalogue(),
                                  taxonomy=self.taxonomy())
        numbers = CampaignNumbers(data=data, summary=summarise(data),
                                  leaderboard=leaderboard(data, by="organisation"),
                                  read_at=self.clock())
        log.debug("dashboard numbers read in %.2fs", time.perf_counter() - started)
        return numbers

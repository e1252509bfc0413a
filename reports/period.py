"""The reporting period and the campaign's clock: local days and hours from UTC instants.

Posts are stored in naive UTC; coordinators read days in the campaign's timezone. A post at
23:30 on 31 October in New York is an October post there even though it is 1 November in
UTC, so every day and hour bucket is computed from the UTC instant plus the zone's offset at
that instant (which changes at daylight-saving transitions, some of them inside November).
The conversion is vectorised: the zone's offset changes inside the window are found once,
then applied to a whole array of epoch seconds with `searchsorted`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from knowvember.errors import InputError

if TYPE_CHECKING:
    import numpy as np

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class CampaignRow:
    """One campaign as the `campaigns` table holds it (the config's or an earlier year's)."""

    id: int
    slug: str
    name: str
    start: dt.date
    end: dt.date
    timezone: str


@dataclass(frozen=True)
class Period:
    """The local dates a report covers, inclusive, and whether they were asked for.

    `since_given` / `until_given` record whether the dates came from the command line; they
    decide whether stories (which keep arriving after the month) are cut off by date.
    """

    since: dt.date
    until: dt.date
    timezone: str
    since_given: bool = False
    until_given: bool = False
    campaign_end: dt.date | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def interim(self) -> bool:
        """True when the period stops before the campaign's last day."""
        return self.campaign_end is not None and self.until < self.campaign_end

    @property
    def n_days(self) -> int:
        return (self.until - self.since).days + 1

    def days(self) -> list[dt.date]:
        return [self.since + dt.timedelta(days=i) for i in range(self.n_days)]

    def window_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """First instant of `since` and first instant after `until`, local midnights, in UTC."""
        start = dt.datetime.combine(self.since, dt.time(), self.tz)
        end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), self.tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @property
    def origin(self) -> int:
        """Local midnight of `since` as if it were UTC: wall-clock seconds count from here."""
        return calendar.timegm(self.since.timetuple())

    def wall_seconds(self, epoch: np.ndarray) -> np.ndarray:
        """Wall-clock seconds since local midnight of `since` for UTC epoch seconds."""
        import numpy as np

        start, end = self.window_utc()
        bounds, offsets = utc_offsets(self.tz, start - dt.timedelta(days=1),
                                      end + dt.timedelta(days=1))
        index = np.searchsorted(np.asarray(bounds, dtype=np.int64), epoch, side="right")
        return epoch + np.asarray(offsets, dtype=np.int64)[index] - self.origin

    def local_datetime(self, slot_seconds: int) -> dt.datetime:
        """The naive local wall-clock time `slot_seconds` after the origin."""
        return dt.datetime.combine(self.since, dt.time()) + dt.timedelta(seconds=slot_seconds)

    def label(self) -> str:
        return f"{long_date(self.since)} to {long_date(self.until)} ({self.timezone})"


def long_date(day: dt.date) -> str:
    """`1 November 2019`, the same on every platform (no `%-d`)."""
    return f"{day.day} {day:%B %Y}"


def utc_offsets(tz: ZoneInfo, start: dt.datetime, end: dt.datetime
                ) -> tuple[list[int], list[int]]:
    """The zone's offset changes between two UTC instants.

    Returns `bounds` (epoch seconds at which a new offset starts) and `offsets` (seconds east
    of UTC), `len(offsets) == len(bounds) + 1`: offset[i] holds before bounds[i]. Transitions
    are found by sampling every hour and bisecting to the second, which is exact for every
    zone in the tz database (none changes offset twice within an hour).
    """
    def offset_at(epoch: int) -> int:
        moment = dt.datetime.fromtimestamp(epoch, dt.UTC).astimezone(tz)
        delta = moment.utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    lo = int(start.timestamp())
    hi = int(end.timestamp())
    bounds: list[int] = []
    offsets = [offset_at(lo)]
    previous = lo
    for step in range(lo + HOUR, hi + HOUR, HOUR):
        current = offset_at(step)
        if current != offsets[-1]:
            a, b = previous, step  # offset(a) is the old one, offset(b) the new one
            while b - a > 1:
                middle = (a + b) // 2
                if offset_at(middle) == offsets[-1]:
                    a = middle
                else:
                    b = middle
            bounds.append(b)
            offsets.append(current)
        previous = step
    return bounds, offsets


def parse_date(value: str | dt.date | None, option: str) -> dt.date | None:
    """A `YYYY-MM-DD` option value, with an error that names the option."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date (write YYYY-MM-DD)") from None


def make_period(campaign: CampaignRow, since: dt.date | None = None,
                until: dt.date | None = None) -> Period:
    """The period to report: the campaign's dates unless narrowed by --since / --until."""
    first = since or campaign.start
    last = until or campaign.end
    if last < first:
        # Name only the options given: `report` has no --since, and a --since alone is
        # measured against the campaign's end.
        if since is not None and until is not None:
            raise InputError(f"--until {last} is before --since {first}")
        if until is not None:
            raise InputError(f"--until {last} is before the campaign's start {first}")
        if since is not None:
            raise InputError(f"--since {first} is after the campaign's end {last}")
        raise InputError(f"the campaign ends ({last}) before it starts ({first})")
    return Period(since=first, until=last, timezone=campaign.timezone,
                  since_given=since is not None, until_given=until is not None,
                  campaign_end=campaign.end)

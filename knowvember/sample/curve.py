"""When people post during the month: a weekday rhythm, office hours, and event peaks.

Library teams post in working hours on weekdays, build up over the first week, and spike on
campaign events: the launch, an evening Twitter chat, a lunchtime webinar, the wrap-up.
Weights are per hour in the campaign's timezone; counts are allocated exactly, so a sample of
N posts has N timestamps however the curve is shaped.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from knowvember.sample.campaign import Campaign

# Mon..Sun
WEEKDAY = (0.95, 1.05, 1.10, 1.0, 0.85, 0.22, 0.18)
# Local hour of day, weekdays: office hours, a lunchtime dip and an evening tail.
HOURS_WEEKDAY = (0.01, 0.005, 0.005, 0.005, 0.01, 0.03, 0.12, 0.35, 0.75, 1.0, 1.15, 1.05,
                 0.85, 0.95, 1.0, 0.9, 0.7, 0.45, 0.25, 0.2, 0.18, 0.14, 0.08, 0.03)
HOURS_WEEKEND = (0.02, 0.01, 0.005, 0.005, 0.005, 0.01, 0.03, 0.12, 0.35, 0.6, 0.8, 0.85,
                 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.5, 0.45, 0.3, 0.15, 0.06)


@dataclass(frozen=True)
class Event:
    """A campaign moment that lifts activity for a few hours."""

    key: str  # launch | chat | webinar | wrapup
    name: str
    start: dt.datetime  # local, aware
    hours: int
    boost: float  # multiplier on the hour's weight
    platforms: tuple[str, ...] = ("x", "mastodon", "bluesky")
    hashtag: str | None = None

    def covers(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.start + dt.timedelta(hours=self.hours)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    day = dt.date(year, month, 1)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return day + dt.timedelta(weeks=n - 1)


def campaign_events(campaign: Campaign) -> list[Event]:
    """The month's events, placed on the same weekdays every year."""
    tz = campaign.tz
    first = campaign.start
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    last = campaign.end
    while last.weekday() != 4:  # the last Friday
        last -= dt.timedelta(days=1)
    chat = _nth_weekday(campaign.year, 11, 2, 2)  # second Wednesday
    webinar = _nth_weekday(campaign.year, 11, 3, 3)  # third Thursday

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tz)

    return [
        Event("launch", f"{campaign.name} launch", at(first, 8), 10, 3.0),
        Event("chat", "#KNOWvemberChat on X", at(chat, 19), 2, 45.0, ("x",), "KNOWvemberChat"),
        Event("webinar", "Lunchtime webinar: Peer Assist in practice", at(webinar, 12), 2, 6.0),
        Event("wrapup", f"{campaign.name} wrap-up", at(last, 9), 8, 2.2),
    ]


@dataclass(frozen=True)
class Hour:
    start_ms: int  # UTC milliseconds
    weight: float
    event: Event | None


def hourly_curve(campaign: Campaign, platform: str, events: list[Event]) -> list[Hour]:
    """One weight per hour of the campaign window, for one platform."""
    tz = campaign.tz
    start, end = campaign.window_ms()
    days = (campaign.end - campaign.start).days + 1
    hours: list[Hour] = []
    moment = dt.datetime.fromtimestamp(start / 1000, dt.UTC)
    stop = dt.datetime.fromtimestamp(end / 1000, dt.UTC)
    while moment < stop:
        local = moment.astimezone(tz)
        day_index = (local.date() - campaign.start).days
        profile = HOURS_WEEKEND if local.weekday() >= 5 else HOURS_WEEKDAY
        # Builds over the first week, plateaus, tails off, lifts again for the last days.
        arc = min(1.0, 0.55 + 0.09 * day_index) * (1.0 - 0.15 * day_index / days)
        if day_index >= days - 2:
            arc *= 1.2
        weight = WEEKDAY[local.weekday()] * profile[local.hour] * arc
        event = None
        for candidate in events:
            if platform in candidate.platforms and candidate.covers(local):
                weight *= candidate.boost
                event = candidate
                break
        hours.append(Hour(int(moment.timestamp() * 1000), weight, event))
        moment += dt.timedelta(hours=1)
    return hours


def allocate(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split `total` into integer counts proportional to `weights`.

    Systematic sampling: `total` evenly spaced points from a random start, counted per
    hour. Every hour gets the floor or the ceiling of its share, so a quiet Sunday hour worth
    0.2 posts gets one now and then instead of never (largest-remainder rounding would give
    all the spare posts to busy hours).
    """
    whole = sum(weights)
    counts = [0] * len(weights)
    if total <= 0 or whole <= 0:
        return counts
    step = whole / total
    point = rng.random() * step
    edge = 0.0
    placed = 0
    for i, weight in enumerate(weights):
        edge += weight
        while placed < total and point < edge:
            counts[i] += 1
            placed += 1
            point += step
    counts[-1] += total - placed  # floating-point leftovers land in the last hour
    return counts


def timestamps(rng: random.Random, hours: list[Hour], counts: list[int]
               ) -> Iterator[tuple[int, Event | None]]:
    """Strictly increasing UTC millisecond timestamps: `counts[i]` within hour `i`."""
    previous = -1
    for hour, count in zip(hours, counts, strict=True):
        if not count:
            continue
        offsets = sorted(int(rng.random() * 3_600_000) for _ in range(count))
        for offset in offsets:
            ms = max(hour.start_ms + offset, previous + 1)
            previous = ms
            yield ms, hour.event

"""Small server-drawn SVG charts for the dashboard: no scripts, no images to fetch.

Each chart is geometry for a template to draw (attributes only, so the page's strict
Content-Security-Policy holds) and always comes with the same numbers as a table for people
who cannot see it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 240
LEFT = 48  # room for the value axis labels
BOTTOM = 28  # room for the day labels
TOP = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    title: str
    bars: list[Bar]
    value_ticks: list[Tick]  # horizontal grid lines (y) with their values
    label_ticks: list[Tick]  # labels under some bars (x)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def nice_step(maximum: float, lines: int = 4) -> int:
    """A round step (1, 2, 5 x 10^n) giving about `lines` grid lines up to `maximum`."""
    if maximum <= 0:
        return 1
    raw = maximum / lines
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def column_chart(title: str, points: list[tuple[str, int]], *,
                 label_every: int = 5, short_label: int | None = None) -> ColumnChart:
    """Columns for `points` (label, value) in order, e.g. posts per day."""
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - BOTTOM - TOP
    top_value = max((v for _, v in points), default=0)
    step = nice_step(top_value)
    ceiling = max(step, math.ceil(top_value / step) * step)
    slot = plot_w / max(len(points), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    labels = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / ceiling
        x = LEFT + i * slot + gap / 2
        bars.append(Bar(x=round(x, 2), y=round(TOP + plot_h - h, 2),
                        width=round(slot - gap, 2), height=round(h, 2), label=label,
                        value=value))
        if i == 0 or (i + 1) % label_every == 0:
            text = label[-short_label:] if short_label else label
            labels.append(Tick(position=round(x + (slot - gap) / 2, 2), label=text))
    ticks = [Tick(position=round(TOP + plot_h - plot_h * v / ceiling, 2), label=f"{v:,}")
             for v in range(0, ceiling + 1, step)]
    return ColumnChart(title=title, bars=bars, value_ticks=ticks, label_ticks=labels)


def daily_chart(by_day: dict[str, int], title: str = "Posts per day") -> ColumnChart:
    """Posts per local day (`YYYY-MM-DD` keys), labelled with the day of the month."""
    points = [(day, int(n)) for day, n in sorted(by_day.items())]
    return column_chart(title, points, short_label=2)

"""The seventh new-user trial: the regions chart counts posts in whole numbers.

The report's "Posts by NHS England region" chart is a chart of counts, but its axis was
matplotlib's own: a small campaign (3 posts in the North West, 1 in the Midlands) read
"0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0" posts under the bars. A region with approved stories
and no posts yet drew bars of 0 on a range from -0.05 to 0.05.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reports import charts

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "R0A"
accounts = ["x:@mftlib", "x:@mftlib2"]

[[organisations]]
code = "RWE"
accounts = ["x:@uhllib"]
"""
ROWS = ("platform,id,author_handle,created_at,text\n"
        "x,1,@mftlib,2019-11-05T10:00:00Z,#KNOWvember19 our Knowledge Café\n"
        "x,2,@mftlib,2019-11-06T10:00:00Z,#KNOWvember19 evidence search\n"
        "x,3,@mftlib2,2019-11-07T10:00:00Z,#KNOWvember19 journal club\n"
        "x,4,@uhllib,2019-11-07T11:00:00Z,#KNOWvember19 peer assist\n")


def _figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every figure drawn from here on, kept to read its axes."""
    figures: list[Any] = []
    png = charts._png

    def keep(fig: Any) -> bytes:
        figures.append(fig)
        return png(fig)

    monkeypatch.setattr(charts, "_png", keep)
    return figures


def _ticks(ax: Any) -> list[float]:
    low, high = ax.get_xlim()
    return [t for t in ax.get_xticks() if low <= t <= high]


def test_the_report_regions_chart_has_whole_numbers_of_posts(
        monkeypatch: pytest.MonkeyPatch, write_config: Callable[[str], Path],
        campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    (campaign_dir / "in.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    figures = _figures(monkeypatch)
    result = cli("report", "--format", "md")
    assert result.exit_code == 0, result.stderr
    (regions,) = [fig.axes[0] for fig in figures
                  if fig.axes and fig.axes[0].get_title() == "Posts by NHS England region"]
    ticks = _ticks(regions)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert 3 in ticks


def test_a_ranking_of_zeros_runs_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _figures(monkeypatch)
    charts.ranking(["North West", "Midlands"], [0, 0], title="Posts by NHS England region",
                   xlabel="Posts", counts=True)
    (fig,) = figures
    ticks = _ticks(fig.axes[0])
    assert min(ticks) == 0
    assert all(float(t).is_integer() for t in ticks), ticks

"""The sixth new-user trial: a techniques chart with no approved story has a clean axis.

Before any story is approved (every interim report, and campaigns that collect stories
elsewhere), the chart's "Approved stories" panel had bars of 0 on matplotlib's default range,
-0.05 to 0.05, labelled "-0.04 -0.03 ... 0.04" in a smear of overlapping decimals under it.
A panel of zeros now runs from 0 to 1, labelled 0 and 1.
"""

from __future__ import annotations

from typing import Any

import pytest

from reports import charts


def _ticks(monkeypatch: pytest.MonkeyPatch, posts: list[int], stories: list[int]
           ) -> list[list[float]]:
    """The x ticks of each panel of the techniques chart drawn for these counts."""
    figures: list[Any] = []
    png = charts._png

    def keep(fig: Any) -> bytes:
        figures.append(fig)
        return png(fig)

    monkeypatch.setattr(charts, "_png", keep)
    charts.techniques(["Peer Assist", "Retrospect"], posts, stories, ["before", "after"])
    (fig,) = figures
    return [[t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            for ax in fig.axes]


@pytest.mark.parametrize(("posts", "stories"), [([379, 12], [0, 0]), ([0, 0], [2, 1])])
def test_a_panel_of_zeros_is_labelled_in_whole_numbers_from_zero(
        monkeypatch: pytest.MonkeyPatch, posts: list[int], stories: list[int]) -> None:
    for ticks in _ticks(monkeypatch, posts, stories):
        assert ticks and min(ticks) == 0
        assert all(float(t).is_integer() for t in ticks), ticks

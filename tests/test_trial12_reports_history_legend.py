"""The seventh new-user trial: the year-on-year chart's legend covers no bar or number.

The legend sat inside the plot, top left, where the bars of an earlier, bigger campaign
reach 100% with their numbers on top: "900 80 30" ran under "Posts Contributors
Organisations". It is above the plot now, as the daily chart's is.
"""

from __future__ import annotations

from typing import Any

import pytest

from reports import charts


def test_the_legend_is_above_the_bars_and_their_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    figures: list[Any] = []
    png = charts._png

    def keep(fig: Any) -> bytes:
        figures.append(fig)
        return png(fig)

    monkeypatch.setattr(charts, "_png", keep)
    charts.history(["2023", "2024", "2025"], {"Posts": [900, 400, 300],
                                              "Contributors": [80, 60, 50],
                                              "Organisations": [30, 20, 25]})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    (fig,) = figures
    ax = fig.axes[0]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    numbers = [text.get_window_extent(renderer) for text in ax.texts]
    assert len(numbers) == 9
    assert not any(legend.overlaps(box) for box in numbers)
    assert not any(legend.overlaps(bar.get_window_extent(renderer)) for bar in ax.patches)
    assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1
    assert not legend.overlaps(ax.title.get_window_extent(renderer))

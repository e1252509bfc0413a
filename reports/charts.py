"""The report's charts: matplotlib (Agg), one consistent look, readable on A4.

Every chart has a title, labelled axes with units, and the Okabe-Ito palette (safe for the
common kinds of colour blindness). Rankings are horizontal bars of the top N so that 30 or
300 organisations never overlap their labels; long names are shortened with an ellipsis.
Each function returns PNG bytes; `Chart` keeps them with the title and alt text the
documents need.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
PLATFORM_COLOURS = {"x": OKABE_ITO["blue"], "mastodon": OKABE_ITO["orange"],
                    "bluesky": OKABE_ITO["sky"], "other": OKABE_ITO["purple"]}
PHASE_COLOURS = {"before": OKABE_ITO["green"], "during": OKABE_ITO["blue"],
                 "after": OKABE_ITO["vermillion"], "": "#999999"}
WIDTH_IN = 7.0  # fits A4 portrait with margins; 150 dpi keeps 9 pt text sharp in print
DPI = 150
LABEL_CHARS = 38

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


@dataclass(frozen=True)
class Chart:
    """One rendered chart: file stem, title, a text alternative and the PNG bytes."""

    name: str
    title: str
    alt: str
    png: bytes


_SUFFIXES = (" NHS Foundation Trust", " NHS Trust", " NHS FT", " Foundation Trust")


@functools.cache
def _font_chars() -> frozenset[int]:
    """The code points the charts' font has glyphs for."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont(_STYLE["font.family"])).get_charmap())


def drawable(text: str) -> str:
    """`text` as the charts can draw it: characters the font has no glyph for (emoji, flags,
    the joiners and selectors between them) left out rather than drawn as empty boxes with
    a Python warning on the coordinator's screen, and `$` shown as itself, not read as the
    start of a formula. A name with nothing drawable left is "?"."""
    return _drawn(text).replace("$", r"\$") or "?"


def _drawn(text: str) -> str:
    chars = _font_chars()
    return " ".join("".join(_glyph(ch, chars) for ch in text).split())


def _glyph(ch: str, chars: frozenset[int]) -> str:
    """One character of a label: itself when drawable; nothing for an invisible format or
    combining character (a zero-width space, a joiner, a bidi override: words stay whole);
    a space for a picture (an emoji between words). A styled letter the font lacks
    (mathematical bold "𝐊", fullwidth, circled) is drawn as the plain letter it stands for,
    as in the PDF: "𝐊𝐍𝐎𝐖𝐯𝐞𝐦𝐛𝐞𝐫 Library" was labelled "Library"."""
    kind = unicodedata.category(ch)
    if kind == "Cf":
        return ""
    if ord(ch) in chars:
        return ch
    if (plain := plain_letters(ch, chars)) is not None:
        return plain
    return "" if kind[0] in "CM" else " "


def plain_letters(ch: str, glyphs: set[int] | frozenset[int]) -> str | None:
    """The plain letters a styled one stands for (NFKC), when the font has them.

    "Fancy text" generators write names and posts in mathematical bold or script letters
    ("𝐉𝐚𝐧𝐞 𝐒𝐦𝐢𝐭𝐡", "𝓚𝓝𝓞𝓦𝓿𝓮𝓶𝓫𝓮𝓻"), fullwidth or circled ones: no common font has them,
    so a display name printed as "?????????" and a circled one was left out as a picture.
    None when there is no plainer form, or the font lacks that too.
    """
    plain = unicodedata.normalize("NFKC", ch)
    if plain == ch or not plain.strip() or not all(ord(c) in glyphs for c in plain):
        return None
    return plain


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """A label the chart can draw, cut with an ellipsis at `limit` characters."""
    text = _drawn(text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return drawable(text)


def short_name(name: str, limit: int = LABEL_CHARS) -> str:
    """An organisation's name for a chart label: without the "NHS Foundation Trust" tail
    every trust shares (the tables keep full names), then shortened."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 3:
            name = name[: -len(suffix)]
            break
    return shorten(name, limit)


def _counts(axis: Any) -> None:
    """Whole numbers only on an axis of counts (no "2.5 posts")."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _figure(height: float, left: float = 0.7, bottom: float = 0.5, top: float = 0.35,
            right: float = 0.15) -> tuple[Figure, Axes]:
    """A figure with margins in inches (fixed margins: a layout engine doubles the cost)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height))
    fig.subplots_adjust(left=left / WIDTH_IN, right=1 - right / WIDTH_IN,
                        bottom=bottom / height, top=1 - top / height)
    ax = fig.add_subplot()
    return fig, ax


def _label_inches(labels: Sequence[str], size: float = 8) -> float:
    """Roughly how wide the longest tick label is, for the left margin."""
    longest = max((len(label) for label in labels), default=4)
    return 0.25 + longest * size * 0.56 / 72


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Labels pass through `drawable`; any other text's missing glyph is no reason to
        # print a Python warning, with its source line, under a report run.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig.savefig(buffer, format="png", metadata={"Software": None},
                    pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _styled(fn: Any) -> Any:
    """Run a chart function inside the shared rc style."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        matplotlib.use("Agg", force=False)  # no display, ever (cron, servers)
        with matplotlib.rc_context(_STYLE):
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _date_axis(ax: Axes, days: Sequence[dt.date]) -> None:
    from matplotlib import dates as mdates

    ax.set_xlabel("Day (campaign timezone)")
    if days:
        half = dt.timedelta(hours=14)
        ax.set_xlim(mdates.date2num(days[0] - half), mdates.date2num(days[-1] + half))
    if len(days) > 14:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(len(days) // 10, 1)))
    else:
        ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


@_styled
def daily_by_platform(days: Sequence[dt.date], counts: dict[str, Sequence[int]],
                      title: str = "Posts per day by platform") -> bytes:
    """Stacked daily bars, one colour per platform."""
    import numpy as np

    fig, ax = _figure(3.0, top=0.5)
    bottom = np.zeros(len(days))
    for platform, values in counts.items():
        values = np.asarray(values, dtype=float)
        if not values.any():
            continue
        ax.bar(days, values, bottom=bottom, width=0.8, label=platform_label(platform),
               color=PLATFORM_COLOURS.get(platform, OKABE_ITO["purple"]))
        bottom += values
    ax.set_title(title, pad=18 if len(counts) > 1 else 6)
    ax.set_ylabel("Posts per day")
    _counts(ax.yaxis)
    _date_axis(ax, days)
    ax.grid(axis="x", visible=False)
    if len(counts) > 1:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(counts),
                  borderaxespad=0.2)
    return _png(fig)


@_styled
def cumulative(days: Sequence[dt.date], series: dict[str, Sequence[int]],
               title: str = "Cumulative posts") -> bytes:
    import numpy as np

    fig, ax = _figure(2.8)
    colours = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"]]
    styles = ["-", "--", ":"]  # lines that coincide (every post original) stay visible
    for (label, values), colour, style in zip(series.items(), colours, styles, strict=False):
        ax.plot(days, np.cumsum(values), label=label, color=colour, linewidth=2,
                linestyle=style)
    ax.set_title(title)
    ax.set_ylabel("Posts so far")
    ax.set_ylim(bottom=0)
    _counts(ax.yaxis)
    _date_axis(ax, days)
    ax.legend(loc="upper left")
    return _png(fig)


@_styled
def by_hour(counts: Sequence[int], title: str = "Posts by hour of day") -> bytes:
    fig, ax = _figure(2.4)
    ax.bar(range(24), counts, color=OKABE_ITO["blue"], width=0.8)
    ax.set_title(title)
    ax.set_xlabel("Hour of day (campaign timezone)")
    ax.set_ylabel("Posts")
    _counts(ax.yaxis)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}:00" for h in range(0, 24, 2)])
    ax.grid(axis="x", visible=False)
    return _png(fig)


@_styled
def ranking(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str,
            colour: str = OKABE_ITO["blue"], highlight: Sequence[bool] | None = None,
            counts: bool = False) -> bytes:
    """Horizontal bars, best at the top; height grows with the number of rows.

    `counts`: the values are counts (posts), so the axis is in whole numbers; the regions
    chart of a small campaign was marked "0.5, 1.5, 2.5" posts, which no region can have.
    """
    shown = [short_name(label) for label in labels]
    fig, ax = _figure(max(1.6, 0.9 + 0.24 * len(labels)), left=_label_inches(shown),
                      right=0.45)
    positions = list(range(len(labels)))[::-1]
    colours = [OKABE_ITO["orange"] if highlight and highlight[i] else colour
               for i in range(len(labels))]
    ax.barh(positions, values, color=colours, height=0.7)
    ax.set_yticks(positions, shown)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.margins(y=0.01)
    if counts:
        _counts(ax.xaxis)
    if not any(values):
        # Bars of 0 (a region with approved stories and no posts yet): matplotlib's own
        # range, -0.05 to 0.05, was labelled with a smear of decimals, half of them below 0.
        ax.set_xlim(0, 1)
    for y, value in zip(positions, values, strict=True):
        # As the tables print it (scores to two decimals), so chart and table agree.
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        ax.annotate(text, (value, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7)
    return _png(fig)


@_styled
def techniques(names: Sequence[str], posts: Sequence[int], stories: Sequence[int],
               phases: Sequence[str], title: str = "Techniques mentioned") -> bytes:
    """Posts and approved stories per technique, bars coloured by learning phase."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    shown = [shorten(n, 30) for n in names]
    height = max(2.1, 1.2 + 0.26 * len(names))
    fig = Figure(figsize=(WIDTH_IN, height))
    fig.subplots_adjust(left=_label_inches(shown) / WIDTH_IN, right=1 - 0.2 / WIDTH_IN,
                        bottom=0.5 / height, top=1 - 0.62 / height, wspace=0.08)
    ax_posts, ax_stories = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1])
    positions = np.arange(len(names))[::-1]
    colours = [PHASE_COLOURS.get(p, "#999999") for p in phases]
    ax_posts.barh(positions, posts, color=colours, height=0.7)
    ax_stories.barh(positions, stories, color=colours, height=0.7, alpha=0.75)
    ax_posts.set_yticks(positions, shown)
    ax_posts.set_xlabel("Posts mentioning it")
    ax_stories.set_xlabel("Approved stories")
    for ax, values in ((ax_posts, posts), (ax_stories, stories)):
        ax.grid(axis="y", visible=False)
        _counts(ax.xaxis)
        if not any(values):
            # All zero (no story approved yet, common in an interim report): matplotlib's
            # own range, -0.05 to 0.05, was labelled with a smear of overlapping decimals.
            ax.set_xlim(0, 1)
    fig.suptitle(title, fontweight="bold", fontsize=11, y=1 - 0.06 / height, va="top")
    used = [p for p in ("before", "during", "after") if p in phases]
    if used:
        fig.legend(handles=[Patch(color=PHASE_COLOURS[p], label=f"learning {p}")
                            for p in used], loc="upper right", ncols=len(used),
                   bbox_to_anchor=(1 - 0.2 / WIDTH_IN, 1 - 0.3 / height))
    return _png(fig)


@_styled
def history(labels: Sequence[str], metrics: dict[str, Sequence[int]],
            title: str = "Campaign by campaign") -> bytes:
    """Grouped bars per campaign year, each metric relative to its own largest value."""
    import numpy as np

    fig, ax = _figure(2.8, top=0.5)
    width = 0.8 / max(len(metrics), 1)
    colours = list(OKABE_ITO.values())
    x = np.arange(len(labels))
    for i, (name, values) in enumerate(metrics.items()):
        values = np.asarray(values, dtype=float)
        peak = values.max() or 1.0
        bars = ax.bar(x + i * width, values / peak * 100, width, label=name, color=colours[i])
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(f"{value:,.0f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        xytext=(0, 2), textcoords="offset points", ha="center", fontsize=6)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, [shorten(label, 20) for label in labels])
    ax.set_ylabel("% of the best campaign")
    ax.set_xlabel("Campaign")
    ax.set_ylim(0, 118)
    ax.set_title(title, pad=20)
    # Above the plot, as the daily chart's: inside it, the legend sat over the bars of the
    # best campaign and their numbers (an earlier year that was bigger hid "900 80 30").
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(metrics),
              borderaxespad=0.2)
    ax.grid(axis="x", visible=False)
    return _png(fig)


@_styled
def network(graph: nx.Graph, *, title: str = "Connections between organisations",
            max_nodes: int = 60, max_edges: int = 150, labels: int = 15) -> bytes:
    """The strongest part of the organisation network, laid out by networkx.

    Drawn: the `max_nodes` best-connected organisations and the `max_edges` strongest links
    between them (the GEXF/GraphML files hold everything). The `labels` best-connected
    carry their code, each placed beside its node and skipped where it would cover a label
    already placed, so no two labels overlap.
    """
    import networkx as nx
    import numpy as np

    fig, ax = _figure(5.4, left=0.1, right=0.1, bottom=0.45, top=0.35)
    undirected = nx.Graph()
    for u, v, attrs in graph.edges(data=True):
        weight = attrs.get("weight", 1) + (undirected[u][v]["weight"]
                                           if undirected.has_edge(u, v) else 0)
        undirected.add_edge(u, v, weight=weight)
    strength = dict(undirected.degree(weight="weight"))
    keep = sorted(strength, key=lambda n: (-strength[n], n))[:max_nodes]
    sub = undirected.subgraph(keep)
    ax.set_title(title)
    ax.set_axis_off()
    if not sub.number_of_nodes():
        ax.text(0.5, 0.5, "No connections between organisations yet", ha="center",
                va="center", transform=ax.transAxes)
        return _png(fig)
    position = nx.spring_layout(sub, weight="weight", seed=7, iterations=80)
    strongest = sorted(sub.edges(data="weight"), key=lambda e: (-e[2], e[0], e[1]))
    strongest = strongest[:max_edges]
    weights = np.array([w for _, _, w in strongest], dtype=float)
    widths = 0.4 + 3.0 * np.log1p(weights) / max(float(np.log1p(weights).max()), 1e-9) \
        if len(weights) else []
    nx.draw_networkx_edges(sub, position, ax=ax, edgelist=[(u, v) for u, v, _ in strongest],
                           width=widths, alpha=0.45, edge_color=OKABE_ITO["sky"])
    sizes = np.array([strength[n] for n in sub.nodes()], dtype=float)
    sizes = 30 + 370 * np.sqrt(sizes / max(sizes.max(), 1))
    out_of_scope = [graph.nodes[n].get("out_of_scope", False) for n in sub.nodes()]
    colours = [OKABE_ITO["orange"] if o else OKABE_ITO["blue"] for o in out_of_scope]
    nx.draw_networkx_nodes(sub, position, ax=ax, node_size=sizes, node_color=colours,
                           edgecolors="white", linewidths=0.8)
    _place_labels(ax, position, keep[:labels])
    ax.text(0.0, -0.02, f"Nodes: organisations, sized by interactions "
            f"({sub.number_of_nodes()} of {graph.number_of_nodes()} shown). Lines: the "
            f"{len(strongest)} strongest links\n(replies, reposts, quotes and mentions "
            "between their people).", transform=ax.transAxes, fontsize=7, color="#444444",
            va="top")
    return _png(fig)


def _place_labels(ax: Axes, position: dict[Any, Any], names: Sequence[str]) -> None:
    """Codes beside their nodes, best-connected first, never on top of one another."""
    xs = [float(p[0]) for p in position.values()]
    ys = [float(p[1]) for p in position.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    placed: list[tuple[float, float, float, float]] = []
    for name in names:
        x, y = (float(v) for v in position[name])
        width = span_x * (0.012 * len(name) + 0.02)  # about 7 pt per character at this size
        height = span_y * 0.05
        for dx, dy in ((0.0, 0.045), (0.0, -0.045), (0.05, 0.0), (-0.05, 0.0)):
            cx, cy = x + dx * span_x, y + dy * span_y
            box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for b in placed):
                placed.append(box)
                ax.text(cx, cy, drawable(name), ha="center", va="center", fontsize=7,
                        fontweight="bold", bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                                 "ec": "none", "alpha": 0.85})
                break


def platform_label(platform: str) -> str:
    return {"x": "X (Twitter)", "mastodon": "Mastodon", "bluesky": "Bluesky"}.get(
        platform, platform.title())

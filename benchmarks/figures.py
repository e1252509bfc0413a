"""Figures, their targets, and the table and JSON they are reported as.

A figure is one measured number with its unit, the target it is held to (None: reported
for information), its ratio to the sqlite3 baseline where that means something, and the
details that explain it (every run's seconds, counts, peak RSS).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import operator
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Targets on a 2-core machine at 1,000,000 posts on SQLite (issue 8).
IMPORT_POSTS_PER_S = 60_000
IMPORT_VS_BASELINE = 0.3
IMPORT_RSS_MB = 500
REIMPORT_SPEEDUP = 3.0
REPORT_SECONDS = 20.0
REPORT_RSS_MB = 1536
QUERY_SECONDS = 3.0
HELP_SECONDS = 0.3

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<": operator.lt, "<=": operator.le, ">": operator.gt,
}


@dataclass(frozen=True)
class Target:
    op: str
    bound: float
    unit: str = ""

    def met(self, value: float) -> bool:
        return _OPS[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.op} {_number(self.bound)}{_unit(self.unit)}"


@dataclass
class Figure:
    """One line of the table."""

    key: str
    label: str
    value: float | None
    unit: str
    targets: list[Target] = field(default_factory=list)
    ratio: float | None = None  # to the baseline
    ratio_target: float | None = None  # the ratio must reach this too
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why the figure was not measured
    problems: list[str] = field(default_factory=list)  # correctness failures

    @property
    def passed(self) -> bool | None:
        """True/False against the targets; None when there is nothing to judge."""
        if self.skipped:
            return None
        if self.problems:
            return False
        if not self.targets and self.ratio_target is None:
            return None
        ok = self.value is not None and all(t.met(self.value) for t in self.targets)
        if self.ratio_target is not None:
            ok = ok and self.ratio is not None and self.ratio >= self.ratio_target
        return ok

    def target_text(self) -> str:
        parts = [str(t) for t in self.targets]
        if self.ratio_target is not None:
            parts.append(f">= {self.ratio_target:g}x baseline")
        return " and ".join(parts) or "-"

    def value_text(self) -> str:
        if self.skipped:
            return "skipped"
        if self.value is None:
            return "-"
        return f"{_number(self.value)}{_unit(self.unit)}"

    def result_text(self) -> str:
        if self.skipped:
            return "skipped"
        passed = self.passed
        return {True: "pass", False: "FAIL", None: "info"}[passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "figure": self.label,
            "value": self.value,
            "unit": self.unit,
            "target": self.target_text(),
            "ratio_to_baseline": None if self.ratio is None else round(self.ratio, 4),
            "passed": self.passed,
            "result": self.result_text(),
            "skipped": self.skipped,
            "problems": self.problems,
            "details": self.details,
        }


def _unit(unit: str) -> str:
    return f" {unit}" if unit and unit != "x" else unit


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width text table."""
    header = ("figure", "value", "target", "vs baseline", "result")
    rows = [header]
    for f in figures:
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        rows.append((f.label, f.value_text(), f.target_text(), ratio, f.result_text()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]),
                 row[3].rjust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    """Where the figures were measured, so a reader can compare like with like."""
    import os
    import sqlite3

    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return info


def report_json(figures: list[Figure], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        **meta,
        "environment": environment(),
        "figures": [f.to_json() for f in figures],
        "all_passed": all(f.passed is not False for f in figures),
        "problems": [f"{f.key}: {p}" for f in figures for p in f.problems],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

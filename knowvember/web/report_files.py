"""The latest report's files (`[reports] out_dir`), listed and served to coordinators.

Only files under that folder, with a report's extensions, not hidden, and not through a
symlink pointing elsewhere: a request can never reach any other file on the server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings

KINDS = {
    ".html": "Web page (HTML)",
    ".pdf": "PDF document",
    ".md": "Markdown (for a blog post)",
    ".xlsx": "Excel workbook",
    ".csv": "CSV data",
    ".png": "Chart image (PNG)",
    ".svg": "Chart image (SVG)",
    ".gexf": "Network for Gephi (GEXF)",
    ".graphml": "Network (GraphML)",
    ".json": "Data (JSON)",
}
MAX_DEPTH = 2  # the report folder and one level below (per-organisation pages)
MAX_FILES = 2000


@dataclass(frozen=True)
class ReportFile:
    name: str  # relative to the report folder, with `/`
    size: int
    modified: dt.datetime
    kind: str


def report_dir(settings: Settings) -> Path:
    return settings.resolve(settings.reports.out_dir)


def list_report_files(settings: Settings) -> list[ReportFile]:
    """The report folder's files, top level first, newest first within a folder."""
    root = report_dir(settings)
    if not root.is_dir():
        return []
    base = root.resolve()
    found: list[ReportFile] = []
    for path in _walk(root, 1):
        resolved = path.resolve()
        if not resolved.is_relative_to(base) or path.suffix.lower() not in KINDS:
            continue
        stat = resolved.stat()
        found.append(ReportFile(
            name=path.relative_to(root).as_posix(), size=stat.st_size,
            modified=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
            kind=KINDS[path.suffix.lower()],
        ))
        if len(found) >= MAX_FILES:
            break
    found.sort(key=lambda f: (f.name.count("/"), -f.modified.timestamp(), f.name))
    return found


def _walk(folder: Path, depth: int) -> list[Path]:
    paths: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return paths
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and depth < MAX_DEPTH:
            paths.extend(_walk(entry, depth + 1))
        elif entry.is_file():
            paths.append(entry)
    return paths


def find_report_file(settings: Settings, name: str) -> Path | None:
    """The file `name` in the report folder, or None for anything else."""
    parts = PurePosixPath(name).parts
    if (not parts or len(parts) > MAX_DEPTH or "\\" in name or "\x00" in name
            or any(p in ("..", ".") or p.startswith(".") for p in parts)
            or PurePosixPath(name).is_absolute()):
        return None
    root = report_dir(settings)
    path = root.joinpath(*parts)
    if path.suffix.lower() not in KINDS:
        return None
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
        return None
    return resolved

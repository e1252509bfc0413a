"""The benchmark's data: a generated sample whose twarc2 file holds exactly N posts.

The sample generator (`knowvember.sample`) writes X as twarc2 JSONL and Mastodon/Bluesky as
API pages. The import figure is about one twarc2 file of N posts, so the X share is set to N
and the federated platforms get a small extra share on top (they import as many small page
files, a different shape of work, measured as a figure of its own). The generator is
deterministic, so a folder already holding the same spec is reused rather than rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FEDIVERSE_SHARE = 0.05  # of N, for each of Mastodon and Bluesky
YEAR = 2025
SEED = 1


@dataclass(frozen=True)
class Data:
    """The files to import and what an import of them should store."""

    folder: Path
    config: Path
    x_file: Path
    mastodon_files: tuple[Path, ...]
    bluesky_files: tuple[Path, ...]
    manifest: dict[str, Any]
    seconds: float  # spent generating (0 when reused)
    reused: bool

    def platform(self, name: str) -> dict[str, Any]:
        return dict(self.manifest.get("platforms", {}).get(name, {}))

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The campaign's first and last-plus-one instant, as the config defines them."""
        from knowvember.config import load_settings

        return load_settings(self.config).campaign.window_utc()

    @property
    def x_posts(self) -> int:
        return int(self.platform("x").get("posts", 0))

    @property
    def fediverse_posts(self) -> int:
        return sum(int(self.platform(p).get("posts", 0)) for p in ("mastodon", "bluesky"))


def shares(posts: int, fediverse_share: float) -> dict[str, float]:
    extra = round(posts * fediverse_share)
    out = {"x": float(posts)}
    if extra:
        out.update(mastodon=float(extra), bluesky=float(extra))
    return out


def _spec(posts: int, fediverse_share: float):  # type: ignore[no-untyped-def]
    from knowvember.sample import SampleSpec

    wanted = shares(posts, fediverse_share)
    spec = SampleSpec(posts=int(sum(wanted.values())), year=YEAR, seed=SEED, shares=wanted)
    got = spec.posts_by_platform()
    if got.get("x") != posts:
        raise RuntimeError(f"the sample would hold {got.get('x')} X posts, not {posts}")
    return spec


def _load(folder: Path) -> Data:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    return Data(
        folder=folder,
        config=folder / files["config"],
        x_file=folder / files["x"][0],
        mastodon_files=tuple(folder / name for name in files.get("mastodon", [])),
        bluesky_files=tuple(folder / name for name in files.get("bluesky", [])),
        manifest=manifest,
        seconds=0.0,
        reused=True,
    )


def _matches(folder: Path, spec: Any) -> bool:
    try:
        data = _load(folder)
    except (OSError, ValueError, KeyError, IndexError):
        return False
    saved = data.manifest.get("spec", {})
    if (saved.get("posts"), saved.get("year"), saved.get("seed")) != (
            spec.posts, spec.year, spec.seed):
        return False
    if saved.get("shares") != spec.platform_shares():
        return False
    paths = [data.config, data.x_file, *data.mastodon_files, *data.bluesky_files]
    return all(p.is_file() for p in paths)


def prepare(folder: Path, posts: int, fediverse_share: float = FEDIVERSE_SHARE) -> Data:
    """The sample in `folder`: reused when it already holds this spec, else generated."""
    spec = _spec(posts, fediverse_share)
    if _matches(folder, spec):
        log.info("reusing the sample in %s", folder)
        return _load(folder)
    from knowvember.sample import generate_sample

    log.info("generating %s posts into %s", f"{spec.posts:,}", folder)
    started = time.perf_counter()
    generate_sample(folder, spec)
    seconds = time.perf_counter() - started
    data = _load(folder)
    return Data(**{**data.__dict__, "seconds": seconds, "reused": False})

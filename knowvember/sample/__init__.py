"""A realistic, made-up KNOWvember campaign in the platforms' real payload shapes.

`generate_sample(folder, SampleSpec(posts=N, year=Y, seed=S))` writes twarc2 JSONL for X,
Mastodon tag timeline pages from several instances, Bluesky searchPosts pages, a Microsoft
Forms story export, a matching campaign.toml and a manifest of what was written. The same
spec always gives byte-identical files. It streams: a million posts need little memory.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowvember.errors import InputError
from knowvember.sample.campaign import (
    COLLECTED_INSTANCES,
    Campaign,
    SampleSpec,
    default_shares,
    parse_shares,
)
from knowvember.sample.config import campaign_toml
from knowvember.sample.curve import campaign_events
from knowvember.sample.people import People
from knowvember.sample.posts import PlatformStats
from knowvember.sample.stories import StoryPlan, write_stories

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
X_FILE = "x_search.jsonl"
STORIES_FILE = "stories.csv"
CONFIG_FILE = "campaign.toml"
GENERATOR = "knowvember.sample"
PARALLEL_FROM = 200_000  # below this, starting processes costs more than it saves

__all__ = ["COLLECTED_INSTANCES", "Campaign", "Sample", "SampleSpec", "default_shares",
           "generate_sample", "parse_shares"]


@dataclass
class Sample:
    """What `generate_sample` wrote, with the counts an import of it should give."""

    folder: Path
    spec: SampleSpec
    x_file: Path | None = None
    mastodon_files: list[Path] = field(default_factory=list)
    bluesky_files: list[Path] = field(default_factory=list)
    stories_file: Path | None = None
    config_file: Path | None = None
    manifest_file: Path | None = None
    stats: dict[str, PlatformStats] = field(default_factory=dict)
    stories: list[StoryPlan] = field(default_factory=list)
    people: People | None = None

    @property
    def campaign(self) -> Campaign:
        return self.spec.campaign

    def files(self) -> list[Path]:
        out = [p for p in (self.x_file, self.stories_file, self.config_file,
                           self.manifest_file) if p is not None]
        return [*out, *self.mastodon_files, *self.bluesky_files]

    def manifest(self) -> dict[str, Any]:
        spec, campaign = self.spec, self.campaign
        people = self.people
        assert people is not None
        decisions: dict[str, int] = {}
        for plan in self.stories:
            decisions[plan.decision] = decisions.get(plan.decision, 0) + 1
        return {
            "generator": GENERATOR,
            "format": 1,
            "spec": {"posts": spec.posts, "year": spec.year, "seed": spec.seed,
                     "shares": spec.platform_shares(), "stories": spec.story_count()},
            "campaign": {"name": campaign.name, "slug": campaign.slug,
                         "hashtags": list(campaign.hashtags),
                         "variants": list(campaign.variants),
                         "start": campaign.start.isoformat(), "end": campaign.end.isoformat(),
                         "timezone": campaign.timezone},
            "events": [{"key": e.key, "name": e.name, "start": e.start.isoformat(),
                        "hours": e.hours, "platforms": list(e.platforms)}
                       for e in campaign_events(campaign)],
            "files": {
                "x": [self.x_file.name] if self.x_file else [],
                "mastodon": [p.name for p in self.mastodon_files],
                "bluesky": [p.name for p in self.bluesky_files],
                "stories": self.stories_file.name if self.stories_file else None,
                "config": self.config_file.name if self.config_file else None,
            },
            "platforms": {name: stats.to_json() for name, stats in self.stats.items()},
            "campaign_posts": sum(s.campaign for s in self.stats.values()),
            "off_campaign_posts": sum(s.noise for s in self.stats.values()),
            "organisations": [o.code for o in people.orgs],
            "accounts": {
                "total": len(people.accounts),
                "by_voice": _count(a.voice for a in people.accounts),
                "by_platform": {p: len(people.on(p)) for p in ("x", "mastodon", "bluesky")},
                # As campaign.toml excludes them: where they have a campaign post.
                "opted_out": [f"{p}:{a.handle(p)}" for a in people.accounts if a.opted_out
                              for p in ("x", "mastodon", "bluesky") if a.on(p)
                              and p in self.stats and a.idx in self.stats[p].campaign_authors],
            },
            "stories": {
                "rows": len(self.stories),
                "decisions": decisions,
                "consented": sum(p.consent for p in self.stories),
                "review": [{"id": p.response_id, "decision": p.decision, "note": p.note}
                           for p in self.stories],
            },
        }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def _prepare(folder: Path) -> None:
    """Make `folder` ready: new, empty, or an earlier sample whose files are removed."""
    if folder.exists() and not folder.is_dir():  # "FILE: File exists" said nothing more
        raise InputError(f"{folder} is a file; choose a folder for the sample (--out DIR)")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("generator") != GENERATOR:
            raise InputError(f"{folder} holds a {MANIFEST} that is not a knowvember sample; "
                             "choose another folder")
        if old.get("in_progress"):
            _remove_unfinished(folder)
            return
        files = old.get("files", {})
        names = [*files.get("x", []), *files.get("mastodon", []), *files.get("bluesky", []),
                 files.get("stories"), files.get("config"), MANIFEST]
        for name in filter(None, names):
            if "/" not in name and "\\" not in name:
                (folder / name).unlink(missing_ok=True)
        return
    clashes = [p.name for p in (folder / X_FILE, folder / STORIES_FILE, folder / CONFIG_FILE)
               if p.exists()]
    clashes += [p.name for p in folder.glob("mastodon_*.jsonl")]
    clashes += [p.name for p in folder.glob("bluesky_search*.jsonl")]
    if clashes:
        raise InputError(f"{folder} already holds {', '.join(sorted(clashes)[:3])}, not from "
                         "a knowvember sample; choose an empty folder")


def _sample_files(folder: Path) -> list[Path]:
    """What a sample writes into `folder`, finished or not (its spools and part files too)."""
    found = [folder / name for name in (X_FILE, STORIES_FILE, CONFIG_FILE)]
    for pattern in ("mastodon_*.jsonl", "bluesky_search*.jsonl", ".spool-*", ".x-part-*"):
        found += folder.glob(pattern)
    return found


def _remove_unfinished(folder: Path) -> None:
    """Remove what a sample stopped part-way (Ctrl-C, killed) left, before writing anew."""
    for path in _sample_files(folder):
        path.unlink(missing_ok=True)


def _mark_in_progress(folder: Path) -> None:
    """A manifest saying the sample is being written, replaced by the real one at the end.

    A sample stopped part-way (Ctrl-C on a big one, a full disk) left its files without a
    manifest, and the next `sample --out` into the folder refused them as "not from a
    knowvember sample": the coordinator had to find and delete them by hand.
    """
    (folder / MANIFEST).write_text(
        json.dumps({"generator": GENERATOR, "format": 1, "in_progress": True}) + "\n",
        encoding="utf-8")


def generate_sample(folder: Path, spec: SampleSpec | None = None, *,
                    database: str = "knowvember.db", workers: int | None = None) -> Sample:
    """Write the sample into `folder` (created; an earlier sample there is replaced).

    `workers` processes share the work (default: up to 2 for large samples, none for small
    ones); the files are byte-identical whatever the number.
    """
    spec = spec or SampleSpec()
    folder = Path(folder)
    _prepare(folder)
    _mark_in_progress(folder)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if spec.posts >= PARALLEL_FROM else 1
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived tuples and no cycles: the collector only costs
    try:
        return _generate(folder, spec, database, max(1, workers))
    finally:
        if collecting:
            gc.enable()


def _drop_files_without_posts(sample: Sample) -> None:
    """Remove the platform files a small sample left without a post (`--posts 0`, or an
    instance no post reached): `knowvember import` rightly refuses a file with no posts as
    the wrong file, so the sample must not offer one."""
    def posts(platform: str) -> int:
        stats = sample.stats.get(platform)
        return stats.posts if stats is not None else 0

    if sample.x_file is not None and not posts("x"):
        sample.x_file.unlink(missing_ok=True)
        sample.x_file = None
    mastodon = sample.stats.get("mastodon")
    kept = []
    for path in sample.mastodon_files:
        host = path.stem.removeprefix("mastodon_")
        if mastodon is not None and mastodon.statuses_by_instance.get(host, 0):
            kept.append(path)
        else:
            path.unlink(missing_ok=True)
    sample.mastodon_files = kept
    if not posts("bluesky"):
        for path in sample.bluesky_files:
            path.unlink(missing_ok=True)
        sample.bluesky_files = []


def _generate(folder: Path, spec: SampleSpec, database: str, workers: int) -> Sample:
    from knowvember.sample import build

    campaign = spec.campaign
    people = build.people_for(spec)
    sample = Sample(folder=folder, spec=spec, people=people)
    platforms = spec.posts_by_platform()
    with build.Runner(workers) as runner:
        others = {p: runner.submit(build.platform_job, folder, spec, p)
                  for p in platforms if p != "x"}
        if "x" in platforms:
            sample.x_file = folder / X_FILE
            sample.stats["x"] = build.write_x(folder, spec, people, platforms["x"], runner,
                                              sample.x_file)
        for platform, future in others.items():
            stats, files = future.result()
            sample.stats[platform] = stats
            if platform == "mastodon":
                sample.mastodon_files = files
            else:
                sample.bluesky_files = files
    sample.stats = {p: sample.stats[p] for p in platforms}
    _drop_files_without_posts(sample)
    sample.stories_file = folder / STORIES_FILE
    sample.stories = write_stories(sample.stories_file, campaign, people, spec.story_count(),
                                   spec.seed)
    sample.config_file = folder / CONFIG_FILE
    posted = {p: stats.campaign_authors for p, stats in sample.stats.items()}
    sample.config_file.write_text(campaign_toml(campaign, people, database=database,
                                                posted=posted), encoding="utf-8")
    sample.manifest_file = folder / MANIFEST
    sample.manifest_file.write_text(json.dumps(sample.manifest(), indent=2,
                                               ensure_ascii=False) + "\n", encoding="utf-8")
    return sample

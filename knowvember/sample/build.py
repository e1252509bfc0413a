"""Running the generators and writers, in worker processes when a sample is large.

Mastodon and Bluesky are generated and written by one job each; X is generated in the
calling process, then its spool is rendered in segments, several at once, into part files
joined in order. Every job rebuilds what it needs from the spec (people come from the seed),
so no job depends on which process runs it, and the bytes never depend on `workers`.
"""

from __future__ import annotations

import gc
import os
import random
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from knowvember.sample.campaign import SampleSpec
from knowvember.sample.people import People, build_people
from knowvember.sample.posts import Generator, PlatformStats, Spool, read_newest_first

SEGMENT = 100_000  # X records rendered per job
T = TypeVar("T")


def people_for(spec: SampleSpec) -> People:
    return build_people(spec.campaign, spec.posts, random.Random(f"{spec.seed}:people"),
                        tuple(spec.posts_by_platform()))


class _Done(Future[Any]):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.set_result(value)


class Runner:
    """A process pool, or the calling process itself when `workers` is 1."""

    def __init__(self, workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1:
            import multiprocessing

            self.pool = ProcessPoolExecutor(workers,
                                            mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self.pool is None:
            return _Done(fn(*args))
        return self.pool.submit(_quiet, fn, *args)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _quiet(fn: Callable[..., T], *args: Any) -> T:
    gc.disable()
    return fn(*args)


def platform_job(folder: Path, spec: SampleSpec, platform: str
                 ) -> tuple[PlatformStats, list[Path]]:
    """Generate and write all of Mastodon or Bluesky."""
    from knowvember.sample.bluesky import BlueskyWriter
    from knowvember.sample.mastodon import MastodonWriter

    people = people_for(spec)
    total = spec.posts_by_platform()[platform]
    spool = Spool(folder / f".spool-{platform}")
    try:
        stats = Generator(spec.campaign, people, platform, total, spec.seed, spool).run()
        if platform == "mastodon":
            files = MastodonWriter(spec.campaign, people).write(spool, folder,
                                                                spec.mastodon_page_size)
        else:
            files = BlueskyWriter(spec.campaign, people, spec.seed).write(
                spool, folder, spec.bluesky_page_size)
    finally:
        spool.remove()
    return stats, files


def x_segment_job(spool_path: Path, chunks: list[tuple[int, int]], part: Path,
                  spec: SampleSpec, segment: int, final: bool) -> list[tuple[Any, ...]]:
    """Render one segment of X search pages into `part`; return its conversation replies."""
    from knowvember.sample.x import XWriter

    writer = XWriter(spec.campaign, people_for(spec), spec.seed)
    with part.open("wb") as out:
        return writer.write_segment(read_newest_first(spool_path, chunks), out, segment,
                                    final=final, page_size=spec.x_page_size)


def write_x(folder: Path, spec: SampleSpec, people: People, total: int, runner: Runner,
            path: Path) -> PlatformStats:
    """Generate X here, render its segments through the runner, and join the parts."""
    from knowvember.sample.x import XWriter

    spool = Spool(folder / ".spool-x")
    parts: list[Path] = []
    try:
        stats = Generator(spec.campaign, people, "x", total, spec.seed, spool).run()
        segments = spool.segments(SEGMENT)
        jobs = []
        for number, chunks in enumerate(segments):
            part = folder / f".x-part-{number:04d}"
            parts.append(part)
            jobs.append(runner.submit(x_segment_job, spool.path, chunks, part, spec, number,
                                      number == len(segments) - 1))
        conversations = [record for job in jobs for record in job.result()]
        with path.open("wb") as out:
            for part in parts:
                _append(part, out)
                part.unlink()
            XWriter(spec.campaign, people, spec.seed).write_conversations(
                conversations, out, spec.x_page_size)
    finally:
        spool.remove()
        for part in parts:
            part.unlink(missing_ok=True)
    return stats


def _append(part: Path, out: Any) -> None:
    """Append a part file without passing its bytes through Python where the OS allows."""
    out.flush()
    with part.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        copy = getattr(os, "copy_file_range", None)
        if copy is not None:
            try:
                done = 0
                while done < size:
                    sent = copy(source.fileno(), out.fileno(), size - done)
                    if sent == 0:
                        break
                    done += sent
                if done == size:
                    return
                source.seek(done)
            except OSError:  # e.g. across file systems: copy the rest the ordinary way
                source.seek(done)
        shutil.copyfileobj(source, out, 1 << 20)

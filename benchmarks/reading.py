"""The reading floor: the import's reading of the file, with nothing stored.

The first import is CPU-bound on two cores: its reading processes decode, map, tag and
compress while the importing one writes. This figure runs the same reading (the same
processes, the same chunks, handed over the same way, with the importer's garbage-collector
setting) and throws the chunks away, so it says how long an import would take if storing
cost nothing, and how many CPU seconds reading alone needs: the bound on any import that
keeps this reader.

Run as a child process: `python -m benchmarks.reading CONFIG FILE` prints one JSON object:
the posts read (campaign or not, context posts apart), wall seconds, and the CPU seconds of
the reading processes and of this one (receiving).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path


def read(config: Path, path: Path) -> dict[str, object]:
    from collectors import offload
    from collectors.archive import CHUNK_POSTS
    from knowvember.config import load_settings

    settings = load_settings(config)
    job = offload.Job(fmt="twarc2", path=path, chunk_posts=CHUNK_POSTS, settings=settings,
                      database_url=None, platform="x")
    gc.set_threshold(50_000, *gc.get_threshold()[1:])  # as an import sets it
    started = time.perf_counter()
    posts = context = 0
    for chunk in offload.read_beside(job):
        for post in chunk.posts:
            if post.context_only:
                context += 1
            else:
                posts += 1
    seconds = time.perf_counter() - started
    readers = resource.getrusage(resource.RUSAGE_CHILDREN)
    receiver = resource.getrusage(resource.RUSAGE_SELF)
    return {"posts": posts, "context_posts": context, "seconds": seconds,
            "readers": len(offload.readers(job)),
            "reader_cpu_seconds": readers.ru_utime + readers.ru_stime,
            "receiver_cpu_seconds": receiver.ru_utime + receiver.ru_stime}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m benchmarks.reading CONFIG FILE\n")
        return 2
    sys.stdout.write(json.dumps(read(Path(argv[0]), Path(argv[1]))) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

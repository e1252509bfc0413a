"""`python -m benchmarks [--posts N] [--db URL] [--json FILE] [--repeat K]`.

Generates (or reuses) a sample of N X posts in twarc2 JSONL plus Mastodon/Bluesky pages, runs
every figure through the real `knowvember` command, prints the table on stdout and, with
--json, writes the same as JSON. Exits 1 when a correctness check fails (counts imported do
not match the counts generated, a re-import added posts, a report file is missing); with
--strict, also when a target is missed.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import data as sample_data
from benchmarks.figures import report_json, table, write_json
from benchmarks.postgres import DEFAULT_URL
from benchmarks.runner import Bench, Options

log = logging.getLogger("benchmarks")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Import, re-import, report and start-up figures for knowvember, against "
                    "the targets in docs/performance.md.")
    parser.add_argument("--posts", type=int, default=1_000_000,
                        help="X posts in the twarc2 file (default 1,000,000; 20,000 is the "
                             "quick mode the test suite runs).")
    parser.add_argument("--db", default=DEFAULT_URL, metavar="URL",
                        help=f"PostgreSQL server for the PostgreSQL import figure; a fresh "
                             f"schema is created and dropped (default {DEFAULT_URL}; "
                             f"'none' skips it).")
    parser.add_argument("--json", type=Path, metavar="FILE", help="Also write the figures here.")
    parser.add_argument("--repeat", type=int, default=3, metavar="K",
                        help="Runs per short figure, the median reported (default 3; start-up "
                             "takes at least 10). Runs longer than --long are measured once.")
    parser.add_argument("--long", type=float, default=30.0, metavar="SECONDS",
                        help="A run longer than this is not repeated (default 30).")
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="Keep the sample, databases and reports here (a sample already "
                             "there for the same --posts is reused). Default: a temporary "
                             "folder, removed afterwards.")
    parser.add_argument("--fediverse-share", type=float, default=sample_data.FEDIVERSE_SHARE,
                        metavar="F",
                        help="Mastodon and Bluesky posts, each as a share of --posts "
                             f"(default {sample_data.FEDIVERSE_SHARE}; 0 for none).")
    parser.add_argument("--strict", action="store_true",
                        help="Exit 1 when a target is missed, not only on a wrong count.")
    parser.add_argument("-q", "--quiet", action="store_true", help="Only warnings and errors.")
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("--posts must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="knowvember-bench-")) if temporary else args.work
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        data = sample_data.prepare(work / "sample", args.posts, args.fediverse_share)
        pg_url = None if args.db.lower() in ("", "none", "off") else args.db
        bench = Bench(Options(posts=args.posts, work=work, pg_url=pg_url, repeat=args.repeat,
                              long_after=args.long), data)
        results = bench.all()
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    meta = {
        "command": " ".join(["python -m benchmarks", *(argv if argv is not None
                                                       else sys.argv[1:])]),
        "posts": args.posts,
        "sample": {"posts": data.manifest["spec"]["posts"], "x_posts": data.x_posts,
                   "fediverse_posts": data.fediverse_posts,
                   "generate_seconds": round(data.seconds, 2), "reused": data.reused,
                   "x_file_mb": round(data.x_file.stat().st_size / 1024**2, 1)
                   if data.x_file.exists() else None},
        "repeat": args.repeat,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    document = report_json(results, meta)
    sys.stdout.write(table(results) + "\n")
    if args.json:
        write_json(args.json, document)
    for problem in document["problems"]:
        log.error("problem: %s", problem)
    if document["problems"]:
        return 1
    if args.strict and not document["all_passed"]:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

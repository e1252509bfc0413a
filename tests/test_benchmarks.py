"""The benchmark's quick mode runs end to end, so the benchmark code cannot rot.

It checks what the benchmark measured was right (counts imported equal counts generated, a
re-import adds nothing, the report files exist, the JSON holds every figure), never how fast:
timings belong to `python -m benchmarks` on a quiet machine (docs/performance.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, _pg_base_url, postgres_available

FIGURES = {"baseline", "help", "import_sqlite", "import_sqlite_rss", "reimport_sqlite",
           "sqlite_floor", "sqlite_floor_no_raw", "reading_floor",
           "import_mastodon", "import_bluesky", "summary", "leaderboard", "report",
           "report_rss", "import_postgres"}


@pytest.mark.slow
def test_quick_benchmark_measures_the_right_things(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    work = tmp_path / "work"
    pg = _pg_base_url() if postgres_available() else "none"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--posts", "20000", "--repeat", "1", "--db", pg,
         "--work", str(work), "--json", str(out), "--quiet"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]

    document = json.loads(out.read_text(encoding="utf-8"))
    figures = {f["key"]: f for f in document["figures"]}
    assert set(figures) == FIGURES
    assert document["problems"] == []
    for key, figure in figures.items():
        assert figure["figure"] in result.stdout, f"{key} missing from the printed table"
        if figure["skipped"] is None:
            assert figure["value"] is not None and figure["value"] > 0, key

    manifest = json.loads((work / "sample" / "manifest.json").read_text(encoding="utf-8"))
    x = manifest["platforms"]["x"]
    first = figures["import_sqlite"]["details"]
    assert first["fetched"] == x["posts"] == 20000
    assert first["new"] == first["stored"] == x["campaign_posts"]
    assert first["skipped"] == x["off_campaign"]

    again = figures["reimport_sqlite"]["details"]
    assert again["new"] == again["updated"] == 0
    assert again["fetched"] == 20000

    for key in ("sqlite_floor", "sqlite_floor_no_raw"):  # the same rows, written again
        floor = figures[key]["details"]
        assert floor["posts"] == first["stored"], key
        assert floor["hashtag_rows"] >= first["stored"], key
        assert floor["raw_bytes"] + floor["raw_z_bytes"] > 0, key  # text or compressed

    reading = figures["reading_floor"]["details"]  # every post of the file, nothing stored
    assert reading["posts"] == x["posts"] and reading["context_posts"] > 0
    assert reading["cpu_seconds"] > 0

    for platform in ("mastodon", "bluesky"):
        details = figures[f"import_{platform}"]["details"]
        assert details["new"] == manifest["platforms"][platform]["campaign_posts"]

    stored = first["stored"] + sum(figures[f"import_{p}"]["details"]["new"]
                                   for p in ("mastodon", "bluesky"))
    summary = figures["summary"]["details"]
    assert summary["posts_stored"] == stored
    assert summary["posts"] == summary["posts_in_window"] <= stored
    assert figures["leaderboard"]["details"]["rows"] > 0

    report = Path(figures["report"]["details"]["folder"])
    assert figures["report"]["details"]["xlsx_files"]
    assert all((report / name).is_file() for name in figures["report"]["details"]["xlsx_files"])
    assert len(list(report.rglob("*.html"))) == figures["report"]["details"]["html_files"] >= 2

    if pg != "none":
        details = figures["import_postgres"]["details"]
        assert details["new"] == details["stored"] == x["campaign_posts"]
    else:
        assert figures["import_postgres"]["skipped"]

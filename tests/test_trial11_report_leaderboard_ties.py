"""The sixth new-user trial: organisations tied in the leaderboard are listed by name.

The docs say ties are listed by name, but tied organisations came in the order of their
codes: two trusts with the same score read "Zeta Library (AAA1)" before "Alder Library
(ZZZ1)", in the report's tables, the workbook and `leaderboard` alike. A tie on the metric
still puts the higher score first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "AAA1"
name = "Zeta Library"
region = "London"
accounts = ["x:@zeta"]

[[organisations]]
code = "ZZZ1"
name = "alder Library"
region = "London"
accounts = ["x:@alder"]

[[organisations]]
code = "MMM1"
name = "Busy Library"
region = "London"
accounts = ["x:@busy", "x:@busy2"]
"""
CSV = ("platform,id,author_handle,created_at,text,likes\n"
       "x,11,@zeta,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,3\n"
       "x,12,@alder,2019-11-05T11:00:00Z,#KNOWvember19 Peer Assist,3\n"
       "x,13,@busy,2019-11-05T12:00:00Z,#KNOWvember19 hello,1\n"
       "x,14,@busy2,2019-11-05T12:00:00Z,#KNOWvember19 hello,1\n")


def test_tied_organisations_are_listed_by_name_after_score(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    by_score = json.loads(cli("leaderboard", "--format", "json").stdout)
    assert [(r["rank"], r["code"]) for r in by_score] == [(1, "MMM1"), (2, "ZZZ1"),
                                                         (2, "AAA1")]
    # By posts: the two tied on one post each, by name again.
    by_posts = json.loads(cli("leaderboard", "--metric", "posts", "--format", "json").stdout)
    assert [(r["rank"], r["code"]) for r in by_posts] == [(1, "MMM1"), (2, "ZZZ1"),
                                                         (2, "AAA1")]

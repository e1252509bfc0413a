"""An import's line tells posts of opted-out or forgotten accounts from off-campaign ones.

After `forget`, importing the same archive again said "2 skipped off-campaign" and warned
that none of the file's posts had a campaign hashtag ("is the file this campaign's?"),
although every one had: they were the forgotten account's, left out as asked.
`skipped` still counts them all (the run record's contract); `skipped_opted_out`, in the
run's details, says how many of them were left out for their account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROWS = "\n".join([
    "platform,id,author_handle,author_name,created_at,text",
    "x,1196000000000000001,ward7lib,Ward 7 Library,2019-11-03 09:30:00,"
    "Journal club on the ward today #KNOWvember19",
    "x,1196000000000000002,ward7lib,Ward 7 Library,2019-11-04 09:30:00,"
    "Evidence summary for the discharge team #KNOWvember19",
    "x,1196000000000000003,healthlib,Health Library,2019-11-05 09:30:00,"
    "Cake in the staff room, come and say hello",
    "",
])


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_posts_of_a_forgotten_account_are_not_called_off_campaign(
        campaign_dir: Path, cli: Any) -> None:
    (campaign_dir / "posts.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    assert cli("forget", "x:@ward7lib", "--yes").exit_code == 0
    result = cli("import", "csv", "posts.csv")
    assert result.exit_code == 0, result.output
    said = _flat(result.stdout + result.stderr)
    assert ("3 read, 0 new, 0 updated, 1 skipped off-campaign, 2 of opted-out or forgotten "
            "accounts left out") in said
    result = cli("import", "csv", "posts.csv", "--format", "json")
    run = json.loads(result.stdout)[0]
    assert run["skipped"] == 3
    assert run["details"]["skipped_opted_out"] == 2


def test_a_file_of_a_forgotten_accounts_posts_is_not_taken_for_another_campaigns(
        campaign_dir: Path, cli: Any) -> None:
    rows = "\n".join(ROWS.splitlines()[:3]) + "\n"
    (campaign_dir / "posts.csv").write_text(rows, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    assert cli("forget", "x:@ward7lib", "--yes").exit_code == 0
    result = cli("import", "csv", "posts.csv")
    assert result.exit_code == 0, result.output
    said = _flat(result.stdout + result.stderr)
    assert "0 skipped off-campaign, 2 of opted-out or forgotten accounts left out" in said
    assert "has a campaign hashtag" not in said

"""The report's "off-campaign posts skipped" leaves out the posts of forgotten accounts.

Runs skip those posts too (`skipped` counts them), and the report summed `skipped` as
off-campaign: after a `forget`, re-importing an archive made that person's campaign posts
"posts left out as off-campaign (no campaign hashtag ...)" in the published method section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.test_trial12_followups_a_skipped_left_out import ROWS


def test_the_method_section_counts_only_off_campaign_posts(campaign_dir: Path,
                                                            cli: Any) -> None:
    (campaign_dir / "posts.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0  # 1 off-campaign
    assert cli("forget", "x:@ward7lib", "--yes").exit_code == 0
    assert cli("import", "csv", "posts.csv").exit_code == 0  # 1 off-campaign, 2 forgotten
    result = cli("report", "--format", "md", "--out", str(campaign_dir / "out"))
    assert result.exit_code == 0, result.output
    text = next((campaign_dir / "out").rglob("*.md")).read_text(encoding="utf-8")
    assert "Off-campaign posts skipped: 2;" in text

"""The seventh new-user trial: the report names the earlier campaign as people know it.

"Taking part for the first time (not in knowvember24)" and an organisation page's
"compared with knowvember24" printed the campaign's slug, a key for the config and
scripts, in the document a coordinator publishes; they now say "KNOWvember 2024".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import BASE_CONFIG

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "R0A"
accounts = ["x:@mftlib"]

[[organisations]]
code = "RWE"
accounts = ["x:@uhllib"]
"""
EARLIER = (BASE_CONFIG.replace("KNOWvember 2019", "KNOWvember 2018")
           .replace('slug = "knowvember19"', 'slug = "knowvember18"')
           .replace("2019-11-", "2018-11-"))


def test_first_time_organisations_name_the_earlier_campaign(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    (campaign_dir / "2018").mkdir()
    earlier = campaign_dir / "2018" / "campaign.toml"
    earlier.write_text(EARLIER.replace("sqlite:///knowvember.db",
                                       f"sqlite:///{campaign_dir / 'knowvember.db'}")
                       + ORGS, encoding="utf-8")
    (campaign_dir / "old.csv").write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,1,@uhllib,2018-11-05T10:00:00Z,#KNOWvember19 our first Knowledge Café\n",
        encoding="utf-8")
    result = cli("--config", str(earlier), "import", "csv", "old.csv")
    assert result.exit_code == 0, result.stderr
    write_config(ORGS)
    (campaign_dir / "new.csv").write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,2,@uhllib,2019-11-05T10:00:00Z,#KNOWvember19 Knowledge Café again\n"
        "x,3,@mftlib,2019-11-06T10:00:00Z,#KNOWvember19 our first year\n", encoding="utf-8")
    assert cli("import", "csv", "new.csv").exit_code == 0
    result = cli("report", "--format", "html", "--per-org")
    assert result.exit_code == 0, result.stderr
    html = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "Taking part for the first time (not in KNOWvember 2018): Manchester" in html
    page = (campaign_dir / "report" / "orgs" / "R0A.html").read_text(encoding="utf-8")
    assert "compared with KNOWvember 2018" in page
    for text in (html, page):
        assert "knowvember18" not in text

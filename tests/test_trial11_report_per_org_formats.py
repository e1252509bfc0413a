"""The sixth new-user trial: `report --per-org` without HTML says why there are no pages.

The organisation pages are HTML. `report --per-org --format pdf` (or `--per-org` with
`[reports] formats` lacking html) wrote the PDF, no page, and exited 0 without a word, so
the coordinator went looking for each trust's page. It now stops before any work, saying
to add html.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]
CSV = ("platform,id,author_handle,created_at,text,likes\n"
       "x,1,@lib,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,3\n")


@pytest.mark.parametrize(("args", "extra"), [
    (["--format", "pdf"], ""),
    ([], '[reports]\nformats = ["pdf", "xlsx"]\n'),
])
def test_per_org_without_html_is_refused_naming_the_fix(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli, args: list[str],
        extra: str) -> None:
    write_config(extra)
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    result = cli("report", "--per-org", *args)
    assert result.exit_code == 2
    assert "--per-org" in result.stderr and "add it" in result.stderr
    assert "--format html," in result.stderr
    assert not (campaign_dir / "report").exists()  # nothing written


def test_per_org_with_html_writes_the_pages(campaign_dir: Path, cli: Cli) -> None:
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    assert cli("orgs", "assign", "x:@lib", "RWE").exit_code == 0
    result = cli("report", "--per-org", "--format", "html,pdf")
    assert result.exit_code == 0, result.stderr
    assert (campaign_dir / "report" / "orgs" / "RWE.html").is_file()

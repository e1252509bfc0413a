"""The fifth trial's second pass: the report's stylesheet reaches the browser intact.

Autoescape wrote the inline stylesheet with `&#34;Segoe UI&#34;` and `details &gt; summary`;
a <style> element does not decode entities, so browsers dropped the font-family (the
report showed in Times) and the print rules that open collapsed sections on paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.html import TEMPLATES

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "RWE"
accounts = ["x:@UHLLibraries"]
"""


def _styles(page: Path) -> list[str]:
    return re.findall(r"<style>\n?(.*?)</style>", page.read_text(encoding="utf-8"), re.S)


def test_every_page_carries_the_stylesheet_as_written(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    result = cli("report", "--per-org", "--format", "html")
    assert result.exit_code == 0, result.stderr
    css = (TEMPLATES / "_report.css").read_text(encoding="utf-8")
    assert '"Segoe UI"' in css and "details > summary" in css
    folder = campaign_dir / "report"
    for page in (folder / "report.html", *sorted((folder / "orgs").glob("*.html"))):
        styles = _styles(page)
        assert styles, page.name
        for style in styles:
            assert "&#" not in style and "&gt;" not in style and "&quot;" not in style, page
            assert style.strip() == css.strip(), page.name

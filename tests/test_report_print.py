"""The report on paper, in a real headless Chromium: what is folded away on screen (the
day-by-day tables behind "Posts per day (table)") is printed, as the print stylesheet says.

A closed <details> hides its content in print unless the stylesheet opens it, and no check
of the HTML text can tell: only a browser lays it out. Debian's `chromium`, as in
tests/test_web_browser.py; skipped, saying why, where it is not installed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reports.build import build_report
from tests.test_report_world import World, make_settings, open_world
from tests.test_web_browser import CHROMIUM_ARGS, _chromium

pytestmark = pytest.mark.browser

NOW = dt.datetime(2019, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def pages(campaign_dir: Path, tmp_path: Path) -> dict[str, Path]:
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    world: World
    for world in open_world(make_settings(campaign_dir), url):
        return build_report(world.db, world.settings, tmp_path / "out", formats=["html"],
                            per_org=True, now=NOW)
    raise AssertionError("no world")


def test_the_folded_day_tables_are_hidden_on_screen_and_printed(pages: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    report = pages["HTML report"]
    org_page = next(p for p in (report.parent / "orgs").glob("*.html") if p.name != "index.html")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for path in (report, org_page):
                page.emulate_media(media="screen")
                page.goto(path.as_uri())
                table = page.locator("details table").first
                assert table.count() == 1, path
                assert not table.is_visible(), f"{path.name}: folded on screen"
                page.emulate_media(media="print")
                assert table.is_visible(), f"{path.name}: the day table is not printed"
        finally:
            browser.close()

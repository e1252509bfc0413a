"""At phone width, a table wider than the screen can be scrolled with the keyboard.

The review queue's table (sent, title, organisation, techniques, status) is wider than a
360-pixel phone, so it scrolls sideways in its box. Tab reached only the title links, in the
second column: the Techniques and Status columns stayed out of sight for a keyboard user, as
did the dashboard's and organisation pages' wide tables. Each such box is now a labelled
region in the tab order, which the arrow keys scroll.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    CATALOGUE,
    PASSWORD,
    SECRET,
    TAXONOMY,
    add_coordinator,
    browser_page,
    campaign_posts,
    cheap_hashing,
    live_server,
    sign_in,
)

_WRAP = re.compile(r'<div class="table-wrap"[^>]*>')


def _story(db, settings) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({
        "title": "Knowledge café for the integrated care system", "body": "We met.",
        "name": "Zoë", "email": "zoe@nhs.net", "organisation": "RX1", "consent": True,
        "techniques": ["Peer Assist", "After Action Review", "Retrospect"]}, settings)
    return stories.submit_story(db, settings, data, source="cli",
                                lookups=stories.Lookups(CATALOGUE, TAXONOMY))[0].id


def test_every_scrolling_table_is_a_focusable_labelled_region(settings, sqlite_db,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    campaign_posts(sqlite_db)
    _story(sqlite_db, settings)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    client = TestClient(create_app(settings, sqlite_db, catalogue=CATALOGUE,
                                   taxonomy=TAXONOMY))
    sign_in(client)
    for path in ("/review", "/dashboard", "/orgs/RX1"):
        wraps = _WRAP.findall(client.get(path).text)
        assert wraps, path
        for wrap in wraps:
            assert 'tabindex="0"' in wrap and 'role="region"' in wrap, (path, wrap)
            assert re.search(r'aria-label="[^"]+"', wrap), (path, wrap)


@pytest.fixture
def server(settings, sqlite_db, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    _story(sqlite_db, settings)
    with live_server(settings, sqlite_db, monkeypatch) as url:
        yield url


@pytest.mark.browser
def test_the_queue_scrolls_with_the_arrow_keys_on_a_phone(server: str) -> None:
    with browser_page(360, 740) as page:
        page.goto(server + "/login?next=/review")
        page.get_by_label("Username").fill("coordinator")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(server + "/review")
        region = page.get_by_role("region", name="Stories")
        assert region.evaluate("w => w.scrollWidth > w.clientWidth")  # wider than the phone
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
                break
        else:
            pytest.fail("Tab never reached the queue's table")
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        # Chromium scrolls smoothly: the box reaches its place a few frames after the last
        # key, so wait for it (up to the page's timeout) rather than read it at once.
        page.wait_for_function("""() => {
            const box = document.activeElement, tag = box.querySelector('.tag');
            const r = tag.getBoundingClientRect(), b = box.getBoundingClientRect();
            return box.scrollLeft > 0 && r.right <= b.right + 1
                && r.right <= document.documentElement.clientWidth; }""")

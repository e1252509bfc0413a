"""Real stories' long links and unbroken words fit a phone's screen.

A published story with a link as people paste them (a tracking URL, a blog post's long
address) made /stories and the story's review page far wider than a 360-pixel phone (1,300
pixels more), so every line had to be scrolled sideways: nothing let a long word or link
wrap. The demo campaign's own links did it. Driven in a real headless Chromium, as
tests/test_web_browser.py is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowvember import stories
from tests.web_support import PASSWORD, browser_page, live_server

pytestmark = pytest.mark.browser

LONG_LINK = ("https://kmlibrarians.wordpress.com/2025/11/14/randomised-coffee-trials-"
             "across-three-sites-what-we-learned/?utm_source=twitter&utm_medium=social"
             "&utm_campaign=knowvember2025")
LONG_WORD = "Knowledgemobilisationprogrammefortheintegratedcaresystemwide"


@pytest.fixture
def server(settings, sqlite_db, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server(settings, sqlite_db, monkeypatch) as url:
        yield url


@pytest.fixture
def phone(server):  # type: ignore[no-untyped-def]
    with browser_page(360, 740) as page:
        yield page


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.fixture
def long_story(settings, sqlite_db) -> Iterator[int]:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({
        "title": f"{LONG_WORD} café", "body": f"Read {LONG_LINK} first.\nThen {LONG_WORD}.",
        "outcome": LONG_LINK, "name": "Siân O’Brien", "email": "sian@nhs.net",
        "role": "Clinical librarian", "organisation": LONG_WORD,
        "links": [LONG_LINK, "https://x.com/i/web/status/1193456789012345678"],
        "consent": True}, settings)
    story, _ = stories.submit_story(sqlite_db, settings, data, source="cli")
    stories.approve_story(sqlite_db, story.id, reviewer="Ann")
    yield story.id


def test_a_story_with_long_links_fits_a_phone(server: str, phone, long_story: int) -> None:  # type: ignore[no-untyped-def]
    phone.goto(server + "/stories")
    assert phone.get_by_role("link", name=LONG_LINK).is_visible()
    assert _overflow(phone) <= 0

    phone.goto(server + "/login?next=/dashboard")
    phone.get_by_label("Username").fill("coordinator")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(server + "/dashboard")
    for path in (f"/review/{long_story}", "/review?status=all", "/dashboard"):
        phone.goto(server + path)
        assert _overflow(phone) <= 0, path


def test_a_refused_story_form_focuses_a_readable_error_summary(server: str, phone) -> None:  # type: ignore[no-untyped-def]
    """The summary takes the focus (autofocus); focused, it keeps its white background, on
    which its red links are readable (a focused element's yellow fill made them faint)."""
    phone.goto(server + "/submit")
    phone.get_by_label("Title").fill("Only a title")
    phone.get_by_role("button", name="Send your story").click()
    phone.wait_for_load_state()
    focused = phone.evaluate("""() => { const e = document.activeElement;
        return [e.className, getComputedStyle(e).backgroundColor]; }""")
    assert focused == ["error-summary", "rgb(255, 255, 255)"]
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.getAttribute('href')") == "#body"

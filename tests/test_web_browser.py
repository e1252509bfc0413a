"""End to end in a real headless Chromium: submit a story, sign in, approve it, see it
published and counted on the dashboard.

The app runs under uvicorn in a background thread on 127.0.0.1 (a socket bound to port 0, so
no port clash); Playwright drives Debian's `chromium` (not a downloaded browser). Screenshots
of each step go to test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember import stories
from tests.web_support import (
    CHROMIUM_ARGS,  # noqa: F401  (tests/test_report_print.py takes it from here)
    PASSWORD,
    browser_page,
    live_server,
)
from tests.web_support import chromium as _chromium  # noqa: F401  (as CHROMIUM_ARGS)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def server(settings, sqlite_db, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server(settings, sqlite_db, monkeypatch) as url:
        yield url


@pytest.fixture
def page(server):  # type: ignore[no-untyped-def]
    with browser_page(1100, 900) as page:
        yield page


def _shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


def test_submit_sign_in_approve_publish_and_count(server: str, page, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    title = "Randomised Coffee Trials across three sites <b>3rd round</b>"

    # The keyboard first reaches the skip link.
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == \
        "Skip to main content"

    # An empty form is refused with a summary linking to each problem.
    page.goto(server + "/submit")
    page.get_by_role("button", name="Send your story").click()
    summary = page.get_by_role("alert")
    assert "Enter a title for your story" in summary.inner_text()
    assert "Say whether we may publish your story" in summary.inner_text()
    _shot(page, "1-form-errors")

    # A good story, filled in the way a person would, by labels.
    page.get_by_label("Title").fill(title)
    page.get_by_label("What happened").fill("We paired 60 staff for coffee.\nThey met twice.")
    page.get_by_label("Outcome or impact").fill("Three new journal clubs.")
    page.get_by_label("Peer Assist").check()
    page.get_by_label("Organisation").fill("RX1")
    page.get_by_label("Your name").fill("Jo Bloggs")
    page.get_by_label("Email address").fill("jo.bloggs@nhs.net")
    page.get_by_label("Your role").fill("Knowledge specialist")
    page.get_by_label("Yes, you may publish it").check()
    page.get_by_role("button", name="Send your story").click()
    page.wait_for_url(server + "/submit/confirmation")
    assert "Thank you: your story has been sent" in page.get_by_role("heading", level=1) \
        .inner_text()
    _shot(page, "2-confirmation")
    story = stories.list_stories(sqlite_db)[0]
    assert story.source == "web" and story.organisation_code == "RX1"

    # Not yet published; the dashboard needs a coordinator.
    page.goto(server + "/stories")
    assert title not in page.content()
    page.goto(server + "/dashboard")
    assert page.url.startswith(server + "/login?next=/dashboard")

    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server + "/dashboard")

    page.goto(server + "/review")
    page.get_by_role("link", name=title).click()
    assert "jo.bloggs@nhs.net" in page.content()
    _shot(page, "3-review-story")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(server + "/review")
    assert f"Story {story.id} approved." in page.get_by_role("status").inner_text()

    page.goto(server + "/stories")
    heading = page.get_by_role("heading", name=title)
    assert heading.is_visible()  # shown as text: the <b> is not markup
    assert "jo.bloggs@nhs.net" not in page.content()
    _shot(page, "4-published")

    page.goto(server + "/dashboard")
    approved = page.locator(".stat", has_text="stories approved")
    assert approved.locator(".stat__value").inner_text().strip() == "1"
    images = page.locator("img")
    assert images.count() >= 2
    for i in range(images.count()):  # the report's PNG charts really arrived and decoded
        images.nth(i).scroll_into_view_if_needed()
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), i
    _shot(page, "5-dashboard")

    # Signing out is a form button; afterwards the dashboard is closed again.
    page.get_by_role("button", name="Sign out").click()
    page.goto(server + "/dashboard")
    assert page.url.startswith(server + "/login")


def test_pages_fit_a_phone_screen(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/", "/submit", "/stories", "/login"):
        page.goto(server + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
    _shot(page, "6-phone-form")

"""End to end in a real headless Chromium: submit a story, sign in, approve it, see it
published and counted on the dashboard.

The app runs under uvicorn in a background thread on 127.0.0.1 (a socket bound to port 0, so
no port clash); Playwright drives Debian's `chromium` (not a downloaded browser). Screenshots
of each step go to test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember import stories
from tests.web_support import (
    CATALOGUE,
    PASSWORD,
    SECRET,
    TAXONOMY,
    add_coordinator,
    campaign_posts,
    cheap_hashing,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)")


@pytest.fixture
def server(settings, sqlite_db, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    campaign_posts(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    app = create_app(settings, sqlite_db, catalogue=CATALOGUE, taxonomy=TAXONOMY)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # waiting for a thread to come up, not a timed pause
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def page(server):  # type: ignore[no-untyped-def]
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


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

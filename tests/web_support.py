"""Helpers the web tests share: building the app, reading CSRF tokens, signing in, and
running the app under uvicorn for a headless Chromium.

Plain functions and context managers (not fixtures) so each tests/test_web*.py file states
its own fixtures.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from knowvember.organisations import Catalogue, Organisation
from knowvember.techniques import Taxonomy, Technique

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from knowvember.config import Settings
    from knowvember.db import Database

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a long coordinator password"

# A small catalogue and taxonomy of our own, so the web tests do not depend on the shipped data.
CATALOGUE = Catalogue([
    Organisation(code="RX1", name="Nottingham University Hospitals NHS Trust",
                 region="Midlands"),
    Organisation(code="RTH", name="Oxford University Hospitals NHS Foundation Trust",
                 region="South East"),
    Organisation(code="RQ6", name="Royal Liverpool and Broadgreen (closed)", region="North West",
                 kind="closed", closed=datetime.date(2019, 9, 30)),
])
TAXONOMY = Taxonomy([
    Technique("Peer Assist", ("before",)),
    Technique("After Action Review", ("during", "after")),
    Technique("Retrospect", ("after",)),
])

# Debian's chromium under Playwright, not a browser build Playwright downloads.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeClock:
    """A monotonic clock the test moves by hand, so rate-limit windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the same code paths, milliseconds instead of a second."""
    from argon2 import PasswordHasher

    from knowvember import users

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", lambda: hasher)


def make_app(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch,
             clock: FakeClock | None = None) -> FastAPI:
    from knowvember.web import create_app

    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    if clock is None:
        return create_app(settings, db)
    return create_app(settings, db, clock=clock)


def review_app(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch,
               *coordinators: str) -> FastAPI:
    """The web app over the small CATALOGUE and TAXONOMY, with cheap hashing and these
    coordinators added (password `PASSWORD`): the app every review test signs in to."""
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    for name in coordinators:
        add_coordinator(db, name)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return create_app(settings, db, catalogue=CATALOGUE, taxonomy=TAXONOMY)


def csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def add_coordinator(db: Database, name: str = "coordinator") -> str:
    from knowvember.users import add_user

    add_user(db, name, PASSWORD)
    return name


def sign_in(client: TestClient, username: str = "coordinator",
            password: str = PASSWORD) -> None:
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text


def campaign_posts(db: Database) -> None:
    """A hand-countable campaign: 3 contributors, 2 organisations, 5 posts on 3 days."""
    import datetime as dt

    from knowvember.hashtags import CampaignTags
    from knowvember.models import Account
    from knowvember.records import AccountRecord, PostRecord
    from knowvember.store import PostWriter

    def post(platform: str, pid: str, account: str, day: int, *, likes: int = 0,
             replies: int = 0, kind: str = "original", ref: str | None = None) -> PostRecord:
        return PostRecord(platform=platform, platform_id=pid, account_key=account,
                          created_at=dt.datetime(2019, 11, day, 12, tzinfo=dt.UTC),
                          text="Our #KNOWvember19 story", hashtags=("knowvember19",),
                          likes=likes, replies=replies, kind=kind, referenced_id=ref)

    accounts = [
        AccountRecord(platform="x", key="1", handle="@nuhlibrary", display_name="NUH Library",
                      followers=100),
        AccountRecord(platform="mastodon", key="https://nhs.social/@kate",
                      handle="@kate@nhs.social", display_name="Kate", followers=50),
        AccountRecord(platform="bluesky", key="did:plc:ox", handle="oxlib.bsky.social",
                      display_name="<script>alert(1)</script>Ox", followers=10),
    ]
    posts = [
        post("x", "1001", "1", 5, likes=3),
        post("x", "1002", "1", 5, likes=1),
        post("x", "1003", "1", 6, kind="repost", ref="1001"),
        post("mastodon", "m1", "https://nhs.social/@kate", 5, likes=2),
        post("bluesky", "b1", "did:plc:ox", 10, replies=1),
    ]
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(posts, accounts)
    table = Account.__table__
    with db.begin() as conn:
        for key, code in (("1", "RX1"), ("https://nhs.social/@kate", "RX1"),
                          ("did:plc:ox", "RTH")):
            conn.execute(table.update().where(table.c.key == key)
                         .values(organisation_code=code, attribution="manual"))


def chromium() -> str:
    """Debian's chromium, or one named by $CHROME_PATH (unpacked elsewhere); the test skips,
    saying why, without one."""
    for candidate in (os.environ.get("CHROME_PATH", ""), "/usr/bin/chromium",
                      shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)")


@contextlib.contextmanager
def live_server(settings: Settings, db: Database,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app under uvicorn in a background thread on 127.0.0.1 (a socket bound to port 0,
    so no port clash), with one coordinator and a small campaign; yields its base URL."""
    import uvicorn

    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(db)
    campaign_posts(db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    app = create_app(settings, db, catalogue=CATALOGUE, taxonomy=TAXONOMY)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
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


@contextlib.contextmanager
def browser_page(width: int = 1100, height: int = 900) -> Iterator[Any]:
    """A Playwright page in headless Chromium at this viewport (360 wide is a phone)."""
    executable = chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()

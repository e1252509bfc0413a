"""Helpers the web tests share: building the app, reading CSRF tokens, signing in.

Plain functions (not fixtures) so each tests/test_web*.py file states its own fixtures.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

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

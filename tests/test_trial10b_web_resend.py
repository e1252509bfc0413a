"""The story form sent again from a page the browser fetched anew is still one story.

Back from the confirmation page, a browser without the back-forward cache (Firefox, Safari,
Chromium when it evicted the page, or a page served again because its cookie changed)
fetches /submit again: a new submission id, with the typed text restored into the fields.
Sent again, that stored the story twice, although the form promises the back button and
"send again" are one story.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import CATALOGUE, TAXONOMY, csrf, review_app

STORY = {
    "title": "Café Peer Assist 🧠 with Nottingham’s F1s",
    "body": "We ran a knowledge café ☕ with 14 staff.\r\n\r\n• framing\r\n• rotating tables",
    "name": "Siân O’Brien",
    "email": "sian.obrien@nhs.net",
    "consent": "yes",
}


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch))


def _send_from_fresh_page(client: TestClient, **changes: str):  # type: ignore[no-untyped-def]
    """GET /submit (a new submission id), then send the story typed into it."""
    import re

    html = client.get("/submit").text
    submission = re.search(r'name="submission" value="([^"]+)"', html)
    assert submission
    data = {**STORY, **changes, "csrf_token": csrf(html), "submission": submission.group(1)}
    return client.post("/submit", data=data, follow_redirects=False)


def test_back_button_and_send_again_is_one_story(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    assert _send_from_fresh_page(client).status_code == 303
    first = client.get("/submit/confirmation").text
    again = _send_from_fresh_page(client, email="Sian.OBrien@nhs.net ")
    assert again.status_code == 303
    assert len(stories.list_stories(db)) == 1
    (story,) = stories.list_stories(db)
    assert f"Your story number is <strong>{story.id}</strong>" in first
    assert f"Your story number is <strong>{story.id}</strong>" in \
        client.get("/submit/confirmation").text


def test_a_story_after_another_then_the_first_again_is_still_two(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    assert _send_from_fresh_page(client).status_code == 303
    assert _send_from_fresh_page(client, title="Our second story").status_code == 303
    assert _send_from_fresh_page(client).status_code == 303  # back twice, send again
    assert sorted(s.title for s in stories.list_stories(db)) == \
        sorted([STORY["title"], "Our second story"])


def test_a_changed_story_or_another_browser_is_a_new_story(client: TestClient, settings, db,  # type: ignore[no-untyped-def]
                                                           monkeypatch) -> None:
    from knowvember.web import create_app

    assert _send_from_fresh_page(client).status_code == 303
    assert _send_from_fresh_page(client, body="Rewritten after going back.").status_code == 303
    colleague = TestClient(create_app(settings, db, catalogue=CATALOGUE, taxonomy=TAXONOMY))
    assert _send_from_fresh_page(colleague).status_code == 303
    assert len(stories.list_stories(db)) == 3


def test_a_story_erased_since_is_stored_again(client: TestClient, settings, db) -> None:  # type: ignore[no-untyped-def]
    assert _send_from_fresh_page(client).status_code == 303
    (story,) = stories.list_stories(db)
    stories.delete_story(db, story.id, reviewer="coordinator")
    assert _send_from_fresh_page(client).status_code == 303
    assert len(stories.list_stories(db)) == 1

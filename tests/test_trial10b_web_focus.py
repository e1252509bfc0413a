"""A form sent back with a problem puts the keyboard's focus on the problem.

The pages have no JavaScript, so nothing moved focus to the error summary: after "Send your
story" with a missing title, a keyboard or screen-reader user was left at the top of the
page (the body had the focus) with no way to the summary's links but tabbing through the
header. The summary now has `autofocus` (it is focusable, tabindex=-1), on the story form,
the sign-in form and a story's review form, and a page with an error says so in its title.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    csrf,
    review_app,
    sign_in,
)

_FOCUSED_ALERT = re.compile(r'<div class="error-summary" role="alert"[^>]*\btabindex="-1"'
                            r'[^>]*\bautofocus\b')


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch, "coordinator"))


def test_the_story_form_s_error_summary_takes_the_focus(client: TestClient) -> None:
    token = csrf(client.get("/submit").text)
    page = client.post("/submit", data={"csrf_token": token, "title": "x"})
    assert page.status_code == 400
    assert _FOCUSED_ALERT.search(page.text)
    assert len(re.findall(r"\bautofocus\b", page.text)) == 1
    assert "<title>Error: Share a story" in page.text
    assert 'autofocus' not in client.get("/submit").text  # a fresh form starts at the top


def test_a_form_refused_for_its_expired_token_focuses_its_explanation(client: TestClient) -> None:
    page = client.post("/submit", data={"csrf_token": "stale", "title": "Kept"})
    assert page.status_code == 403
    assert _FOCUSED_ALERT.search(page.text)


def test_a_failed_sign_in_focuses_the_problem_and_says_error_in_the_title(
        client: TestClient) -> None:
    token = csrf(client.get("/login").text)
    page = client.post("/login", data={"csrf_token": token, "username": "coordinator",
                                       "password": "not it"})
    assert _FOCUSED_ALERT.search(page.text)
    assert "<title>Error: Coordinator sign in" in page.text
    assert "<title>Coordinator sign in" in client.get("/login").text


def test_a_decision_without_its_note_focuses_the_problem(client: TestClient, settings,  # type: ignore[no-untyped-def]
                                                         db) -> None:
    data = stories.StoryInput.parse({"title": "A story", "body": "What happened.",
                                     "name": "Sam", "email": "sam@nhs.net", "consent": True},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, source="cli")
    sign_in(client)
    token = csrf(client.get(f"/review/{story.id}").text)
    page = client.post(f"/review/{story.id}", data={"csrf_token": token,
                                                     "action": "reject"})
    assert page.status_code == 400
    assert _FOCUSED_ALERT.search(page.text)


def test_a_missing_note_is_marked_on_the_note_box(client: TestClient, settings, db) -> None:  # type: ignore[no-untyped-def]
    """The problem was only in the summary: the note box a screen reader lands on (from the
    summary's link) was not marked invalid nor described by it."""
    data = stories.StoryInput.parse({"title": "A story", "body": "What happened.",
                                     "name": "Sam", "email": "sam@nhs.net", "consent": True},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, source="cli")
    sign_in(client)
    page = client.get(f"/review/{story.id}").text
    assert 'aria-invalid' not in page
    page = client.post(f"/review/{story.id}", data={"csrf_token": csrf(page),
                                                     "action": "request_changes"}).text
    assert re.search(r'<textarea [^>]*id="note"[^>]*aria-describedby="note-hint note-error"'
                     r'[^>]* aria-invalid="true"', page)
    assert re.search(r'<p class="error-message" id="note-error">.*Add a note to request '
                     r"changes", page)

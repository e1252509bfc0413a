"""A coordinator withdraws a story's permission to publish from the web app.

An author emailed to take their approved, published story down. The review page said only
"This story is approved: there is no decision to make": unpublishing took `knowvember
stories edit ID --no-consent` on the command line, which a coordinator working in the web
app may not have. Now the page has a "Withdraw permission to publish" form.
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

TITLE = "Knowledge café for Siân's ward"


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch, "coordinator"))


def _published(db, settings, consent: bool = True) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": TITLE, "body": "We met.", "name": "Siân",
                                     "email": "sian@nhs.net", "consent": consent}, settings)
    story_id = stories.submit_story(db, settings, data, source="web")[0].id
    stories.approve_story(db, story_id, reviewer="Ann")
    return story_id


def _form(client: TestClient, story_id: int) -> dict[str, str]:
    html = client.get(f"/review/{story_id}").text
    form = html.split(f'action="/review/{story_id}/withdraw"', 1)[1]
    seen = re.search(r'name="seen" value="([^"]+)"', form)
    assert seen
    return {"csrf_token": csrf(html), "seen": seen.group(1)}


def test_withdrawing_unpublishes_at_once_and_keeps_the_status(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                              settings) -> None:
    story_id = _published(db, settings)
    assert "Knowledge café for Siân&#39;s ward" in client.get("/stories").text
    sign_in(client)
    page = client.get(f"/review/{story_id}").text
    assert "Withdraw permission to publish" in page
    assert "This story is published on the stories page and in exports." in page
    done = client.post(f"/review/{story_id}/withdraw", data={
        **_form(client, story_id), "note": "Siân asked by email on 4 Dec"},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/review/{story_id}"
    after = client.get(f"/review/{story_id}").text
    assert f"Story {story_id} is no longer published" in after and "stays approved" in after
    assert "Withdraw permission to publish" not in after  # nothing left to withdraw
    assert "Changed: consent to publish." in after
    story = stories.get_story(db, story_id)
    assert story.status == "approved" and story.consent is False
    last = story.events[-1]
    assert (last.action, last.reviewer, last.note) == (
        "edited", "coordinator", "Siân asked by email on 4 Dec")
    assert "Siân" not in client.get("/stories").text


def test_a_withdrawal_without_a_note_says_why_in_the_trail(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                           settings) -> None:
    story_id = _published(db, settings)
    sign_in(client)
    assert client.post(f"/review/{story_id}/withdraw", data=_form(client, story_id),
                       follow_redirects=False).status_code == 303
    assert stories.get_story(db, story_id).events[-1].note == (
        "permission to publish withdrawn at the author's request")


def test_refusals_change_nothing(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _published(db, settings)
    assert client.post(f"/review/{story_id}/withdraw", data={},
                       follow_redirects=False).status_code == 403  # signed out, no token
    sign_in(client)
    form = _form(client, story_id)
    assert client.post(f"/review/{story_id}/withdraw", data={"seen": form["seen"]},
                       follow_redirects=False).status_code == 403  # no CSRF token
    stories.edit_story(db, settings, story_id, {"title": "Edited meanwhile"}, editor="Bob")
    stale = client.post(f"/review/{story_id}/withdraw", data={**form, "note": "Asked"},
                        follow_redirects=False)
    assert stale.status_code == 409
    assert "Permission was not withdrawn" in stale.text and "Asked</textarea>" in stale.text
    assert stories.get_story(db, story_id).consent is True
    assert client.post("/review/99999/withdraw", data=form).status_code == 404


def test_no_form_for_a_story_without_consent(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _published(db, settings, consent=False)
    sign_in(client)
    assert "Withdraw permission to publish" not in client.get(f"/review/{story_id}").text

"""A double-clicked decision button is one decision, and says it was saved.

Some browsers (Firefox) send a form twice on a double click. The first copy approved the
story; the second was refused with an error page ("There is a problem: story N is approved"), and
that second answer is the page the coordinator saw, so they believed their decision had
failed.
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


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch, "coordinator", "second"))


def _story(db, settings) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "A story", "body": "What happened.",
                                     "name": "Sam", "email": "sam@nhs.net", "consent": True},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, source="web")
    return story.id


def _form(client: TestClient, story_id: int, **fields: str) -> dict[str, str]:
    page = client.get(f"/review/{story_id}").text
    seen = re.search(r'name="seen" value="([^"]+)"', page)
    assert seen
    return {"csrf_token": csrf(page), "seen": seen.group(1), **fields}


@pytest.mark.parametrize(("action", "note", "status"), [
    ("approve", "", stories.APPROVED),
    ("reject", "Not about knowledge mobilisation", stories.REJECTED),
    ("request_changes", "Please add the outcome", stories.CHANGES_REQUESTED),
])
def test_the_same_decision_sent_twice_is_saved_once(client: TestClient, db, settings,  # type: ignore[no-untyped-def]
                                                    action: str, note: str,
                                                    status: str) -> None:
    story_id = _story(db, settings)
    sign_in(client)
    form = _form(client, story_id, action=action, note=note)
    first = client.post(f"/review/{story_id}", data=form, follow_redirects=False)
    second = client.post(f"/review/{story_id}", data=form)
    assert first.status_code == 303
    assert second.status_code == 200, second.text
    assert "There is a problem" not in second.text
    assert re.search(rf"Story {story_id} (approved|rejected|sent back for changes)\.",
                     second.text)
    story = stories.get_story(db, story_id)
    assert story.status == status
    assert [e.action for e in story.events] == ["submitted", stories.EVENT_FOR_ACTION[action]]


def test_another_decision_or_coordinator_is_still_refused(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                          settings) -> None:
    story_id = _story(db, settings)
    sign_in(client)
    form = _form(client, story_id, action="approve")
    assert client.post(f"/review/{story_id}", data=form, follow_redirects=False) \
        .status_code == 303
    other = client.post(f"/review/{story_id}",
                        data={**form, "action": "reject", "note": "Changed my mind"})
    assert other.status_code == 409 and "you approved story 1 already" in other.text

    colleague = TestClient(client.app)
    sign_in(colleague, "second")
    token = csrf(colleague.get(f"/review/{story_id}").text)
    late = colleague.post(f"/review/{story_id}", data={**form, "csrf_token": token})
    assert late.status_code == 409 and "There is a problem" in late.text
    assert [e.action for e in stories.get_story(db, story_id).events] == \
        ["submitted", "approved"]

"""Two coordinators deciding on one story at once: the one who loses is told who decided what.

Ann sent a story back for changes while Bob had it open; Bob's approval was refused (409) with
the CLI's sentence ("story 5 is changes requested: only a submitted story can be approved;
... edit it (`knowvember stories edit 5 ...`)"), naming neither Ann nor her decision. Its link
pointed at the note box, which a decided story's page does not have, and Bob's note was gone.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    PASSWORD,
    csrf,
    review_app,
    sign_in,
)


@pytest.fixture
def app(settings, db, monkeypatch):  # type: ignore[no-untyped-def]
    return review_app(settings, db, monkeypatch, "ann", "bob")


def _story(db, settings) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "Knowledge café in Leeds", "body": "We met.",
                                     "name": "Zoë", "email": "zoe@nhs.net", "consent": True},
                                    settings)
    return stories.submit_story(db, settings, data, source="cli")[0].id


def _open(client: TestClient, story_id: int) -> dict[str, str]:
    html = client.get(f"/review/{story_id}").text
    seen = re.search(r'name="seen" value="([^"]+)"', html)
    assert seen
    return {"csrf_token": csrf(html), "seen": seen.group(1)}


def test_the_second_decision_names_the_first(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _story(db, settings)
    ann, bob = TestClient(app), TestClient(app)
    sign_in(ann, "ann", PASSWORD)
    sign_in(bob, "bob", PASSWORD)
    ann_form, bob_form = _open(ann, story_id), _open(bob, story_id)
    assert ann.post(f"/review/{story_id}", data={
        **ann_form, "action": "request_changes", "note": "Please add the outcome"},
        follow_redirects=False).status_code == 303

    lost = bob.post(f"/review/{story_id}", data={
        **bob_form, "action": "approve", "note": "Lovely: <b>publish</b> it"},
        follow_redirects=False)
    assert lost.status_code == 409
    page = lost.text
    assert (f"Your decision was not saved: while you had story {story_id} open, ann sent it "
            "back for changes on ") in page
    assert "knowvember stories edit" not in page  # a web page, not the CLI's hint
    assert '<a href="#trail">' in page and 'id="trail"' in page
    assert 'href="#note"' not in page  # no note box on a decided story's page
    assert "Your note, not saved" in page and "Lovely: &lt;b&gt;publish&lt;/b&gt; it" in page
    story = stories.get_story(db, story_id)
    assert story.status == "changes_requested" and len(story.events) == 2


def test_a_decision_from_another_tab_of_ones_own_says_so(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _story(db, settings)
    ann = TestClient(app)
    sign_in(ann, "ann", PASSWORD)
    first_tab = _open(ann, story_id)
    second_tab = _open(ann, story_id)
    assert ann.post(f"/review/{story_id}", data={**first_tab, "action": "approve"},
                    follow_redirects=False).status_code == 303
    lost = ann.post(f"/review/{story_id}", data={
        **second_tab, "csrf_token": first_tab["csrf_token"], "action": "reject",
        "note": "Not about KM"}, follow_redirects=False)
    assert lost.status_code == 409
    assert "Your decision was not saved: you approved story 1 already, on " in lost.text
    assert stories.get_story(db, story_id).status == "approved"

"""The trail says which answers an edit changed, on the review page and in `stories show`.

A coordinator sent a story back asking for its outcome; the submitter changed it in the form
and a re-import put the story back in the queue. The review page's trail said only "Edited by
form response: changes made in the form (file, row)", and `stories show` the same: nothing
said that the outcome was what changed, nor what it said before, though the trail keeps the
version each edit replaced. Now each edit names the fields it changed, and the review page
shows what they said before.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import review_app, sign_in


def _story(db, settings) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({
        "title": "AAR with F1s", "body": "After Action Reviews after every simulation.",
        "outcome": "Fewer handover errors", "name": "Zoë O'Connell",
        "email": "zoe.oconnell@nhs.net", "organisation": "RX1", "consent": True}, settings)
    return stories.submit_story(db, settings, data, source="form")[0].id


def test_edit_changes_names_each_edits_fields(db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _story(db, settings)
    stories.request_changes(db, story_id, reviewer="Ann", note="What did the F1s change?")
    stories.edit_story(db, settings, story_id,
                       {"outcome": "The F1s now run their own AARs after every sim."},
                       editor="form response", note="changes made in the form")
    stories.edit_story(db, settings, story_id, {"consent": False, "links": ["https://a.org/x"]},
                       editor="form response", note="consent withdrawn in the form")
    story = stories.get_story(db, story_id)
    edits = [event for event in story.events if event.action == "edited"]
    changes = stories.edit_changes(story)
    assert [(c.field, c.before, c.after) for c in changes[edits[0].id]] == [
        ("outcome", "Fewer handover errors", "The F1s now run their own AARs after every sim.")]
    assert [(c.label, c.before, c.after) for c in changes[edits[1].id]] == [
        ("links", [], ["https://a.org/x"]), ("consent to publish", True, False)]
    assert stories.edit_changes(stories.get_story(db, _story(db, settings))) == {}


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch, "coordinator"))


def test_the_review_page_shows_what_a_resubmission_changed(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                           settings) -> None:
    story_id = _story(db, settings)
    stories.request_changes(db, story_id, reviewer="coordinator", note="Add what changed")
    stories.edit_story(db, settings, story_id, {"outcome": "They run <b>their own</b> AARs."},
                       editor="form response", note="changes made in the form")
    sign_in(client)
    page = client.get(f"/review/{story_id}").text
    assert "Changed: outcome." in page
    assert "What it said before this edit" in page
    assert '<dd class="story__text">Fewer handover errors</dd>' in page
    assert "They run &lt;b&gt;their own&lt;/b&gt; AARs." in page  # escaped, as all story text


def test_stories_show_names_the_changed_fields(cli, campaign_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    assert cli("stories", "submit", "--title", "AAR with F1s", "--body", "We ran AARs.",
               "--name", "Zoë", "--email", "zoe@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "request-changes", "1", "--note", "Outcome?").exit_code == 0
    assert cli("stories", "edit", "1", "--outcome", "Fewer errors", "--role", "F1 lead")\
        .exit_code == 0
    shown = cli("stories", "show", "1").stdout
    edited = next(line for line in shown.splitlines() if " edited by Ann" in line)
    assert edited.endswith("(changed: outcome, role)")

"""Found in a fifth new-user trial, two coordinators reviewing one story: a decision is made
on the version of the story the coordinator read, or not at all.

The status check let a decision through when the story had been edited while it stayed in
the queue, or had left it and come back (changes requested, then made in the form): a
coordinator whose page was open approved a text they had never read.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    CATALOGUE,
    SECRET,
    TAXONOMY,
    FakeClock,
    add_coordinator,
    cheap_hashing,
    csrf,
    sign_in,
)

STORY = {"title": "Peer Assist before the EPR go-live", "body": "We ran a Peer Assist.",
         "name": "Jane Smith", "email": "jane.smith@nhs.net", "consent": True}
EDITED = "We ran a Peer Assist. (Patient names removed by the editor.)"
_SEEN = re.compile(r'name="seen" value="([^"]+)"')


def _submit(db, settings) -> int:  # type: ignore[no-untyped-def]
    story, _ = stories.submit_story(db, settings, stories.StoryInput.parse(STORY, settings),
                                    source="web")
    return story.id


def test_a_decision_on_a_version_since_edited_is_refused(db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _submit(db, settings)
    read = stories.get_story(db, story_id)
    stories.edit_story(db, settings, story_id, {"body": EDITED}, editor="Bob")
    with pytest.raises(stories.StoryChanged) as refused:
        stories.transition(db, story_id, "approve", reviewer="Ann", seen=read.version)
    assert "edited by Bob" in str(refused.value) and refused.value.step.startswith("edited")
    assert stories.get_story(db, story_id).status == stories.SUBMITTED
    now = stories.get_story(db, story_id)
    approved = stories.transition(db, story_id, "approve", reviewer="Ann", seen=now.version)
    assert approved.status == stories.APPROVED


def test_without_a_version_a_decision_goes_by_the_status_as_before(db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _submit(db, settings)
    stories.edit_story(db, settings, story_id, {"body": EDITED}, editor="Bob")
    assert stories.transition(db, story_id, "approve", reviewer="Ann").status == "approved"


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    add_coordinator(db)
    web = TestClient(create_app(settings, db, clock=FakeClock(), catalogue=CATALOGUE,
                                taxonomy=TAXONOMY))
    sign_in(web)
    return web


def _decision_form(page: str, action: str, note: str = "") -> dict[str, str]:
    match = _SEEN.search(page)
    assert match, "the review form does not say which version it shows"
    return {"csrf_token": csrf(page), "action": action, "note": note,
            "seen": match.group(1)}


def test_a_story_edited_while_its_page_was_open_is_shown_again(  # type: ignore[no-untyped-def]
        client, db, settings) -> None:
    story_id = _submit(db, settings)
    page = client.get(f"/review/{story_id}").text
    stories.edit_story(db, settings, story_id, {"body": EDITED}, editor="Bob")
    refused = client.post(f"/review/{story_id}",
                          data=_decision_form(page, "reject", "Names patients"),
                          follow_redirects=False)
    assert refused.status_code == 409
    assert "changed while you had it open" in refused.text and "edited by Bob" in refused.text
    assert "Patient names removed by the editor." in refused.text  # the story as it is now
    assert "Names patients" in refused.text  # the note as typed
    assert stories.get_story(db, story_id).status == stories.SUBMITTED
    again = client.post(f"/review/{story_id}", data=_decision_form(refused.text, "approve"),
                        follow_redirects=False)
    assert again.status_code == 303
    assert stories.get_story(db, story_id).status == stories.APPROVED


def test_a_story_sent_back_and_resubmitted_is_not_approved_from_the_old_page(  # type: ignore[no-untyped-def]
        client, db, settings) -> None:
    story_id = _submit(db, settings)
    ann = client.get(f"/review/{story_id}").text  # Ann opens it ...
    stories.request_changes(db, story_id, reviewer="Bob", note="Please remove the names")
    stories.edit_story(db, settings, story_id, {"body": EDITED}, editor="form response")
    assert stories.get_story(db, story_id).status == stories.SUBMITTED  # back in the queue
    refused = client.post(f"/review/{story_id}", data=_decision_form(ann, "approve"),
                          follow_redirects=False)  # ... and approves what she read
    assert refused.status_code == 409
    assert [e.action for e in stories.get_story(db, story_id).events] == [
        "submitted", "changes_requested", "edited"]


def test_the_review_queue_shows_a_story_again_when_it_was_edited_meanwhile(  # type: ignore[no-untyped-def]
        campaign_dir, cli, monkeypatch, settings) -> None:
    from knowvember.cli import stories as cli_stories
    from knowvember.db import open_database

    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    submitted = cli("stories", "submit", "--title", STORY["title"], "--body", STORY["body"],
                    "--name", "Jane Smith", "--email", "jane.smith@nhs.net", "--consent",
                    "--format", "json")
    story_id = int(json.loads(submitted.stdout)["id"])
    shown = []
    render = cli_stories.render_story

    def render_then_edit(console, story, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        render(console, story, *args, **kwargs)
        shown.append(story.body)
        if len(shown) == 1:  # Bob edits it while Ann reads it
            db = open_database(settings, url=f"sqlite:///{campaign_dir / 'knowvember.db'}")
            try:
                stories.edit_story(db, settings, story_id, {"body": EDITED}, editor="Bob")
            finally:
                db.dispose()

    monkeypatch.setattr(cli_stories, "render_story", render_then_edit)
    result = cli("stories", "review", input="a" + "a")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "changed while you were reading it (edited by Bob" in said
    assert shown == [STORY["body"], EDITED]
    assert "Decided 1 of 1: 1 approved" in said
    trail = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    assert [e["action"] for e in trail["events"]] == ["submitted", "edited", "approved"]

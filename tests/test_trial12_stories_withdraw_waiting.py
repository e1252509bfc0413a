"""Withdrawing consent from a story sent back for changes leaves it waiting for them.

On the web, "Withdraw permission to publish" on a story waiting for changes said "it stays
changes requested", but the withdrawal is an edit, and an edited story sent back goes back
into the queue: it was `submitted` again, as if the changes asked for had been made, and a
coordinator could approve it without them. `stories edit ID --no-consent` did the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def _waiting(db, settings):  # type: ignore[no-untyped-def]
    from knowvember import stories

    data = stories.StoryInput.parse({"title": "Peer assist before go-live", "body": "We met.",
                                     "name": "Jo Bloggs", "email": "jo@nhs.net",
                                     "consent": True}, settings)
    story_id = stories.submit_story(db, settings, data, source="web")[0].id
    stories.request_changes(db, story_id, reviewer="Ann", note="Add the outcome, please")
    return story_id


def test_the_web_withdrawal_keeps_a_story_waiting_for_changes(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from knowvember import stories
    from tests.web_support import csrf, review_app, sign_in

    story_id = _waiting(db, settings)
    client = TestClient(review_app(settings, db, monkeypatch, "coordinator"))
    sign_in(client)
    page = client.get(f"/review/{story_id}").text
    seen = re.findall(r'name="seen" value="([^"]+)"', page)[-1]
    done = client.post(f"/review/{story_id}/withdraw", data={
        "csrf_token": csrf(page), "note": "Jo asked by email", "seen": seen})
    assert done.status_code == 200
    assert "it stays changes requested" in done.text
    story = stories.get_story(db, story_id)
    assert story.status == "changes_requested" and story.consent is False
    assert [s.id for s in stories.pending_stories(db)] == []
    assert story.events[-1].to_status == "changes_requested"


def test_edit_no_consent_keeps_a_story_waiting_for_changes(
        campaign_dir: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    assert cli("stories", "submit", "--title", "Journal club", "--body", "We met.", "--name",
               "Jo", "--email", "jo@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "request-changes", "1", "--note", "Outcome?").exit_code == 0
    result = cli("stories", "edit", "1", "--no-consent")
    assert result.exit_code == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "(now changes requested)" in message and "put back" not in message
    changed = cli("stories", "edit", "1", "--outcome", "Two clubs now meet")
    assert "put back in the review queue (now submitted)" in " ".join(changed.stderr.split())


def test_a_form_withdrawal_keeps_a_story_waiting_for_changes(
        campaign_dir: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same through a form export: a response whose only change is its consent, now
    No, was said to be "changes made in the form (consent), as asked: back in the review
    queue"."""
    import json

    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    path = campaign_dir / "KM stories.csv"
    header = "ID,Completion time,Email,Name,Title,What happened?,Consent\n"
    row = "1,04/11/2019 09:20,jo@nhs.net,Jo,Journal club,We met.,{}\n"
    path.write_text(header + row.format("Yes"), encoding="utf-8")
    assert cli("stories", "import", str(path)).exit_code == 0
    assert cli("stories", "request-changes", "1", "--note", "Outcome?").exit_code == 0
    path.write_text(header + row.format("No"), encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    [warning] = json.loads(result.stdout)["warnings"]
    assert "withdrew consent" in warning and "it stays changes requested" in warning
    story = json.loads(cli("stories", "show", "1", "--format", "json").stdout)
    assert story["status"] == "changes_requested" and story["consent"] is False

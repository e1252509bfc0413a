"""Found in a fifth new-user trial of stories: an email address pasted with what came with
it was stored with it ("jane.smith@nhs.net;" from Outlook's To line, a zero-width space from
a web page, "mailto:"), so a coordinator's mail could bounce and a later response of the
same respondent did not match; an address with its Outlook display name was refused."""

from __future__ import annotations

import json

import pytest

from knowvember import stories

ROW = {"title": "T", "body": "B", "name": "N", "consent": True}


@pytest.mark.parametrize("typed", [
    "jane.smith@nhs.net;", "jane.smith@nhs.net, ", "mailto:jane.smith@nhs.net",
    "jane.smith@nhs.net\u200b", "\ufeffjane.smith@nhs.net", "jane.smith\u00ad@nhs.net",
    "Smith Jane (UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST) <jane.smith@nhs.net>",
    "<jane.smith@nhs.net>",
])
def test_a_pasted_address_is_stored_clean(settings, typed: str) -> None:  # type: ignore[no-untyped-def]
    assert stories.StoryInput.parse({**ROW, "email": typed}, settings).email == (
        "jane.smith@nhs.net")


@pytest.mark.parametrize(("typed", "said"), [
    ("jane@nhs.net; bob@nhs.net", "holds more than one address"),
    ("jane@nhs.net,bob@nhs.net", "holds more than one address"),
    ("jane;smith@nhs.net", "is not an email address"),
    ("jane@nhs.net>", "is not an email address"),
])
def test_what_is_not_one_address_is_refused(settings, typed: str, said: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(stories.StoryValidationError) as caught:
        stories.StoryInput.parse({**ROW, "email": typed}, settings)
    assert said in caught.value.errors["email"]


def test_a_google_form_response_with_a_pasted_address_is_matched_when_edited(  # type: ignore[no-untyped-def]
        campaign_dir, cli) -> None:
    header = "Timestamp,Your email address,Name,Title,What happened?,Consent\n"
    path = campaign_dir / "responses.csv"
    path.write_text(header + "2019/11/05 10:31:22,jane.smith@nhs.net;,Jane,Peer Assist,"
                    "We ran one.,Yes\n", encoding="utf-8")
    first = cli("stories", "import", str(path), "--format", "json")
    assert json.loads(first.stdout)["imported"] == 1
    # She edits her response in the form (Google Forms then writes the time of the edit)
    # and takes the semicolon out.
    path.write_text(header + "2019/11/07 09:00:00,jane.smith@nhs.net,Jane,Peer Assist,"
                    "We ran one. It helped.,Yes\n", encoding="utf-8")
    again = json.loads(cli("stories", "import", str(path), "--format", "json").stdout)
    assert again["imported"] == 0 and again["already_imported"] == 1
    listed = json.loads(cli("stories", "list", "--include-email", "--format", "json").stdout)
    assert [s["email"] for s in listed] == ["jane.smith@nhs.net"]


def test_a_story_stored_with_a_pasted_address_by_an_earlier_release_is_matched(  # type: ignore[no-untyped-def]
        campaign_dir, cli, settings) -> None:
    from knowvember.db import open_database
    from knowvember.models import Story

    header = "Timestamp,Your email address,Name,Title,What happened?,Consent\n"
    path = campaign_dir / "responses.csv"
    path.write_text(header + "2019/11/05 10:31:22,jane.smith@nhs.net,Jane,Peer Assist,"
                    "We ran one.,Yes\n", encoding="utf-8")
    assert json.loads(cli("stories", "import", str(path), "--format", "json").stdout)[
        "imported"] == 1
    db = open_database(settings, url=f"sqlite:///{campaign_dir / 'knowvember.db'}")
    try:  # as a release before this one stored it
        with db.begin() as conn:
            conn.execute(Story.__table__.update().values(email="Jane.Smith@nhs.net;"))
    finally:
        db.dispose()
    path.write_text(header + "2019/11/07 09:00:00,jane.smith@nhs.net,Jane,Peer Assist,"
                    "We ran one. It helped.,Yes\n", encoding="utf-8")
    again = json.loads(cli("stories", "import", str(path), "--format", "json").stdout)
    assert again["imported"] == 0 and again["already_imported"] == 1

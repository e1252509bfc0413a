"""Found in a fifth new-user trial of stories: a consent answer holding both yes and no.

A consent question asked as tick boxes with both ticked (Google Forms writes "Yes, No",
Microsoft Forms "Yes;No;"), or a sheet's "Yes/No" hint left in the cell, was read by its
first word: "Yes;No;" was consent, and the story was published once approved.
"""

from __future__ import annotations

import json

import pytest

from knowvember import stories

ROW = {"title": "T", "body": "B", "name": "N", "email": "n@nhs.net"}


@pytest.mark.parametrize("answer", [
    "Yes, No", "Yes;No;", "yes/no", "Yes / No", "Yes or no", "Yes and No", "No, Yes",
    "No;Yes;", "Yes;N;",
])
def test_both_answers_are_a_row_error_never_consent(settings, answer: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(stories.StoryValidationError) as caught:
        stories.StoryInput.parse({**ROW, "consent": answer}, settings)
    said = caught.value.errors["consent"]
    assert "answers both yes and no" in said and "ask the submitter" in said


@pytest.mark.parametrize(("answer", "expected"), [
    ("Yes, no problem", True), ("Yes - no worries", True), ("Yes, no objections", True),
    ("Yes;", True), ("Yes, I don't mind", True), ("No", False), ("No;", False),
    ("No, thank you", False), ("No, I do not agree", False), ("Not yet", False),
])
def test_one_answer_is_still_read(settings, answer: str, expected: bool) -> None:  # type: ignore[no-untyped-def]
    assert stories.StoryInput.parse({**ROW, "consent": answer}, settings).consent is expected


def test_a_form_row_ticking_both_is_not_imported(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_text("Timestamp,Email address,Name,Title,What happened?,Consent\n"
                    '2019/11/05 10:31:22 AM GMT,a@nhs.net,A,Peer Assist,We ran one.,"Yes, No"\n'
                    "2019/11/06 10:31:22 AM GMT,b@nhs.net,B,Retrospect,We held one.,Yes\n",
                    encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report["imported"] == 1 and report["errors"][0]["row"] == 2
    assert "consent (Consent): 'Yes, No' answers both yes and no" in report["errors"][0]["reason"]

"""Found in a fifth new-user trial of stories: consent asked as a tick box ("I agree to my
story being published") and unticked when the respondent edited the response is an empty
cell in the next export. The row was an error ("required: answer yes or no"), the import
partial, and the story stayed published. No answer is never consent: for a response
imported before, it is the withdrawal it looks like."""

from __future__ import annotations

import json

MS = "ID,Completion time,Email,Name,Title,What happened?,Consent to publish\n"
GOOGLE = "Timestamp,Email address,Name,Title,What happened?,Consent\n"


def _import(cli, path):  # type: ignore[no-untyped-def]
    return cli("stories", "import", str(path), "--format", "json")


def _show(cli, story_id: int) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)  # type: ignore[no-any-return]


def test_an_unticked_consent_box_withdraws_consent(campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    path = campaign_dir / "responses.csv"
    path.write_text(MS + "1,05/11/2019 10:31,jane@nhs.net,Jane,Peer Assist,We ran one.,"
                    "I agree;\n", encoding="utf-8")
    story_id = json.loads(_import(cli, path).stdout)["story_ids"][0]
    assert cli("stories", "approve", str(story_id)).exit_code == 0
    path.write_text(MS + "1,05/11/2019 10:31,jane@nhs.net,Jane,Peer Assist,We ran one.,\n"
                    "2,06/11/2019 09:00,bob@nhs.net,Bob,Retrospect,We held one.,\n",
                    encoding="utf-8")
    result = _import(cli, path)
    report = json.loads(result.stdout)
    # Bob's new response without an answer is still a row error; Jane's is a withdrawal.
    assert result.exit_code == 4 and report["imported"] == 0
    assert report["already_imported"] == 1
    assert [e["row"] for e in report["errors"]] == [3]
    assert any(f"story {story_id} is no longer published" in w for w in report["warnings"])
    story = _show(cli, story_id)
    assert story["consent"] is False and story["status"] == "approved"
    assert story["events"][-1]["action"] == "edited"
    assert story["events"][-1]["reviewer"] == "form response"


def test_an_unticked_box_in_an_edited_google_forms_response_withdraws_consent(  # type: ignore[no-untyped-def]
        campaign_dir, cli) -> None:
    path = campaign_dir / "responses.csv"
    path.write_text(GOOGLE + "2019/11/05 10:31:22,jane@nhs.net,Jane,Peer Assist,We ran one.,"
                    "I agree\n", encoding="utf-8")
    story_id = json.loads(_import(cli, path).stdout)["story_ids"][0]
    # Edited in the form: Google Forms writes the time of the edit.
    path.write_text(GOOGLE + "2019/11/08 16:00:00,jane@nhs.net,Jane,Peer Assist,We ran one.,"
                    "\n", encoding="utf-8")
    result = _import(cli, path)
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["failed"] == 0
    assert _show(cli, story_id)["consent"] is False

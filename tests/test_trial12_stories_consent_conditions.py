"""A consent box's agreement with a condition is a row error, as a yes with one is.

"Yes, anonymously" and "Yes, internally only" were row errors (ask the submitter), but the
same condition in a tick box's own words ("I consent to my story being published
anonymously", "I agree to it being shared internally only", "I agree to it being published
if my name is removed") was read as consent: the story was published whole, name and all, on
/stories and in exports. "I give permission for my story to be published", a usual
wording, is consent; it was "cannot read ... as yes or no".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowvember.stories import parse_yes_no
from tests.conftest import BASE_CONFIG


@pytest.mark.parametrize("answer", [
    "I consent to my story being published anonymously",
    "I agree to my story being shared internally only",
    "I agree to it being published if my name is removed",
    "I'm happy for it to be shared within the trust only",
    "I agree, as long as my name is left out",
])
def test_an_agreement_with_a_condition_is_no_answer(answer: str) -> None:
    with pytest.raises(ValueError, match="agrees with a condition"):
        parse_yes_no(answer)


@pytest.mark.parametrize("answer", [
    "I give permission for my story to be published",
    "I consent to my story being published on the KNOWvember blog;",
    "I agree;",
])
def test_a_plain_agreement_is_consent(answer: str) -> None:
    assert parse_yes_no(answer) is True


def test_the_import_refuses_the_row_naming_the_condition(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "campaign.toml").write_text(
        BASE_CONFIG + '\n[stories.form_columns]\nconsent = "Permission to publish"\n',
        encoding="utf-8")
    path = campaign_dir / "KM stories.csv"
    path.write_text(
        "ID,Completion time,Email,Name,Title,What happened?,Permission to publish\n"
        "1,04/11/2019 09:20,jo@nhs.net,Jo,Journal club,We met.,"
        "I consent to my story being published anonymously;\n", encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert error["row"] == 2
    assert error["reason"].startswith("consent (Permission to publish): 'I consent to my "
                                      "story being published anonymously;' agrees with a "
                                      "condition ('anonymously')")


@pytest.mark.parametrize("answer", [
    "Yes, I consent. Please don't use my surname.",
    "Yes, please leave my name off",
    "Yes, please remove my name",
    "Yes, I agree. Don’t name me please",
    "I consent, please leave my surname off",
])
def test_a_yes_asking_to_leave_the_name_out_is_no_answer(answer: str) -> None:
    """Read as yes, the byline published the name the submitter asked to leave out."""
    with pytest.raises(ValueError, match="with a condition"):
        parse_yes_no(answer)


@pytest.mark.parametrize("answer", ["Yes, and you can use my name", "Yes, I don't mind",
                                    "Yes, please share my name and role"])
def test_a_yes_about_the_name_is_still_consent(answer: str) -> None:
    assert parse_yes_no(answer) is True

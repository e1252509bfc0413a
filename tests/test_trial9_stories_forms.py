"""Found in the ninth new-user trial of stories: form exports as librarians download them."""

from __future__ import annotations

import json

import pytest

MS_HEADER = "ID,Completion time,Email,Name,Title,What happened?,Consent to publish\n"


def _imported(cli, path, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("stories", "import", str(path), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _submitted(cli, story_id: int) -> str:  # type: ignore[no-untyped-def]
    shown = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    return str(shown["submitted_at"])[:10]


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("11/5/19 9:10", "11/6/19 14:02", ("2019-11-05", "2019-11-06")),  # US-locale Forms
    ("11/05/2019 09:10:00", "11/06/2019 14:02:00", ("2019-11-05", "2019-11-06")),
    ("05/11/2019 09:10:00", "06/11/2019 14:02:00", ("2019-11-05", "2019-11-06")),  # UK
], ids=["us-short", "us-long", "uk"])
def test_ambiguous_dates_are_read_in_the_campaign_month(  # type: ignore[no-untyped-def]
    campaign_dir, cli, first: str, second: str, expected: tuple[str, str]
) -> None:
    """Every response on or before the 12th: each date reads both ways. A US-locale export
    (`11/5/19`, 5 November) was read day-first, as 11 May: out of the campaign."""
    path = campaign_dir / "responses.csv"
    path.write_text(MS_HEADER + f"1,{first},a@nhs.net,A,Peer Assist,We ran one.,Yes\n"
                    f"2,{second},b@nhs.net,B,Retrospect,We held one.,Yes\n", encoding="utf-8")
    ids = _imported(cli, path)["story_ids"]
    assert tuple(_submitted(cli, i) for i in ids) == expected


@pytest.mark.parametrize("given", ["jane.smith@nhs.net", " Jane.Smith@NHS.net"])
def test_forget_given_an_email_says_how_a_submitters_stories_are_erased(  # type: ignore[no-untyped-def]
    campaign_dir, cli, given: str
) -> None:
    """An erasure request from a story's submitter names their email address."""
    result = cli("forget", given, "--yes")
    assert result.exit_code == 2
    assert "looks like an email address" in result.stderr
    assert "stories delete ID --yes" in result.stderr


def test_forget_still_takes_a_mastodon_account_without_its_platform_refused(  # type: ignore[no-untyped-def]
    campaign_dir, cli
) -> None:
    result = cli("forget", "@lib@nhs.social", "--yes")
    assert result.exit_code == 2
    assert "looks like an email" not in result.stderr


def test_a_response_sent_twice_is_named_as_a_resubmission(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """The same respondent sent the form twice, an hour apart: two response ids, one story."""
    path = campaign_dir / "responses.csv"
    row = "a@nhs.net,Aoife,Knowledge harvest,\"We ran a knowledge harvest.\nIt worked.\",Yes\n"
    path.write_text(MS_HEADER + f"1,03/11/2019 09:12:44,{row}2,03/11/2019 10:05:00,{row}"
                    "3,04/11/2019 10:05:00,b@nhs.net,B,Knowledge harvest,Another one.,Yes\n",
                    encoding="utf-8")
    result = _imported(cli, path)
    first, second, third = result["story_ids"]
    (warning,) = result["warnings"]
    assert warning.startswith("row 3: the same email, title and story as story "
                              f"{first}") and f"stories delete {second} --yes" in warning
    later = campaign_dir / "later.csv"
    later.write_text(MS_HEADER + f"4,05/11/2019 10:05:00,{row}", encoding="utf-8")
    again = _imported(cli, later)
    assert again["imported"] == 1 and f"as story {first}," in again["warnings"][0]
    assert again["status"] == "ok" and third

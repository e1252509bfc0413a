"""The eleventh trial: a campaign hashtag written with a letter O for its zero.

Staff wrote `#KNOWvember2O19` (the letter O beside the zero key, alike in many fonts); an
import left every such post out as not the campaign's, though anyone reading it sees the
campaign hashtag. (`#KNOWvember_19` stays a tag for `variants`: tests/test_trial_classify.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowvember.hashtags import CampaignTags, hashtags_in

TAGS = CampaignTags(["KNOWvember2019", "KNOWvember19", "KNOWvember", "Knowvmber19"])


@pytest.mark.parametrize("text", [
    "#KNOWvember2O19 our lunch and learn on evidence summaries",
    "#Knowvember2o19 lower-case o",
    "Day 5! #KNOWvember2O19, #library",
])
def test_a_letter_o_for_a_zero_is_still_the_campaign(text: str) -> None:
    assert TAGS.matches_text(text)


@pytest.mark.parametrize("text", [
    "#Knowvember_2018 last year's",
    "#KNOWvember2O18 last year's, O for zero",
    "#KNOWvember19O",
    "#knowvember1o",
    "#November_2019",
    "#knowledge #November",
    "#KNOWvember19s",
    "#KNOWvember_2O19",
])
def test_other_tags_stay_other(text: str) -> None:
    assert not TAGS.matches_text(text)


def test_searches_still_ask_for_the_tags_as_configured() -> None:
    assert TAGS.query_terms() == ["knowvember", "knowvember19", "knowvember2019",
                                  "knowvmber19"]


def test_an_import_keeps_those_posts(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "posts.csv"
    path.write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,1191672311587868672,@lib,2019-11-05 09:30,#KNOWvember2019 peer assist\n"
        "x,1191672311587868673,@lib,2019-11-05 09:31,#KNOWvember2O19 knowledge cafe\n"
        "x,1191672311587868674,@lib,2019-11-05 09:32,#Knowvember_2018 throwback\n",
        encoding="utf-8")
    result = cli("import", "csv", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)[0]
    assert (record["new"], record["skipped"]) == (2, 1)
    assert hashtags_in("#KNOWvember2O19") == ["knowvember2o19"]  # stored as written

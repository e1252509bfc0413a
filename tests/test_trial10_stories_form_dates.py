"""Found in a fifth new-user trial of stories: last year's form export imported into this
year's campaign went into this year's queue, report and counts, and the import said only
"3 imported". An export whose every response was sent far from the campaign's dates is
refused before anything is written (`--any-dates` imports it all the same); a few such
responses are named in a warning."""

from __future__ import annotations

import json

HEADER = "Timestamp,Email address,Name,Title,What happened?,Consent\n"


def _export(campaign_dir, *days: str):  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_text(HEADER + "".join(
        f"{day} 10:31:22,p{n}@nhs.net,P{n},Story {n},We ran a Peer Assist.,Yes\n"
        for n, day in enumerate(days, start=2)), encoding="utf-8")
    return path


def _stories(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("stories", "list", "--format", "json").stdout)  # type: ignore[no-any-return]


def test_an_export_from_another_year_is_refused_before_writing(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    # The test campaign is November 2019; this is the 2018 form.
    path = _export(campaign_dir, "2018/11/05", "2018/11/20", "2018/12/01")
    result = cli("stories", "import", str(path))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "every response was sent outside the campaign" in said
    assert "2018-11-05 to 2018-12-01" in said and "--any-dates" in said
    assert _stories(cli) == []
    anyway = cli("stories", "import", str(path), "--any-dates", "--format", "json")
    assert anyway.exit_code == 0, anyway.stderr
    assert json.loads(anyway.stdout)["imported"] == 3 and len(_stories(cli)) == 3


def test_a_few_responses_far_from_the_campaign_are_named(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    path = _export(campaign_dir, "2019/11/05", "2019/10/20", "2019/12/20", "2020/06/01")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 4
    outside = [w for w in report["warnings"] if "sent outside the campaign" in w]
    assert len(outside) == 1 and "row 5 sent outside" in outside[0]
    assert "2020-06-01" in outside[0]


def test_responses_around_the_campaign_are_not_named(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """A form opened in October, late stories in January: no warning."""
    path = _export(campaign_dir, "2019/10/01", "2019/11/05", "2020/01/31")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 0
    assert not [w for w in json.loads(result.stdout)["warnings"] if "outside" in w]

"""`orgs ...`, `classify` and `techniques ...` from the command line."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from knowvember.config import load_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_USAGE
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.conftest import BASE_CONFIG


def _json(result) -> object:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def populated(campaign_dir: Path) -> Path:
    """The test campaign's database with three accounts and their posts."""
    settings = load_settings(campaign_dir / "campaign.toml")
    db = open_database(settings)
    accounts = [
        AccountRecord(platform="x", key="1", handle="@uhllibraries", display_name="UHL Libraries",
                      bio="Library & Knowledge Service at UHL"),
        AccountRecord(platform="x", key="2", handle="@jo_lib", display_name="Jo",
                      bio="Librarian. Views my own."),
        AccountRecord(platform="mastodon", key="https://nhs.social/@kls", handle="@kls@nhs.social",
                      display_name="KLS", bio="Knowledge & Library Services, Leeds Teaching "
                                              "Hospitals and Bradford Teaching Hospitals"),
    ]
    posts = [
        PostRecord(platform=a.platform, platform_id=f"{a.key}-{n}", account_key=a.key,
                   created_at=dt.datetime(2019, 11, 4, 10, n, tzinfo=dt.UTC),
                   text="A #KNOWvember19 Knowledge Café", hashtags=("knowvember19",))
        for a, count in zip(accounts, (1, 2, 3), strict=True) for n in range(count)
    ]
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(posts, accounts)
    db.dispose()
    return campaign_dir


def test_orgs_list(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    everything = _json(cli("orgs", "list", "--format", "json"))
    assert len(everything) == 200  # type: ignore[arg-type]
    with_closed = _json(cli("orgs", "list", "--closed", "--format", "json"))
    assert len(with_closed) == 242  # type: ignore[arg-type]
    north_west = _json(cli("orgs", "list", "--region", "north-west", "--format", "json"))
    assert {o["region"] for o in north_west} == {"North West"}  # type: ignore[union-attr,index]
    assert "RBS" in {o["code"] for o in north_west}  # type: ignore[union-attr,index]
    ampersand = _json(cli("orgs", "list", "--region", "North East & Yorkshire", "--format",
                          "json"))
    assert {o["region"] for o in ampersand} == {"North East and Yorkshire"}  # type: ignore[union-attr,index]
    table = cli("orgs", "list", "--region", "London")
    assert table.exit_code == 0 and "Great Ormond Street" in table.stdout
    bad = cli("orgs", "list", "--region", "Narnia")
    assert bad.exit_code == EXIT_USAGE and "unknown region 'Narnia'" in bad.stderr


def test_orgs_list_includes_config_organisations(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[organisations]]\ncode = "UNI-LIB"\nname = "University of Somewhere Health '
                 'Library"\nregion = "Midlands"\n')
    codes = {o["code"] for o in _json(cli("orgs", "list", "--format", "json"))}  # type: ignore[union-attr,index]
    assert "UNI-LIB" in codes


def test_orgs_show(cli, populated) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli("orgs", "show", "rw6", "--format", "json"))
    assert data["code"] == "RW6" and data["kind"] == "closed"  # type: ignore[index]
    assert data["successor_codes"] == ["RM3", "R0A"]  # type: ignore[index]
    assert data["reported_as_after_closure"] == "RM3"  # type: ignore[index]
    rm3 = _json(cli("orgs", "show", "RM3", "--format", "json"))
    assert rm3["former_names"][0]["name"] == "Salford Royal NHS Foundation Trust"  # type: ignore[index]
    cli("orgs", "attribute")
    rwe = _json(cli("orgs", "show", "RWE", "--format", "json"))
    assert rwe["accounts"] == [{"account": "x:@uhllibraries", "organisation_code": "RWE",  # type: ignore[index]
                                "attribution": "auto", "confidence": 0.9, "posts": 1}]
    text = cli("orgs", "show", "RW6")
    assert text.exit_code == 0 and "reported as RM3" in text.stdout
    missing = cli("orgs", "show", "ZZZ")
    assert missing.exit_code == EXIT_NOT_FOUND
    assert "no organisation with code 'ZZZ'" in missing.stderr


def test_orgs_match_json_shape(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli("orgs", "match", "Manchester University NHS FT library team", "--format",
                     "json"))
    best = data["candidates"][0]  # type: ignore[index]
    assert {"code", "name", "region", "confidence", "auto"} <= set(best)
    assert (best["code"], best["auto"], best["region"]) == ("R0A", True, "North West")
    assert 0 <= best["confidence"] <= 1
    none = _json(cli("orgs", "match", "Library and Knowledge Service", "--format", "json"))
    assert none == {"candidates": []}
    table = cli("orgs", "match", "Alder Hey")
    assert table.exit_code == 0 and "RBS" in table.stdout


def test_orgs_match_with_a_national_team_named_in_generic_words(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[organisations]]\ncode = "NHSE-KLS"\n'
                 'name = "NHS England Knowledge and Library Services"\nregion = "National"\n')

    def candidates(text: str) -> list[dict[str, object]]:
        return _json(cli("orgs", "match", text, "--format", "json"))["candidates"]  # type: ignore[index,no-any-return]

    leeds = candidates("Knowledge and Library Services, Leeds Teaching Hospitals")
    assert [(c["code"], c["auto"]) for c in leeds] == [("RR8", True)]
    national = candidates("NHS England Knowledge and Library Services")
    assert (national[0]["code"], national[0]["auto"]) == ("NHSE-KLS", True)
    assert candidates("Knowledge and library services") == []


def test_read_only_commands_work_without_a_campaign(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KNOWVEMBER_CONFIG", raising=False)
    assert _json(cli("orgs", "match", "GOSH", "--format", "json"))["candidates"][0]["code"] == (  # type: ignore[index]
        "RP4")
    assert _json(cli("classify", "A #PeerAssist", "--format", "json"))["techniques"] == [  # type: ignore[index]
        {"name": "Peer Assist", "phase": ["before"]}]
    missing = cli("--config", str(tmp_path / "nope.toml"), "orgs", "match", "GOSH")
    assert missing.exit_code == 3


def test_classify(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli("classify", "Our first #KnowledgeCafe and an AAR at Alder Hey #KNOWvember19",
                     "--format", "json"))
    assert data == {  # type: ignore[comparison-overlap]
        "techniques": [{"name": "Knowledge Café", "phase": ["during"]},
                       {"name": "After Action Review", "phase": ["during"]}],
        "hashtags": ["knowledgecafe", "knowvember19"],
        "organisations": data["organisations"],  # type: ignore[index]
    }
    assert data["organisations"][0]["code"] == "RBS"  # type: ignore[index]
    text = cli("classify", "Nothing to see")
    assert text.exit_code == 0 and "Techniques: (none)" in text.stdout


def test_classify_uses_config_techniques(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[techniques.custom]]\nname = "Speed Networking"\nphase = ["during"]\n')
    data = _json(cli("classify", "#SpeedNetworking at lunch", "--format", "json"))
    assert data["techniques"] == [{"name": "Speed Networking", "phase": ["during"]}]  # type: ignore[index]


def test_techniques_list(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli("techniques", "list", "--format", "json"))
    names = [t["name"] for t in data]  # type: ignore[union-attr,index]
    assert names[0] == "Self-assessment Tool" and "Retrospect" in names and len(names) == 17
    aar = next(t for t in data if t["name"] == "After Action Review")  # type: ignore[union-attr,index]
    assert aar["abbreviations"] == ["AAR"] and aar["phase"] == ["during"]
    table = cli("techniques", "list")
    assert table.exit_code == 0 and "Peer Assist" in table.stdout


def test_assign_unassign_and_unmatched(cli, populated) -> None:  # type: ignore[no-untyped-def]
    queue = _json(cli("orgs", "unmatched", "--format", "json"))["accounts"]  # type: ignore[index]
    assert [(a["account"], a["posts"]) for a in queue] == [
        ("mastodon:@kls@nhs.social", 3), ("x:@jo_lib", 2)]
    assert {s["code"] for s in queue[0]["suggestions"][:2]} == {"RR8", "RAE"}
    assigned = cli("orgs", "assign", "mastodon:@KLS@nhs.social", "rr8")
    assert assigned.exit_code == 0, assigned.stderr
    assert "Assigned mastodon:@kls@nhs.social to RR8 Leeds Teaching Hospitals" in assigned.stderr
    queue = _json(cli("orgs", "unmatched", "--format", "json"))["accounts"]  # type: ignore[index]
    assert [a["account"] for a in queue] == ["x:@jo_lib"]
    table = cli("orgs", "unmatched")
    assert table.exit_code == 0 and "x:@jo_lib" in table.stdout
    unassigned = cli("orgs", "unassign", "x:@uhllibraries")
    assert unassigned.exit_code == 0 and "now has no organisation" in unassigned.stderr
    assert [a["account"] for a in _json(cli("orgs", "unmatched", "--all", "--format", "json"))[
        "accounts"]] == ["x:@jo_lib", "x:@uhllibraries"]  # type: ignore[index]
    back = cli("orgs", "unassign", "x:@uhllibraries", "--auto")
    assert back.exit_code == 0 and "attributed to RWE" in back.stderr


def test_assign_errors(cli, populated) -> None:  # type: ignore[no-untyped-def]
    unknown_account = cli("orgs", "assign", "x:@nobody", "RWE")
    assert unknown_account.exit_code == EXIT_NOT_FOUND
    assert "no account x:@nobody" in unknown_account.stderr
    unknown_code = cli("orgs", "assign", "x:@jo_lib", "NOPE")
    assert unknown_code.exit_code == EXIT_NOT_FOUND and "'NOPE'" in unknown_code.stderr
    bad_ref = cli("orgs", "assign", "jo_lib", "RWE")
    assert bad_ref.exit_code == EXIT_USAGE and "platform:handle" in bad_ref.stderr
    unknown_unassign = cli("orgs", "unassign", "bluesky:nobody.bsky.social")
    assert unknown_unassign.exit_code == EXIT_NOT_FOUND


def test_config_mapped_account_cannot_be_reassigned(cli, populated, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[organisations]]\ncode = "RWE"\naccounts = ["x:@jo_lib"]\n')
    summary = _json(cli("orgs", "attribute", "--format", "json"))
    assert summary["by_config"] == 1  # type: ignore[index]
    refused = cli("orgs", "assign", "x:@jo_lib", "RR8")
    assert refused.exit_code == EXIT_CONFLICT and "campaign.toml" in refused.stderr


def test_techniques_retag(cli, populated, write_config) -> None:  # type: ignore[no-untyped-def]
    first = _json(cli("techniques", "retag", "--format", "json"))
    assert first["posts"] == 6 and first["post_tags_added"] == 6  # type: ignore[index]
    write_config('[techniques]\nsynonyms = { "Community of Practice" = ["KNOWvember19"] }\n')
    second = _json(cli("techniques", "retag", "--format", "json"))
    assert second["post_tags_added"] == 6 and second["posts_changed"] == 6  # type: ignore[index]
    text = cli("techniques", "retag")
    assert text.exit_code == 0 and "Re-tagged 6 posts (0 changed" in text.stderr


def test_help_texts(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (["orgs", "--help"], ["techniques", "--help"], ["classify", "--help"],
                 ["orgs", "unassign", "--help"]):
        result = cli(*args)
        assert result.exit_code == 0 and "Usage" in result.stdout


def test_orgs_show_counts_the_posts_inside_the_campaign_window_like_the_leaderboard(
        cli, write_config) -> None:  # type: ignore[no-untyped-def]
    """Local midnights in New York, not UTC dates: 1 November starts at 04:00Z, and
    30 November ends at 05:00Z on 1 December (daylight saving ended in between)."""
    path = write_config(base=BASE_CONFIG.replace("Europe/London", "America/New_York"))
    db = open_database(load_settings(path))
    account = AccountRecord(platform="x", key="1", handle="@uhllibraries",
                            display_name="UHL Libraries", bio="Library & Knowledge Service at UHL")
    times = {"before": dt.datetime(2019, 10, 15, 12), "31-oct-local": dt.datetime(2019, 11, 1, 3),
             "first": dt.datetime(2019, 11, 1, 5), "mid": dt.datetime(2019, 11, 15, 12),
             "last": dt.datetime(2019, 12, 1, 4), "1-dec-local": dt.datetime(2019, 12, 1, 6),
             "after": dt.datetime(2019, 12, 20, 12)}
    posts = [PostRecord(platform="x", platform_id=name, account_key="1",
                        created_at=at.replace(tzinfo=dt.UTC),
                        text="A #KNOWvember19 Knowledge Café", hashtags=("knowvember19",))
             for name, at in times.items()]
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(posts, [account])
    db.dispose()
    assert cli("orgs", "attribute").exit_code == 0
    shown = _json(cli("orgs", "show", "RWE", "--format", "json"))
    assert [(a["account"], a["posts"]) for a in shown["accounts"]] == [  # type: ignore[index]
        ("x:@uhllibraries", 3)]
    (row,) = _json(cli("leaderboard", "--format", "json"))  # type: ignore[misc]
    summary = _json(cli("summary", "--org", "RWE", "--format", "json"))
    assert row["code"] == "RWE" and row["posts"] == summary["posts"] == 3  # type: ignore[index]
    table = cli("orgs", "show", "RWE").stdout
    assert re.search(r"x:@uhllibraries\W+auto\W+0\.90\W+3\W", table), table

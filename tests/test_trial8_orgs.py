"""The eighth session's new-user trial of organisations and techniques.

Bios, display names and posts written as NHS library and knowledge staff write them, run
through `knowvember orgs match`, `classify` and the matcher behind attribution. Each case here
was wrong before the fix it names, or pins a decision the trial made.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code

# -- health bodies outside NHS England ------------------------------------------------------

@pytest.mark.parametrize("text", [
    # A Welsh university health board's "UHB" was University Hospitals Birmingham's, applied
    # automatically at 0.9.
    "Hywel Dda UHB",
    "Library services, Betsi Cadwaladr UHB",
    "Cardiff and Vale UHB library",
    "Cwm Taf Morgannwg UHB Knowledge & Library Service",
    "Swansea Bay UHB library",
    "@HywelDdaUHB",
])
def test_a_welsh_health_board_is_not_an_english_trust(catalogue: Catalogue, text: str) -> None:
    assert catalogue.match(text) == []


@pytest.mark.parametrize("text", [
    "NHS Borders library",  # was Surrey and Borders Partnership, 0.25
    "NHS Greater Glasgow and Clyde",  # was Greater Manchester, 0.23
    "NHS Forth Valley knowledge services",  # was Wye Valley, 0.28
    "Western Health and Social Care Trust",  # was Great Western Hospitals, 0.26
])
def test_a_scottish_or_northern_irish_body_suggests_no_english_trust(
    catalogue: Catalogue, text: str
) -> None:
    assert catalogue.match(text) == []


@pytest.mark.parametrize(("text", "code"), [
    ("UHB library", "RRK"),
    ("Library Services, UHB", "RRK"),
    ("Library at UHB, Birmingham; previously Cardiff and Vale UHB", "RRK"),
    ("Southern Health NHS FT library", "RW1"),
])
def test_english_trusts_beside_outside_names_still_match(
    catalogue: Catalogue, text: str, code: str
) -> None:
    assert auto_code(catalogue, text) == code


def test_outside_names_change_the_fingerprint_so_accounts_are_matched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from knowvember import trust_aliases

    before = Catalogue.load(None).fingerprint()
    monkeypatch.setattr(trust_aliases, "OUTSIDE_ENGLAND", (*trust_aliases.OUTSIDE_ENGLAND,
                                                           "Isle of Man Manx Care"))
    assert Catalogue.load(None).fingerprint() != before


def test_an_account_auto_attributed_from_a_welsh_bio_is_unattributed_on_the_next_run(
    sqlite_db, settings,  # type: ignore[no-untyped-def]
) -> None:
    import datetime as dt

    import sqlalchemy as sa

    from knowvember import attribution
    from knowvember.hashtags import CampaignTags
    from knowvember.models import Account
    from knowvember.records import AccountRecord, PostRecord
    from knowvember.store import PostWriter

    account = AccountRecord(platform="x", key="7", handle="@hdlibrary",
                            display_name="HDUHB Library",
                            bio="Library & Knowledge Service, Hywel Dda UHB")
    post = PostRecord(platform="x", platform_id="70", account_key="7",
                      created_at=dt.datetime(2025, 11, 5, 9, 0, tzinfo=dt.UTC),
                      text="Our #KNOWvember25 peer assist", hashtags=("knowvember25",))
    PostWriter(sqlite_db, CampaignTags(["KNOWvember25"]), source="test").write([post], [account])
    table = Account.__table__
    with sqlite_db.begin() as conn:
        # As an earlier release left it: applied to Birmingham, stamped with its rules.
        conn.execute(table.update().values(organisation_code="RRK", attribution="auto",
                                           attribution_confidence=0.9,
                                           attribution_input="old\nstamp"))
    attribution.attribute_accounts(sqlite_db, settings)
    with sqlite_db.begin() as conn:
        row = conn.execute(sa.select(table.c.organisation_code, table.c.attribution)).one()
    assert tuple(row) == (None, None)


# -- initials that are also another trust's hospital's ---------------------------------------

@pytest.mark.parametrize(("text", "codes"), [
    # Derived initials were applied at 0.85 to the one trust whose name gives them, though
    # another trust's hospital has the same initials.
    ("CRH library", {"RFS", "RWY"}),  # Chesterfield Royal / Calderdale Royal Hospital
    ("RPH Library", {"RGM", "RXN"}),  # Royal Papworth / Royal Preston Hospital
    ("RSCH library", {"RA2", "RXH"}),  # Royal Surrey / Royal Sussex County Hospital
    ("SCH library team", {"R1D", "RCU"}),  # Shropshire Community / Sheffield Children's
    ("WSH library", {"RYR", "RGR"}),  # Western Sussex Hospitals / West Suffolk Hospital
])
def test_initials_two_trusts_hospitals_share_are_suggested_for_review(
    catalogue: Catalogue, text: str, codes: set[str]
) -> None:
    candidates = catalogue.match(text)
    assert not any(c.auto for c in candidates)
    assert {c.code for c in candidates[:2]} == codes


@pytest.mark.parametrize(("text", "code"), [
    ("Chesterfield Royal Hospital library", "RFS"),
    ("LTHT library", "RR8"),
    ("BTHFT library", "RAE"),
    ("Knowledge & Library Services, Royal Papworth Hospital", "RGM"),
])
def test_names_and_unshared_initials_are_still_applied(
    catalogue: Catalogue, text: str, code: str
) -> None:
    assert auto_code(catalogue, text) == code


# -- techniques as staff write them ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    # "Retro" is the agile team's name for a Retrospect; it was not tagged.
    "We ran a retro with the EPR team today #KNOWvember25",
    "Held our first retro!",
    "Our sprint retro went well",
    "project retros are brilliant",
])
def test_a_retro_is_a_retrospect(text: str) -> None:
    from knowvember.techniques import Taxonomy

    assert Taxonomy.load().tag(text) == ["Retrospect"]


@pytest.mark.parametrize("text", [
    "Love the retro look of the new library",
    "A retro 80s night for staff",
    "#retro vibes in the library",
    "Retro games club on Friday",
])
def test_retro_as_a_style_is_no_technique(text: str) -> None:
    from knowvember.techniques import Taxonomy

    assert Taxonomy.load().tag(text) == []


# -- [techniques] and [[organisations]] in campaign.toml ------------------------------------

def _taxonomy_with(extra: str):  # type: ignore[no-untyped-def]
    from knowvember.config import parse_settings
    from knowvember.techniques import Taxonomy
    from tests.conftest import BASE_CONFIG

    return Taxonomy.load(parse_settings(BASE_CONFIG + "\n" + extra))


@pytest.mark.parametrize(("extra", "owner"), [
    # "Our knowledge cafe and an AAR" was tagged Peer Assist only: the synonyms took the
    # Knowledge Café's and the After Action Review's mentions without a word.
    ('[techniques]\nsynonyms = { "Peer Assist" = ["knowledge cafe"] }\n', "Knowledge Café"),
    ('[techniques]\nsynonyms = { "Peer Assist" = ["AARs"] }\n', "After Action Review"),
    ('[techniques]\nsynonyms = { "Peer Assist" = ["huddle"], "AAR" = ["huddles"] }\n',
     "Peer Assist"),
    ('[[techniques.custom]]\nname = "Speed Networking"\nphase = ["during"]\n'
     'synonyms = ["Randomised Coffee Trial"]\n', "Randomised Coffee Trial"),
])
def test_a_synonym_that_is_another_techniques_is_refused(extra: str, owner: str) -> None:
    from knowvember.errors import ConfigError

    with pytest.raises(ConfigError, match=f"is already the technique '{owner}'"):
        _taxonomy_with(extra)


def test_a_synonym_repeating_its_own_techniques_name_is_fine() -> None:
    taxonomy = _taxonomy_with(
        '[techniques]\nsynonyms = { "Peer Assist" = ["Peer Assists", "peer consult"] }\n')
    assert taxonomy.tag("A peer consult and a knowledge cafe") == ["Peer Assist",
                                                                   "Knowledge Café"]


def test_config_check_refuses_a_clashing_synonym(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[techniques]\nsynonyms = { "Peer Assist" = ["knowledge cafe"] }\n')
    result = cli("config", "check")
    assert result.exit_code == 3
    assert "is already the technique 'Knowledge Café'" in result.stderr


def test_config_check_refuses_an_organisation_without_a_name(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[organisations]]\ncode = "XX1"\n')
    result = cli("config", "check")
    assert result.exit_code == 3
    assert "organisations[0].name" in result.stderr


@pytest.mark.parametrize(("text", "code"), [
    # Were unmatched (East Lancs) or a 0.37 hint (Hull without "Teaching").
    ("Library at East Lancs Hospitals", "RXR"),
    ("@EastLancsHosp", "RXR"),
    ("Hull University Hospitals library", "RWA"),
])
def test_short_names_staff_use_for_their_trust(catalogue: Catalogue, text: str, code: str) -> None:
    assert auto_code(catalogue, text) == code


# -- "UHL": decided, not changed -------------------------------------------------------------
# The catalogue gives "UHL" as University Hospitals of Leicester's own initials (the name
# Leicester's trust uses for itself) and as University Hospital Lewisham's (a hospital of
# Lewisham and Greenwich). Hull is not a UHL: Hull University Teaching Hospitals is HUTH, and
# was Hull and East Yorkshire Hospitals (HEYHT) until 2019. So "UHL" alone stays Leicester's,
# and UHL beside Lewisham or Liverpool waits for a coordinator (pinned in
# tests/test_trial_classify.py).

@pytest.mark.parametrize("text", ["HUTH library", "HEYHT library", "Hull Royal Infirmary",
                                  "Hull and East Yorkshire Hospitals library"])
def test_hull_is_never_leicester(catalogue: Catalogue, text: str) -> None:
    assert auto_code(catalogue, text) == "RWA"
    assert "RWE" not in {c.code for c in catalogue.match(text)}


def test_uhl_beside_lewisham_is_for_a_coordinator(catalogue: Catalogue) -> None:
    candidates = catalogue.match("Lewisham library, UHL")
    assert not any(c.auto for c in candidates)
    assert {"RWE", "RJ2"} <= {c.code for c in candidates}


def test_a_story_whose_submitter_chose_retro_counts_as_a_retrospect() -> None:
    from knowvember.techniques import Taxonomy, story_techniques

    # A form's "Other" box: "Retro" was kept as a technique of its own.
    chosen = ["Retro", "Retros", "Retrospective"]
    assert story_techniques(Taxonomy.load(), "Our team", "It went well", None,
                            chosen) == ["Retrospect"]


# -- tables into a closed pipe ----------------------------------------------------------------

@pytest.mark.parametrize("args", [("orgs", "list"), ("techniques", "list"),
                                  ("orgs", "match", "Leeds Teaching Hospitals")])
def test_a_table_into_a_closed_pipe_ends_as_the_reader_going(
    tmp_path, args: tuple[str, ...],  # type: ignore[no-untyped-def]
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from knowvember.cli.common import EXIT_PIPE

    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    try:
        # `knowvember orgs list | head -1` exited 1, a failure, with no message.
        result = subprocess.run([sys.executable, "-m", "knowvember", *args], stdout=write,
                                stderr=subprocess.PIPE, cwd=tmp_path, env=env, timeout=60,
                                check=False)
    finally:
        os.close(write)
    assert result.returncode == EXIT_PIPE


@pytest.mark.parametrize("text", [
    # The UN climate conference (November most years) was a Community of Practice.
    "Watching COP closely - climate and health #KNOWvember25",
    "Greener NHS voices at the COP summit",
    "UK COP presidency: what it means for the NHS",
    "COP negotiations continue",
])
def test_the_climate_cop_is_no_community_of_practice(text: str) -> None:
    from knowvember.techniques import Taxonomy

    assert Taxonomy.load().tag(text) == []


@pytest.mark.parametrize("text", [
    "Join the clinical librarians CoP #KNOWvember25",
    "Our climate community of practice met today",  # the phrase is never vetoed
])
def test_a_community_of_practice_still_counts(text: str) -> None:
    from knowvember.techniques import Taxonomy

    assert Taxonomy.load().tag(text) == ["Community of Practice"]

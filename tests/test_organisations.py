"""The organisations catalogue: packaged data, config entries, history, and name matching."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa

from knowvember.config import parse_settings
from knowvember.errors import ConfigError
from knowvember.models import Organisation as OrganisationRow
from knowvember.organisations import (
    Catalogue,
    Organisation,
    builtin_organisations,
    label_date,
    sync_organisations,
)
from knowvember.orgmatch import RIVAL_THRESHOLD, normalise, tokenize
from tests.conftest import BASE_CONFIG

CATALOGUE = Catalogue.load()

# Bios and display names the way people write them: (text, the trust it must attribute to).
PROFILES = [
    ("Library & Knowledge Service at UHL", "RWE"),
    ("Manchester University NHS FT library team", "R0A"),
    ("Alder Hey Children's library", "RBS"),
    ("Knowledge and Library Services, Leeds Teaching Hospitals", "RR8"),
    ("LTHT Libraries | Evidence for decisions | Tweets by the team", "RR8"),
    ("Clinical Librarian | Sheffield Teaching Hospitals | views my own", "RHQ"),
    ("Library and Knowledge Services for Northumbria Healthcare NHS FT", "RTF"),
    ("Outreach librarian at Royal Cornwall Hospitals NHS Trust #NHSLibraries", "REF"),
    ("Knowledge Specialist, Norfolk & Norwich University Hospitals", "RM1"),
    ("Evidence & knowledge team @ East Kent Hospitals", "RVV"),
    ("Health Library, Royal Berkshire Hospital, Reading", "RHW"),
    ("Library services for Guy's and St Thomas' NHS Foundation Trust", "RJ1"),
    ("Clinical librarian @ Guy's & St Thomas'", "RJ1"),
    ("Knowledge & Library Service | Great Ormond Street Hospital", "RP4"),
    ("GOSH library and information service", "RP4"),
    ("KLS team at Barts Health. Whitechapel and beyond", "R1H"),
    ("The Christie NHS FT library, Manchester", "RBV"),
    ("Library @ The Christie", "RBV"),
    ("Cambridge University Hospitals library (Addenbrooke's)", "RGT"),
    ("Medical library, Addenbrooke's Hospital", "RGT"),
    ("Library @ Royal Devon University Healthcare NHS FT", "RH8"),
    ("Knowledge services, Mid Yorkshire Teaching NHS Trust", "RXF"),
    ("Library and Knowledge Service, Lancashire Teaching Hospitals", "RXN"),
    ("Imperial College Healthcare NHS Trust library services", "RYJ"),
    ("Libraries at Leeds and York Partnership NHS FT", "RGD"),
    ("Knowledge & Evidence, Mersey Care", "RW4"),
    ("Bradford Teaching Hospitals NHS FT Library", "RAE"),
    ("UCLH library", "RRV"),
    ("NUH Libraries", "RX1"),
    ("Frimley Health Library and Knowledge Services", "RDU"),
    ("Clinical librarian, Hull University Teaching Hospitals", "RWA"),
    ("Princess Alexandra Hospital library, Harlow", "RQW"),
    ("KM lead at Kent Community Health NHS FT", "RYY"),
    ("Library @ Somerset NHS Foundation Trust", "RH5"),
    ("Librarian at East London NHS Foundation Trust (ELFT)", "RWK"),
    ("Evidence team, North East London NHS FT", "RAT"),
    ("Oxford Health NHS FT libraries", "RNU"),
    ("Bolton NHS FT library", "RMC"),
    ("Library team, Royal Free London", "RAL"),
    ("SaTH library and knowledge services", "RXW"),
    ("Library services, Whittington Health", "RKE"),
    ("Knowledge Manager at St George's University Hospitals NHS FT", "RJ7"),
    ("Library, Chelsea and Westminster Hospital", "RQM"),
    ("Evidence and knowledge at Calderdale and Huddersfield", "RWY"),
    ("Library services. library@uhl-tr.nhs.uk", "RWE"),
    ("Tees, Esk & Wear Valleys library", "RX3"),
    ("TEWV Library & Knowledge Services", "RX3"),
    ("Moorfields library team", "RP6"),
    ("Knowledge team, South London and Maudsley", "RV5"),
]
# Written as handles: split at capitals, acronyms recognised in any case.
HANDLES = [
    ("@UHLLibraries", "RWE"),
    ("@LTHTLibraries", "RR8"),
    ("@MFT_Library", "R0A"),
    ("@gosh_library", "RP4"),
    ("#AlderHeyLibrary", "RBS"),
    # Handles as stored (lower case): split where library teams end them.
    ("@uhllibraries", "RWE"),
    ("@mftlib", "R0A"),
    ("@gstt_lks", "RJ1"),
    ("@alderheylibrary", "RBS"),
    ("@royalfreelibrary", "RAL"),
    ("Manchester University Library\n@mftlib", "R0A"),
]
# Names from earlier campaigns: former names of kept codes, and trusts closed since.
HISTORY = [
    ("Salford Royal library", "RM3"),
    ("Library team, Salford Royal NHS Foundation Trust", "RM3"),
    ("Pennine Acute Hospitals library", "RW6"),
    ("Pennine Acute", "RW6"),
    ("Kingston Hospital NHS FT library", "RAX"),
    ("Western Sussex Hospitals library", "RYR"),
    ("2gether NHS Foundation Trust library", "RTQ"),
    ("5 Boroughs Partnership library", "RTV"),
    ("Aintree University Hospital library", "REM"),
    ("Central Manchester University Hospitals library", "RW3"),
    ("Heart of England NHS FT library", "RR1"),
    ("Librarian at Wythenshawe Hospital", "RM2"),
    ("Library at Royal Oldham Hospital (Pennine Acute, now NCA)", "RW6"),  # RM3 from 2021
    ("University Hospitals Bristol library", "RA7"),
]
# Must stay unattributed rather than guess: no candidate may be applied automatically.
AMBIGUOUS = [
    "University Hospitals",
    "NHS",
    "Royal",
    "Library and Knowledge Service",
    "Library at Leeds Teaching Hospitals and Bradford Teaching Hospitals",
    "Librarian for Alder Hey and the Royal Liverpool",
    "St George's Library",
    "Queen Elizabeth Hospital library",
    "Liverpool librarian",
    "Leicester",
    "University of Leicester Library",
    "Library, University of Manchester",
    "Manchester University",
    "Bolton library",
    "Library, North West London NHS",
    "NHS Somerset ICB knowledge team",
    "Mid and South Essex ICB knowledge team",
    "Evidence team at NHS England",
    "Health Education England KLS",
    "Living in the heart of England",
    "Knowledge manager. Views my own. #NHSLibraries",
    "Librarian at King's College London",
    "The cop stopped me",
    "",
]


def test_packaged_data_loads_all_three_files() -> None:
    orgs = builtin_organisations()
    kinds = {o.kind for o in orgs}
    assert kinds == {"trust", "closed"}
    assert sum(o.kind == "trust" for o in orgs) == 200
    assert sum(o.kind == "closed" for o in orgs) == 42
    rm3 = CATALOGUE.get("rm3")
    assert rm3 is not None and rm3.name == "Northern Care Alliance NHS Foundation Trust"
    assert ("Salford Royal NHS Foundation Trust", "2015;2018-09;2020-03;2020") in rm3.former_names
    rw6 = CATALOGUE.get("RW6")
    assert rw6 is not None and rw6.kind == "closed"
    assert rw6.successor_codes == ("RM3", "R0A") and rw6.closed == dt.date(2021, 9, 30)
    assert CATALOGUE.get("RYK").former_names  # type: ignore[union-attr]  # closed, renamed


@pytest.mark.parametrize(("text", "code"), PROFILES + HANDLES + HISTORY)
def test_profiles_attribute_to_their_trust(text: str, code: str) -> None:
    candidates = CATALOGUE.match(text)
    assert candidates, text
    best = candidates[0]
    assert (best.code, best.auto) == (code, True), candidates
    assert 0.8 <= best.confidence <= 1.0


def test_profiles_cover_at_least_twenty_trusts() -> None:
    assert len({code for _, code in PROFILES + HANDLES}) >= 20


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_ambiguous_text_stays_unattributed(text: str) -> None:
    candidates = CATALOGUE.match(text)
    assert not any(c.auto for c in candidates), candidates
    assert CATALOGUE.resolve(text) is None


def test_two_trusts_named_are_both_suggested() -> None:
    candidates = CATALOGUE.match(
        "Library at Leeds Teaching Hospitals and Bradford Teaching Hospitals")
    assert {c.code for c in candidates[:2]} == {"RR8", "RAE"}
    assert all(0 < c.confidence <= 0.6 for c in candidates[:2])


def test_ambiguous_hospital_name_suggests_every_trust_it_could_be() -> None:
    codes = {c.code for c in CATALOGUE.match("Queen Elizabeth Hospital library")}
    assert {"RCX", "RRK", "RJ2"} <= codes
    assert CATALOGUE.match("Queen Elizabeth Hospital Birmingham library")[0].code == "RRK"


def test_similar_words_give_suggestions_not_attributions() -> None:
    leicester = CATALOGUE.match("University of Leicester Library")
    assert leicester[0].code == "RWE" and 0.3 < leicester[0].confidence < 0.6
    assert leicester[0].matched and leicester[0].matched.startswith("similar words")
    assert CATALOGUE.match("University Hospitals") == []


def test_closed_trust_named_with_its_successor_keeps_its_code() -> None:
    # Reports carry RW6 forward to RM3 after it closed, and keep 2018's posts Pennine Acute's.
    best = CATALOGUE.match("Pennine Acute Hospitals, now Northern Care Alliance")[0]
    assert (best.code, best.auto) == ("RW6", True)


def test_acronyms_need_capitals_unless_in_a_handle() -> None:
    assert CATALOGUE.match("UHL library")[0].code == "RWE"
    assert not CATALOGUE.match("uhl library")
    assert CATALOGUE.match("@uhl_library")[0].code == "RWE"


def test_run_together_names_match_only_inside_handles() -> None:
    assert not CATALOGUE.match("alderhey library")
    assert CATALOGUE.match("#alderhey")[0].code == "RBS"


def test_initials_that_are_also_the_named_trusts_mean_that_trust() -> None:
    # HHFT is Hampshire Hospitals' acronym, but also Homerton Healthcare's initials.
    best = CATALOGUE.match("HHFT Libraries. Knowledge and Library Services at Homerton "
                           "Healthcare")[0]
    assert (best.code, best.auto) == ("RQX", True)
    assert CATALOGUE.match("HHFT Libraries")[0].code == "RN5"


def test_account_text_reads_bluesky_handles_as_handles() -> None:
    from knowvember.organisations import account_text

    text = account_text("Manchester University Library", None, "mftlib.bsky.social")
    assert text.endswith("@mftlib.bsky.social")
    assert CATALOGUE.match(text)[0].code == "R0A"
    assert account_text(None, "Bio", "@x") == "Bio\n@x"


def test_initials_shared_by_two_trusts_are_no_alias() -> None:
    # Leeds Teaching Hospitals and Lancashire Teaching Hospitals are both "LTH".
    assert not any(c.auto for c in CATALOGUE.match("LTH library"))


def test_match_result_shape() -> None:
    best = CATALOGUE.match("Alder Hey")[0]
    data = best.to_json()
    assert set(data) >= {"code", "name", "region", "confidence", "auto"}
    assert data["name"] == "Alder Hey Children's NHS Foundation Trust"
    assert data["region"] == "North West" and data["auto"] is True


def test_resolve_takes_codes_and_names() -> None:
    assert CATALOGUE.resolve(" rwe ").code == "RWE"  # type: ignore[union-attr]
    assert CATALOGUE.resolve("Leeds Teaching Hospitals NHS Trust").code == "RR8"  # type: ignore[union-attr]
    assert CATALOGUE.resolve("Somewhere") is None and CATALOGUE.resolve("") is None


def test_normalisation() -> None:
    assert (normalise("The Guy's & St. Thomas' NHS Foundation Trust")
            == "guys and saint thomas nhs ft")
    assert normalise("University Hospitals of Leicester") == "university hospital leicester"
    assert normalise("Knowledge Café") == "knowledge cafe"
    assert normalise("#AlderHey") == "alder hey"
    tokens = tokenize("@UHLLibraries The Christie")
    assert tokens.words == ["uhl", "libraries", "christie"]
    assert tokens.acronym_ok[:2] == [True, True] and tokens.after_the[2] is True


def test_matching_five_thousand_profiles_is_quick() -> None:
    names = [o.name for o in CATALOGUE]
    bios = [f"Clinical librarian at {names[n % len(names)]}. Views my own. Evidence, "
            f"#NHSLibraries #KNOWvember. Tea drinker, cyclist. https://www.example.nhs.uk/lib"
            for n in range(5000)]
    started = time.perf_counter()
    matched = sum(1 for bio in bios if (c := CATALOGUE.match(bio)) and c[0].auto)
    elapsed = time.perf_counter() - started
    assert matched == 5000
    assert elapsed < 10, f"{elapsed:.1f} s"


# -- history -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "date", "name"),
    [
        ("RM3", dt.date(2018, 11, 1), "Salford Royal NHS Foundation Trust"),
        ("RM3", dt.date(2020, 11, 1), "Salford Royal NHS Foundation Trust"),
        ("RM3", dt.date(2021, 11, 1), "Northern Care Alliance NHS Foundation Trust"),
        ("RM3", dt.date(2012, 11, 1), "Salford Royal NHS Foundation Trust"),
        ("RA7", dt.date(2019, 11, 1), "University Hospitals Bristol NHS Foundation Trust"),
        ("RA7", dt.date(2020, 11, 1),
         "University Hospitals Bristol and Weston NHS Foundation Trust"),
        ("RA7", dt.date(2026, 11, 1), "Bristol NHS Foundation Trust"),
        ("RRE", dt.date(2017, 11, 1),
         "South Staffordshire and Shropshire Healthcare NHS Foundation Trust"),
        ("RRE", dt.date(2019, 11, 1), "Midlands Partnership NHS Foundation Trust"),
        ("RRE", dt.date(2025, 11, 1), "Midlands Partnership University NHS Foundation Trust"),
        ("RYK", dt.date(2017, 11, 1), "Dudley and Walsall Mental Health Partnership NHS Trust"),
        ("RYK", dt.date(2021, 11, 1), "Dudley Integrated Health and Care NHS Trust"),
        ("RWE", dt.date(2017, 11, 1), "University Hospitals of Leicester NHS Trust"),
    ],
)
def test_name_as_of(code: str, date: dt.date, name: str) -> None:
    assert CATALOGUE.name_as_of(code, date) == name


def test_name_as_of_accepts_datetimes_and_unknown_codes() -> None:
    moment = dt.datetime(2019, 11, 5, 9, tzinfo=dt.UTC)
    assert CATALOGUE.name_as_of("RM3", moment) == "Salford Royal NHS Foundation Trust"
    assert CATALOGUE.name_as_of("ZZZ", dt.date(2019, 1, 1)) == "ZZZ"


def test_label_dates() -> None:
    assert label_date("2018-09") == dt.date(2018, 9, 15)
    assert label_date("2025-07") < label_date("2024")  # the out-of-order copy
    assert label_date("2017") == dt.date(2017, 7, 1)
    assert label_date("2019-05") == dt.date(2019, 5, 1)
    assert label_date("soon") is None


@pytest.mark.parametrize(
    ("code", "date", "current"),
    [
        ("RW6", dt.date(2019, 11, 1), "RW6"),
        ("RW6", dt.date(2021, 9, 30), "RW6"),  # its last day
        ("RW6", dt.date(2021, 11, 1), "RM3"),  # first of two successors
        ("RM2", dt.date(2019, 11, 1), "R0A"),
        ("R1E", dt.date(2018, 11, 1), "RRE"),
        ("RVJ", dt.date(2026, 11, 1), "RVJ"),  # no successor recorded
        ("RNK", dt.date(2026, 11, 1), "RNK"),  # successor G6V2S is not in the catalogue
        ("RWE", dt.date(2026, 11, 1), "RWE"),
        ("zzz", dt.date(2026, 11, 1), "ZZZ"),
    ],
)
def test_current_code(code: str, date: dt.date, current: str) -> None:
    assert CATALOGUE.current_code(code, date) == current


def test_current_code_follows_a_chain_and_survives_a_loop() -> None:
    catalogue = Catalogue([
        Organisation("A", "Alpha NHS Trust", None, kind="closed", closed=dt.date(2018, 1, 1),
                     successor_codes=("B",)),
        Organisation("B", "Beta NHS Trust", None, kind="closed", closed=dt.date(2020, 1, 1),
                     successor_codes=("C",)),
        Organisation("C", "Gamma NHS Trust", None),
        Organisation("X", "Loop One", None, kind="closed", closed=dt.date(2018, 1, 1),
                     successor_codes=("Y",)),
        Organisation("Y", "Loop Two", None, kind="closed", closed=dt.date(2018, 1, 1),
                     successor_codes=("X",)),
    ])
    assert catalogue.current_code("A", dt.date(2019, 1, 1)) == "B"
    assert catalogue.current_code("A", dt.date(2021, 1, 1)) == "C"
    assert catalogue.current_code("X", dt.date(2021, 1, 1)) in {"X", "Y"}


def test_report_as_names_the_successor_as_it_was_then() -> None:
    shown = CATALOGUE.report_as("RW6", dt.date(2021, 11, 1))
    assert shown is not None and shown.code == "RM3"
    assert shown.name == "Northern Care Alliance NHS Foundation Trust"
    earlier = CATALOGUE.report_as("RM3", dt.date(2019, 11, 1))
    assert earlier is not None and earlier.name == "Salford Royal NHS Foundation Trust"
    mapping = CATALOGUE.as_of(dt.date(2019, 11, 1))
    assert mapping["RM2"].code == "R0A" and mapping["RW6"].code == "RW6"


# -- config ------------------------------------------------------------------------------


def _load(extra: str) -> Catalogue:
    return Catalogue.load(parse_settings(BASE_CONFIG + "\n" + extra))


def test_config_adds_overrides_and_maps_accounts() -> None:
    catalogue = _load("""
[[organisations]]
code = "uni-lib"
name = "University of Somewhere Health Library"
region = "midlands"
aliases = ["UoS Health Library", "SomewhereHealthLib"]
accounts = ["x:@UoSHealthLib", "bluesky:healthlib.example.ac.uk"]

[[organisations]]
code = "RWE"
name = "Leicester's Hospitals"
aliases = ["LRI library"]
accounts = ["x:@UHLLibraries"]

[[organisations]]
code = "OTHER-SECTOR"
name = "Knowvember Farm Shop"
out_of_scope = true
accounts = ["mastodon:@shop@farm.example"]
""")
    custom = catalogue.get("UNI-LIB")
    assert custom is not None and custom.kind == "custom"
    assert custom.region == "Midlands" and custom.region_code == "Y60"
    assert catalogue.match("UoS Health Library team")[0].code == "UNI-LIB"
    assert catalogue.match("#SomewhereHealthLib")[0].code == "UNI-LIB"
    assert catalogue.match("University of Somewhere Health Library")[0].code == "UNI-LIB"
    rwe = catalogue.get("RWE")
    assert rwe is not None and rwe.name == "Leicester's Hospitals" and rwe.region == "Midlands"
    assert "University Hospitals of Leicester NHS Trust" in rwe.aliases
    assert catalogue.match("University Hospitals of Leicester NHS Trust")[0].code == "RWE"
    assert catalogue.match("LRI library")[0].code == "RWE"
    assert catalogue.get("OTHER-SECTOR").out_of_scope  # type: ignore[union-attr]
    assert catalogue.accounts == {
        ("x", "@uoshealthlib"): "UNI-LIB", ("bluesky", "healthlib.example.ac.uk"): "UNI-LIB",
        ("x", "@uhllibraries"): "RWE", ("mastodon", "@shop@farm.example"): "OTHER-SECTOR",
    }


def test_config_alias_wins_over_a_derived_one() -> None:
    catalogue = _load('[[organisations]]\ncode = "ICB-KM"\nname = "Regional KM team"\n'
                      'aliases = ["Alder Hey"]\n')
    assert catalogue.match("Alder Hey")[0].code == "ICB-KM"


def test_config_successor_makes_a_closed_trust_resolve() -> None:
    catalogue = _load('[[organisations]]\ncode = "G6V2S"\nname = "North London NHS Foundation '
                      'Trust"\nregion = "London"\n')
    assert catalogue.current_code("RNK", dt.date(2026, 11, 1)) == "G6V2S"


# -- generic words -----------------------------------------------------------------------

# The national team as the sample's campaign.toml adds it (knowvember/sample/config.py): a
# name made only of words every library bio has.
NATIONAL = """
[[organisations]]
code = "NHSE-KLS"
name = "NHS England Knowledge and Library Services"
region = "National"
accounts = ["x:@nhse_kls"]
"""
# Bios the way the sample and real library teams write them: the service in generic words,
# then the trust, sometimes the national team too.
SERVICE_BIOS = [
    ("Library & Knowledge Service, Leeds Teaching Hospitals NHS Trust", "RR8"),
    ("Knowledge and Library Services at University Hospitals of Leicester | #KNOWvember", "RWE"),
    ("Head of Library and Knowledge Services at Manchester University NHS FT. Views my own.",
     "R0A"),
    ("Official account of the library and knowledge services at Alder Hey Children's. RTs are "
     "not endorsements.", "RBS"),
    ("Your Knowledge & Evidence Service at GSTT 📚 Evidence, knowledge and learning for "
     "everyone who works here.", "RJ1"),
    ("Clinical Librarian in the Health Library, Newcastle upon Tyne Hospitals. Tweets are my "
     "own.", "RTD"),
    ("Knowledge Mobilisation Lead | Sheffield Teaching Hospitals | #ukmedlibs", "RHQ"),
    ("Library team at UHL. Proud partner of NHS England Knowledge and Library Services", "RWE"),
    ("Knowledge Specialist, Northumbria Healthcare. Formerly NHS England Knowledge & Library "
     "Services", "RTF"),
]


@pytest.mark.parametrize(("text", "code"), SERVICE_BIOS + PROFILES + HANDLES)
def test_a_national_kls_team_in_config_blocks_no_trust(text: str, code: str) -> None:
    candidates = _load(NATIONAL).match(text)
    assert (candidates[0].code, candidates[0].auto) == (code, True), candidates
    assert all(c.confidence < RIVAL_THRESHOLD for c in candidates[1:]), candidates


def test_the_national_teams_full_name_attributes_to_it() -> None:
    catalogue = _load(NATIONAL)
    for text in ("NHS England Knowledge and Library Services",
                 "Knowledge specialist, NHS England Knowledge & Library Services. Views my own.",
                 "@NHSEnglandKnowledgeAndLibraryServices"):
        best = catalogue.match(text)[0]
        assert (best.code, best.auto, best.confidence) == ("NHSE-KLS", True, 1.0), text
    for text in ("Knowledge and library services", "Knowledge and Library Services for the NHS "
                 "in England", "NHS England", "Library and Knowledge Service. Views my own."):
        assert catalogue.match(text) == [], text
        assert catalogue.resolve(text) is None
    for text in AMBIGUOUS:
        assert not any(c.auto for c in catalogue.match(text)), text


def test_generic_config_aliases_never_decide_against_a_trust() -> None:
    catalogue = _load(NATIONAL + 'aliases = ["KLS", "Knowledge and Library Services"]\n')
    # Alone, the coordinator's aliases apply...
    for text in ("KLS", "Knowledge and Library Services. Views my own."):
        best = catalogue.match(text)[0]
        assert (best.code, best.auto) == ("NHSE-KLS", True), text
    # ...but a trust named confidently wins, and the alias is no rival...
    for text, code in [("KLS team at Barts Health. Whitechapel and beyond", "R1H"),
                       ("Knowledge and Library Services, Leeds Teaching Hospitals", "RR8"),
                       ("Knowledge and Library Services | LTHT", "RR8")]:
        first, second = catalogue.match(text)[:2]
        assert (first.code, first.auto) == (code, True), text
        assert second.code == "NHSE-KLS" and second.confidence < RIVAL_THRESHOLD
    # ...and a trust only hinted at (a place) leaves the choice to a coordinator.
    hinted = catalogue.match("Knowledge and Library Services at Somerset")
    assert not any(c.auto for c in hinted)
    assert {c.code for c in hinted} == {"NHSE-KLS", "RH5"}


def test_distinctive_rivals_still_block() -> None:
    # Two trusts, or a trust and a custom team with a name of its own, are two answers.
    catalogue = _load(NATIONAL + '[[organisations]]\ncode = "UOL-LIB"\n'
                      'name = "University of Leicester Library"\n')
    for text in ("Library at Leeds Teaching Hospitals and Bradford Teaching Hospitals",
                 "Librarian for UHL and the University of Leicester Library"):
        candidates = catalogue.match(text)
        assert not any(c.auto for c in candidates), candidates
        assert sum(c.confidence >= RIVAL_THRESHOLD for c in candidates) == 2


def test_a_generic_name_gives_no_short_alias() -> None:
    # Without its "NHS", this name is only "Library and Knowledge Services".
    catalogue = _load('[[organisations]]\ncode = "LKS-NET"\n'
                      'name = "Library and Knowledge Services NHS"\n')
    best = catalogue.match("Library and Knowledge Services NHS")[0]
    assert (best.code, best.auto) == ("LKS-NET", True)
    assert catalogue.match("Library and Knowledge Services") == []
    best = catalogue.match("Library and Knowledge Services, Leeds Teaching Hospitals")[0]
    assert (best.code, best.auto) == ("RR8", True)


def test_similar_words_ignore_generic_words() -> None:
    from knowvember.organisations import account_text

    # "social" (in "Health and Social Care") is only the Bluesky domain here.
    assert CATALOGUE.match(account_text("Lisa Kelly", None, "lisalibrarian.bsky.social")) == []
    assert CATALOGUE.match("Clinical librarian, university hospital, health and care") == []
    sheffield = CATALOGUE.match("Health and social care library in Sheffield")
    assert sheffield and not sheffield[0].auto
    assert all(c.matched == "similar words: sheffield" for c in sheffield), sheffield


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[organisations]]\ncode = "NEW1"\n', r"organisations\[0\]\.name: required"),
        ('[[organisations]]\ncode = "RWE"\n[[organisations]]\ncode = "rwe"\n',
         r"organisations\[1\]\.code: 'RWE' is already configured in an earlier entry \(the "
         r"1st \[\[organisations\]\] entry, code 'RWE'\)"),
        ('[[organisations]]\ncode = "RWE"\naccounts = ["x:@a"]\n'
         '[[organisations]]\ncode = "RR8"\naccounts = ["x:@A"]\n',
         r"organisations\[1\]\.accounts\[0\]: 'x:@A' is already mapped to 'RWE'"),
        ('[[organisations]]\ncode = "a b"\nname = "Spaces"\n', r"organisations\[0\]\.code"),
    ],
)
def test_config_errors_name_the_entry(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(extra)


def test_override_can_clear_out_of_scope_only_when_written() -> None:
    catalogue = _load('[[organisations]]\ncode = "RWE"\nout_of_scope = true\n')
    assert catalogue.get("RWE").out_of_scope  # type: ignore[union-attr]
    assert not _load('[[organisations]]\ncode = "RWE"\naliases = ["x"]\n').get(
        "RWE").out_of_scope  # type: ignore[union-attr]


def test_fingerprint_changes_with_config() -> None:
    assert CATALOGUE.fingerprint() == Catalogue.load().fingerprint()
    assert _load('[[organisations]]\ncode = "RWE"\naliases = ["Leicester Libraries"]\n'
                 ).fingerprint() != CATALOGUE.fingerprint()


def test_aliases_of_lists_derived_and_curated_aliases() -> None:
    labels = {a.label for a in CATALOGUE.aliases_of("RBS")}
    assert {"Alder Hey", "Alder Hey Children's NHS Foundation Trust"} <= labels
    assert CATALOGUE.aliases_of("NOPE") == []


def test_a_catalogue_from_plain_rows_still_resolves_names() -> None:
    """Other modules build small catalogues from the organisations table."""
    catalogue = Catalogue([Organisation("RWE", "University Hospitals of Leicester NHS Trust",
                                        "Midlands")])
    assert catalogue.resolve("University Hospitals of Leicester").code == "RWE"  # type: ignore[union-attr]
    assert catalogue.resolve("UHL").code == "RWE"  # type: ignore[union-attr]


# -- the organisations table -------------------------------------------------------------


def test_sync_organisations_upserts(db, settings) -> None:  # type: ignore[no-untyped-def]
    first = sync_organisations(db, CATALOGUE)
    assert first.inserted == len(CATALOGUE) and first.updated == first.deleted == 0
    again = sync_organisations(db, CATALOGUE)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    changed = _load('[[organisations]]\ncode = "RWE"\nout_of_scope = true\n'
                    '[[organisations]]\ncode = "UNI-LIB"\nname = "Uni library"\n')
    third = sync_organisations(db, changed)
    assert (third.inserted, third.updated, third.deleted) == (1, 1, 0)
    table = OrganisationRow.__table__
    with db.begin() as conn:
        rwe = conn.execute(sa.select(table).where(table.c.code == "RWE")).mappings().one()
        rw6 = conn.execute(sa.select(table).where(table.c.code == "RW6")).mappings().one()
    assert rwe["out_of_scope"] is True and rwe["region"] == "Midlands"
    assert rw6["successor_codes"] == ["RM3", "R0A"] and rw6["closed"] == dt.date(2021, 9, 30)
    assert rw6["kind"] == "closed"
    fourth = sync_organisations(db, CATALOGUE)
    assert (fourth.inserted, fourth.updated, fourth.deleted) == (0, 1, 1)


def test_any_text_matches_without_error() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=300))
    def check(text: str) -> None:
        candidates = CATALOGUE.match(text)
        assert sum(c.auto for c in candidates) <= 1
        assert all(0 <= c.confidence <= 1 and CATALOGUE.get(c.code) for c in candidates)

    check()

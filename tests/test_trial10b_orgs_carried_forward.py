"""A closed trust named beside its successor keeps its code (fifth new-user trial, second pass).

"Library & Knowledge Service, Northern Care Alliance (formerly Pennine Acute)" was attributed
to RM3, the successor. Reports join every post, past campaigns included, through the
account's one code, so the library's 2018 posts counted for "Salford Royal NHS Foundation
Trust" in KNOWvember 2018's leaderboard: a different trust then. Kept as RW6, the 2018
report names Pennine Acute and later campaigns carry RW6 forward to RM3, as reports do for
every closed trust. A successor named by an earlier name of its own ("LUHFT, formerly
Aintree and Royal Liverpool") or reached by another successor than the one reports use
("MFT, formerly Pennine Acute") still wins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("Library & Knowledge Service, Northern Care Alliance NHS Foundation Trust "
     "(formerly Pennine Acute)", "RW6"),
    ("Library at Royal Oldham Hospital (Pennine Acute, now NCA)", "RW6"),
    ("Pennine Acute Hospitals, now Northern Care Alliance", "RW6"),
    ("@NCA_Library, formerly @PAHTLibrary", "RW6"),
    ("Royal Liverpool and Broadgreen library, now Liverpool University Hospitals", "RQ6"),
    ("Solent NHS Trust library, now Hampshire and Isle of Wight Healthcare NHS FT", "R1C"),
    # The successor named as it was before the merger: the merged service's own account.
    ("LUHFT library (formerly Aintree and Royal Liverpool)", "REM"),
    ("Liverpool University Hospitals library, formerly Aintree Hospital and Royal Liverpool",
     "REM"),
    ("Northern Care Alliance library (formerly Salford Royal and Pennine Acute)", "RM3"),
    # Two trusts that merged into the successor name the merged trust.
    ("University Hospitals Dorset library (formerly Poole Hospital and Royal Bournemouth "
     "Hospital)", "R0D"),
    ("Somerset NHS FT library (formerly Taunton and Somerset and Yeovil District Hospital)",
     "RH5"),
    # Reports carry RW6 to RM3, not to MFT, so MFT's library stays MFT's.
    ("MFT library (formerly Pennine Acute)", "R0A"),
])
def test_which_of_a_closed_trust_and_its_successor(catalogue: Catalogue, text: str,
                                                   code: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), (text, best)


def _tweet(n: int, year: int, bio: str) -> str:
    return json.dumps({
        "id_str": str(10**17 + n), "created_at": f"Mon Nov 05 09:30:00 +0000 {year}",
        "full_text": f"Our first Peer Assist today #KNOWvember{year % 100}",
        "user": {"id_str": "1001", "screen_name": "PAHTLibrary", "name": "Library",
                 "description": bio, "followers_count": 100},
        "entities": {"hashtags": [{"text": f"KNOWvember{year % 100}"}]},
        "favorite_count": 2, "retweet_count": 1, "lang": "en",
    })


def _config(folder: Path, year: int) -> Path:
    path = folder / f"knowvember{year}.toml"
    path.write_text(
        f'[campaign]\nname = "KNOWvember {year}"\nslug = "knowvember{year % 100}"\n'
        f'hashtags = ["KNOWvember{year % 100}"]\nstart = {year}-11-01\nend = {year}-11-30\n'
        'timezone = "Europe/London"\n[database]\nurl = "sqlite:///knowvember.db"\n'
        "[sources.x]\nenabled = false\n", encoding="utf-8")
    return path


def _leaders(cli: Any, config: Path) -> list[tuple[str, str]]:
    result = cli("--config", str(config), "leaderboard", "--by", "organisation",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [(row["code"], row["name"]) for row in json.loads(result.stdout)]


def test_a_library_whose_bio_now_names_the_successor_keeps_2018_as_it_was(
    cli: Any, tmp_path: Path,
) -> None:
    bios = {2018: "Library & Knowledge Service, Pennine Acute Hospitals NHS Trust",
            2022: "Library & Knowledge Service, Northern Care Alliance NHS Foundation Trust "
                  "(formerly Pennine Acute)"}
    configs = {}
    for n, (year, bio) in enumerate(bios.items()):
        configs[year] = _config(tmp_path, year)
        archive = tmp_path / f"x{year}.jsonl"
        archive.write_text(_tweet(n, year, bio) + "\n", encoding="utf-8")
        result = cli("--config", str(configs[year]), "import", "twarc2", str(archive))
        assert result.exit_code == 0, result.stderr
    assert _leaders(cli, configs[2018]) == [("RW6", "Pennine Acute Hospitals NHS Trust")]
    assert _leaders(cli, configs[2022]) == [("RM3", "Northern Care Alliance NHS Foundation "
                                                    "Trust")]


def test_orgs_show_lists_the_accounts_a_campaign_counts_for_the_trust(
    cli: Any, tmp_path: Path,
) -> None:
    """`orgs show RM3` in 2022 listed only accounts stored as RM3, while `summary --org RM3`
    counted RW6 Pennine Acute's posts too: the coordinator could not find who they were."""
    configs = {}
    for n, year in enumerate((2018, 2022)):
        configs[year] = _config(tmp_path, year)
        archive = tmp_path / f"x{year}.jsonl"
        archive.write_text(_tweet(n, year, "Library, Pennine Acute Hospitals NHS Trust") + "\n",
                           encoding="utf-8")
        assert cli("--config", str(configs[year]), "import", "twarc2",
                   str(archive)).exit_code == 0
    shown = cli("--config", str(configs[2022]), "orgs", "show", "RM3", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert [(a["account"], a["organisation_code"], a["posts"]) for a in data["accounts"]] == [
        ("x:@pahtlibrary", "RW6", 1)]
    assert data["reported_as"] == {"code": "RM3",
                                   "name": "Northern Care Alliance NHS Foundation Trust"}
    table = cli("--config", str(configs[2022]), "orgs", "show", "RM3")
    assert "also counts RW6 Pennine Acute Hospitals NHS Trust (closed on 2021-09-30)" in (
        " ".join(table.stdout.split()))
    closed = cli("--config", str(configs[2022]), "orgs", "show", "RW6", "--format", "json")
    assert json.loads(closed.stdout)["reported_as"]["code"] == "RM3"
    assert "counted for RM3 Northern Care Alliance NHS Foundation Trust, as RW6 had closed on " \
        "2021-09-30" in " ".join(cli("--config", str(configs[2022]), "orgs", "show",
                                     "RW6").stdout.split())
    # In 2018 RM3 has no account of its own and counts nobody else's; it is named as then.
    early = json.loads(cli("--config", str(configs[2018]), "orgs", "show", "RM3",
                           "--format", "json").stdout)
    assert early["accounts"] == []
    assert early["reported_as"]["name"] == "Salford Royal NHS Foundation Trust"


def test_a_successor_renamed_in_config_is_still_named_as_it_is_now() -> None:
    """An [[organisations]] entry renaming RM3 keeps its ODS name as how it is called now."""
    from knowvember.config import parse_settings

    settings = parse_settings(
        '[campaign]\nname = "KNOWvember 2022"\nslug = "knowvember22"\n'
        'hashtags = ["KNOWvember22"]\nstart = 2022-11-01\nend = 2022-11-30\n'
        '[[organisations]]\ncode = "RM3"\nname = "NCA Salford"\n'
        'aliases = ["Salford Care Organisation"]\n')
    catalogue = Catalogue.load(settings)
    for text in ("Pennine Acute, now Northern Care Alliance", "Pennine Acute, now NCA Salford",
                 "Pennine Acute, now Salford Care Organisation"):
        best = catalogue.match(text)[0]
        assert (best.code, best.auto) == ("RW6", True), (text, best)

"""One campaign's account mappings survive another campaign's campaign.toml (fifth
new-user trial, second pass).

Several campaigns share one database, each year with its own campaign.toml. KNOWvember
2025's file mapped x:@TaviLib to North London NHS FT (G6V2S, added under
[[organisations]]); running `orgs unmatched` with KNOWvember 2018's file, which has no such
mapping, handed the account back to automatic matching, and 2025's leaderboard then showed
Tavistock and Portman instead: every report depended on which year's file ran last. A
mapping is released only by the campaign whose file made it, when that file drops it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAPPING = ('[[organisations]]\ncode = "G6V2S"\nname = "North London NHS Foundation Trust"\n'
           'region = "London"\naccounts = ["x:@TaviLib"]\n')


def _config(folder: Path, year: int, extra: str = "") -> Path:
    path = folder / f"knowvember{year}.toml"
    path.write_text(
        f'[campaign]\nname = "KNOWvember {year}"\nslug = "knowvember{year % 100}"\n'
        f'hashtags = ["KNOWvember{year % 100}"]\nstart = {year}-11-01\nend = {year}-11-30\n'
        'timezone = "Europe/London"\n[database]\nurl = "sqlite:///knowvember.db"\n'
        f"[sources.x]\nenabled = false\n{extra}", encoding="utf-8")
    return path


def _tweet(n: int, year: int) -> str:
    return json.dumps({
        "id_str": str(10**17 + n), "created_at": f"Mon Nov 05 09:30:00 +0000 {year}",
        "full_text": f"Knowledge cafe today #KNOWvember{year % 100}",
        "user": {"id_str": "1006", "screen_name": "TaviLib", "name": "Library",
                 "description": "Library, Tavistock and Portman NHS Foundation Trust",
                 "followers_count": 10},
        "entities": {"hashtags": [{"text": f"KNOWvember{year % 100}"}]},
        "favorite_count": 1, "retweet_count": 0, "lang": "en",
    })


def _codes(cli: Any, config: Path) -> list[str]:
    result = cli("--config", str(config), "leaderboard", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["code"] for row in json.loads(result.stdout)]


def test_another_campaigns_file_leaves_a_mapping_alone(cli: Any, tmp_path: Path) -> None:
    early = _config(tmp_path, 2018)
    late = _config(tmp_path, 2025, MAPPING)
    for n, (year, config) in enumerate(((2018, early), (2025, late))):
        archive = tmp_path / f"x{year}.jsonl"
        archive.write_text(_tweet(n, year) + "\n", encoding="utf-8")
        assert cli("--config", str(config), "import", "twarc2", str(archive)).exit_code == 0
    assert cli("--config", str(late), "orgs", "attribute").exit_code == 0
    assert _codes(cli, late) == ["G6V2S"]
    for command in (("orgs", "unmatched"), ("orgs", "attribute"),
                    ("orgs", "attribute", "--force")):
        assert cli("--config", str(early), *command).exit_code == 0
        assert _codes(cli, late) == ["G6V2S"], command
    # 2018's file has no G6V2S: it is told whose mapping that is, not to reassign it.
    warned = cli("--config", str(early), "orgs", "attribute")
    flat = " ".join(warned.stderr.split())
    assert "accounts are mapped to G6V2S by the campaign.toml of knowvember25" in flat
    assert "reassign" not in flat
    # The campaign that made the mapping releases it when its file drops the account.
    _config(tmp_path, 2025)
    assert cli("--config", str(late), "orgs", "attribute").exit_code == 0
    assert _codes(cli, late) == ["RNK"]


def test_a_mapping_added_to_the_file_applies_at_the_next_import(cli: Any, tmp_path: Path
                                                                ) -> None:
    """Adding `accounts = ["x:@TaviLib"]` and importing the next file left @TaviLib as the
    old catalogue matched it (its profile had not changed), so every report kept RNK until
    someone thought to run `orgs attribute`."""
    config = _config(tmp_path, 2025)
    first = tmp_path / "first.jsonl"
    first.write_text(_tweet(0, 2025) + "\n", encoding="utf-8")
    assert cli("--config", str(config), "import", "twarc2", str(first)).exit_code == 0
    assert _codes(cli, config) == ["RNK"]
    _config(tmp_path, 2025, MAPPING)
    other = json.loads(_tweet(1, 2025))
    other["user"] = {**other["user"], "id_str": "2001", "screen_name": "jo_lib",
                     "description": "Librarian"}
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps(other) + "\n", encoding="utf-8")
    assert cli("--config", str(config), "import", "twarc2", str(later)).exit_code == 0
    assert _codes(cli, config) == ["G6V2S"]

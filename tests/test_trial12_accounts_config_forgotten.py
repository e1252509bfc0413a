"""`config check` says where campaign.toml still names an account erased with `forget`:
`init --from` carries last year's mappings and opt-outs, the erased person's handle with
them, into the new year's file, and config check called it valid without a word."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson

from tests.fakeapi import x_id, x_page, x_tweet, x_user

WHEN = dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC)
CONFIG = """
[[organisations]]
code = "RWE"
accounts = ["x:@UHLLibraries", "https://x.com/JoLibrarian"]

[leaderboard]
exclude_accounts = ["x:@someone_else"]
"""


def test_config_check_names_the_entries_naming_a_forgotten_account(
        write_config, campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(CONFIG)
    page = x_page([x_tweet(x_id(WHEN), "Journal club #KNOWvember19", "9001", WHEN)],
                  [x_user("9001", "JoLibrarian", name="Jo Bloggs")])
    (campaign_dir / "a.jsonl").write_bytes(orjson.dumps(page) + b"\n")
    assert cli("import", "twarc2", str(campaign_dir / "a.jsonl")).exit_code == 0
    clean = cli("config", "check", "--format", "json")
    assert clean.exit_code == 0 and json.loads(clean.stdout)["warnings"] == []
    assert cli("forget", "x:@JoLibrarian", "--yes").exit_code == 0
    checked = cli("config", "check", "--format", "json")
    assert checked.exit_code == 0, checked.output
    warnings = json.loads(checked.stdout)["warnings"]
    assert len(warnings) == 1
    assert "names an account erased with `knowvember forget` in organisations[0].accounts[1] " \
        "(RWE)" in warnings[0]
    shown = cli("config", "check")
    assert "organisations[0].accounts[1] (RWE)" in shown.stderr
    assert "jolibrarian" not in shown.stdout.lower()

"""An `[[organisations]] accounts` mapping written as a Bluesky DID (`bluesky:did:plc:...`,
or a bsky.app share link holding one) applies to the account with that DID: it was read as
a handle no account has, so the mapping did nothing while `config check` called it valid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.fakeapi import bluesky_post

DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
WHEN = dt.datetime(2019, 11, 12, 9, 0, tzinfo=dt.UTC)


def _import(cli: Callable[..., object], campaign_dir: Path) -> None:
    posts = [bluesky_post("3ka", DID, "jo-knowledge.bsky.social", "Knowledge cafe #KNOWvember19",
                          WHEN),
             bluesky_post("3kb", "did:plc:other", "stays.bsky.social",
                          "Peer assist #KNOWvember19", WHEN)]
    (campaign_dir / "posts.json").write_bytes(orjson.dumps({"posts": posts}))
    result = cli("import", "bluesky", str(campaign_dir / "posts.json"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("entry", [f"bluesky:{DID}", f"https://bsky.app/profile/{DID}"])
def test_a_mapping_by_did_attributes_the_account(write_config, campaign_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                  entry: str) -> None:
    write_config(f'[[organisations]]\ncode = "RWE"\naccounts = ["{entry}"]\n')
    _import(cli, campaign_dir)
    shown = cli("orgs", "show", "RWE", "--format", "json")
    assert shown.exit_code == 0, shown.output
    accounts = {a["account"]: a["attribution"] for a in json.loads(shown.stdout)["accounts"]}
    assert accounts == {"bluesky:jo-knowledge.bsky.social": "config"}
    # And it outranks a coordinator's choice, as a mapping by handle does, saying why.
    refused = cli("orgs", "assign", "bluesky:jo-knowledge.bsky.social", "RBS")
    assert refused.exit_code == 7
    assert f"by its DID, bluesky:{DID}" in refused.output


@pytest.mark.parametrize("ref", [f"bluesky:{DID}", f"https://bsky.app/profile/{DID}"])
def test_orgs_assign_finds_the_account_by_its_did(campaign_dir: Path, cli, ref: str) -> None:  # type: ignore[no-untyped-def]
    _import(cli, campaign_dir)
    assigned = cli("orgs", "assign", ref, "RBS")
    assert assigned.exit_code == 0, assigned.output
    shown = cli("orgs", "show", "RBS", "--format", "json")
    accounts = {a["account"]: a["attribution"] for a in json.loads(shown.stdout)["accounts"]}
    assert accounts == {"bluesky:jo-knowledge.bsky.social": "manual"}

"""`forget` by a profile address says which stored account it erased.

A Mastodon profile address names the server's actor, and the account's handle can be on
another domain: `https://social.nhs.uk/@lks` is @lks@nhs.uk. The right account was erased,
but the confirmation said "Forgot mastodon:@lks@social.nhs.uk", a handle nobody had, so the
coordinator answering the request could not tell whom the erasure took.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson

from tests.fakeapi import mastodon_account, mastodon_id, mastodon_status

HOME = "https://social.nhs.uk"
AT = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)


def _import_one(campaign_dir: Path, cli: Any) -> None:
    person = mastodon_account("lks", HOME, acct="lks@nhs.uk")
    status = mastodon_status(mastodon_id(AT), HOME, 1, "<p>Peer assist #KNOWvember19</p>",
                             ["KNOWvember19"], person, AT)
    (campaign_dir / "s.json").write_bytes(orjson.dumps([status]))
    assert cli("import", "mastodon", str(campaign_dir / "s.json")).exit_code == 0


def test_the_confirmation_names_the_account_stored(campaign_dir: Path, cli: Any) -> None:
    _import_one(campaign_dir, cli)
    preview = cli("forget", f"{HOME}/@lks", "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert f"Would forget mastodon:@lks@nhs.uk (named by {HOME}/@lks)" in preview.stdout
    done = cli("forget", f"{HOME}/@lks", "--yes")
    assert done.exit_code == 0, done.output
    assert f"Forgot mastodon:@lks@nhs.uk (named by {HOME}/@lks)" in done.stdout


def test_the_json_says_it_too(campaign_dir: Path, cli: Any) -> None:
    _import_one(campaign_dir, cli)
    done = cli("forget", f"{HOME}/@lks", "--yes", "--format", "json")
    assert json.loads(done.stdout)["stored_as"] == ["mastodon:@lks@nhs.uk"]

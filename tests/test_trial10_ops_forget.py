"""A fifth new-user trial of operations: `forget ACCOUNT` as an erasure request words it.

A request quotes the profile's address (`https://x.com/someone`), or the handle without
its instance (`@lib` on Mastodon). The address was taken as a handle: `forget
mastodon:https://med-mastodon.com/@lib` erased nothing of the person but cleared the raw
payloads of every post that named the instance, and `forget mastodon:@lib` left the
account stored while saying it was on the forgotten list. An address now means the account
it shows; a handle no account can have is refused, naming the stored accounts it could be.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowvember.errors import EXIT_OK, EXIT_USAGE, InputError
from knowvember.privacy import parse_account
from tests.fakeapi import saved_status

Invoke = Callable[..., Any]

INSTANCE = "https://med-mastodon.com"



@pytest.fixture
def stored(cli: Invoke, write_config: Callable[[str], Path], campaign_dir: Path) -> Path:
    """A campaign holding two Mastodon accounts of one instance, imported from a file."""
    write_config("")
    path = campaign_dir / "statuses.json"
    path.write_text(json.dumps([saved_status(1, "deborahreads", "Our journal club"),
                                saved_status(2, "kmlead", "A Peer Assist today")]), "utf-8")
    result = cli("import", "mastodon", str(path))
    assert result.exit_code == EXIT_OK, result.stderr
    return campaign_dir


def _raw_payloads(cli: Invoke) -> int:
    import sqlalchemy as sa

    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings())
    try:
        with db.begin() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM posts WHERE raw IS NOT NULL OR raw_z IS NOT NULL"))
                .scalar() or 0)
    finally:
        db.dispose()


@pytest.mark.parametrize(("ref", "expected"), [
    ("https://x.com/LGLibraries", ("x", "@lglibraries")),
    ("https://twitter.com/LGLibraries/status/1191", ("x", "@lglibraries")),
    ("x:https://mobile.twitter.com/lglibraries", ("x", "@lglibraries")),
    ("twitter:https://x.com/lglibraries", ("x", "@lglibraries")),
    ("https://med-mastodon.com/@deborahreads", ("mastodon", "@deborahreads@med-mastodon.com")),
    ("mastodon:https://med-mastodon.com/users/deborahreads",
     ("mastodon", "@deborahreads@med-mastodon.com")),
    ("https://mastodon.social/@lib@nhs.social", ("mastodon", "@lib@nhs.social")),
    ("https://bsky.app/profile/NHSEKLS.bsky.social", ("bluesky", "nhsekls.bsky.social")),
    ("bluesky:did:plc:abc123", ("bluesky", "did:plc:abc123")),
    ("x:lglibraries", ("x", "@lglibraries")),
])
def test_a_profile_address_is_the_account_it_shows(ref: str, expected: tuple[str, str]) -> None:
    assert parse_account(ref) == expected


@pytest.mark.parametrize(("ref", "says"), [
    ("x:@lg libraries", "'@lg libraries' is not an X handle"),
    ("x:'@lglibraries'", "is not an X handle"),
    ("x:@https://x.com", "is not an X handle"),
    ("mastodon:@https://med-mastodon.com/@deborahreads", "is not a Mastodon handle"),
    ("bluesky:https://x.com/lglibraries", "the address is an X profile, not bluesky"),
    ("https://www.nhs.uk/", "not a profile link"),
])
def test_a_handle_no_account_can_have_is_refused(ref: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_account(ref)
    assert says in str(caught.value)


def test_forget_of_an_instance_address_erases_the_account_and_nobody_else(
        cli: Invoke, stored: Path) -> None:
    before = _raw_payloads(cli)
    result = cli("forget", f"{INSTANCE}/@deborahreads", "--yes", "--format", "json")
    assert result.exit_code == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert (report["handle"], report["accounts"], report["posts"]) == (
        "@deborahreads@med-mastodon.com", 1, 1)
    assert report["raw_payloads_cleared"] == 0
    assert _raw_payloads(cli) == before - 1  # only the erased post's own payload went


def test_forget_of_a_mastodon_handle_without_its_instance_names_the_stored_one(
        cli: Invoke, stored: Path) -> None:
    before = _raw_payloads(cli)
    result = cli("forget", "mastodon:@deborahreads", "--yes")
    assert result.exit_code == EXIT_USAGE
    message = " ".join(result.stderr.split())
    assert "mastodon:@deborahreads names no stored account" in message
    assert "stored: mastodon:@deborahreads@med-mastodon.com" in message
    assert "Nothing was changed" in message
    assert _raw_payloads(cli) == before
    shown = cli("forget", "mastodon:@deborahreads@med-mastodon.com", "--dry-run")
    assert "would remove 1 account profile(s), 1 post(s)" in shown.stdout


def test_forget_of_a_bluesky_name_without_its_domain_is_refused(
        cli: Invoke, stored: Path) -> None:
    result = cli("forget", "bluesky:@nhsekls", "--dry-run")
    assert result.exit_code == EXIT_USAGE
    assert "bluesky:nhsekls.bsky.social" in " ".join(result.stderr.split())

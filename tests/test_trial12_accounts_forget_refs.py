"""`forget` with an account written the way an erasure request quotes it, without its
platform (`@someone`, `@lib@nhs.social`, `lib@nhs.social`, a DID, `x.com/someone`), says
what to write instead; it said only "is not platform:handle", and for an address without
a leading @ only that it looked like an email address."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("account", "advice"), [
    ("@Ward7_Sister", "write 'x:@Ward7_Sister' for X, or 'mastodon:@Ward7_Sister@SERVER'"),
    ("@lib@nhs.social", "a Mastodon address is written 'mastodon:@lib@nhs.social'"),
    ("lib@nhs.social", "a Mastodon address is written mastodon:@lib@nhs.social"),
    ("did:plc:ewvi7nxzyoun6zhxrhs64oiz", "is a Bluesky DID: write 'bluesky:' before it"),
    ("x.com/Ward7_Sister", "is a profile address without its start: put https:// before it"),
])
def test_forget_says_what_to_write(campaign_dir, cli, account: str, advice: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("forget", account, "--dry-run")
    assert result.exit_code == 2
    assert advice in result.stderr and "Traceback" not in result.stderr

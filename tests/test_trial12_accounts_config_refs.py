"""campaign.toml's account entries (`[[organisations]] accounts`, `[leaderboard]
exclude_accounts`) are read at `config check` as every command reads them: a profile
address is taken, as the README says; one that is no profile, or an entry without its
platform, is refused with the entry's position, the [[organisations]] entry counted from 1
with its code, name and line, and what to write instead."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from knowvember.config import parse_settings
from knowvember.errors import ConfigError
from tests.conftest import BASE_CONFIG

ORGS = """
[[organisations]]
code = "RWE"
name = "University Hospitals of Leicester NHS Trust"
accounts = ["x:@UHLLibraries"]

[[organisations]]
code = "RBS"
name = "Alder Hey Children's NHS Foundation Trust"
accounts = ["x:@AlderHeyLib", {bad}]
"""


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text)
    return str(caught.value)


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def test_an_entry_that_is_no_profile_names_the_organisation_its_position_and_line() -> None:
    text = BASE_CONFIG + ORGS.replace("{bad}", '"x:https://x.com/search?q=%23KNOWvember"')
    message = _error(text)
    line = _line_of(text, "[[organisations]]", 2)
    assert "organisations[1].accounts[1]: x.com/search is not a profile address" in message
    assert message.endswith(f" (in the 2nd [[organisations]] entry, code 'RBS', name "
                            f"\"Alder Hey Children's NHS Foundation Trust\", line {line})")


@pytest.mark.parametrize(("entry", "advice"), [
    ("@AlderHeyLib", "write 'x:@AlderHeyLib' for X, or 'mastodon:@AlderHeyLib@SERVER'"),
    ("lib@nhs.social", "a Mastodon address is written 'mastodon:@lib@nhs.social'"),
    ("did:plc:ewvi7nxzyoun6zhxrhs64oiz", "is a Bluesky DID: write 'bluesky:' before it"),
    ("alderheylib.bsky.social", "a Bluesky handle is written 'bluesky:alderheylib.bsky.social'"),
    ("x.com/AlderHeyLib", "'x.com/AlderHeyLib' is a profile address without its start: put https://"),
    ("x:Alder Hey Library", "has a space or an invisible character in it"),
    ("http://", "'http://' has no site after http://"),
])
def test_an_entry_without_its_platform_says_what_to_write(entry: str, advice: str) -> None:
    message = _error(BASE_CONFIG + ORGS.replace("{bad}", f'"{entry}"'))
    assert "organisations[1].accounts[1]: " in message and advice in message
    assert "(in the 2nd [[organisations]] entry, code 'RBS'" in message


def test_every_wrong_entry_of_a_list_is_named() -> None:
    message = _error(BASE_CONFIG + '\n[leaderboard]\nexclude_accounts = ["x:@fine", "@one", '
                     '"x:@also_fine", "two.bsky.social"]\n')
    assert "leaderboard.exclude_accounts[1]: '@one' does not say which platform" in message
    assert "leaderboard.exclude_accounts[3]: 'two.bsky.social' does not say" in message
    assert "exclude_accounts[0]" not in message and "exclude_accounts[2]" not in message


def test_a_profile_address_is_taken_as_the_readme_says() -> None:
    settings = parse_settings(
        BASE_CONFIG + '\n[leaderboard]\nexclude_accounts = ["https://x.com/someone", '
        '"https://bsky.app/profile/lib.bsky.social", "bluesky:did:plc:ewvi7nxzyoun6zhxrhs64oiz"]\n'
        + ORGS.replace("{bad}", '"https://nhs.social/@lib"'))
    assert settings.leaderboard.exclude_accounts[0] == "https://x.com/someone"
    assert settings.organisations[1].accounts[1] == "https://nhs.social/@lib"


def test_config_check_says_which_entry(write_config: Callable[[str], object], cli) -> None:  # type: ignore[no-untyped-def]
    write_config(ORGS.replace("{bad}", '"x:https://x.com/i/lists/123"'))
    result = cli("config", "check")
    assert result.exit_code == 3
    assert "organisations[1].accounts[1]: x.com/i/lists/123 is not a profile" in result.stderr
    assert "(in the 2nd [[organisations]] entry, code 'RBS'" in result.stderr
    assert "Configuration is valid" not in result.stderr



def test_an_unknown_key_in_an_entry_names_the_entry() -> None:
    message = _error(BASE_CONFIG + '\n[[organisations]]\ncode = "RWE"\nacounts = ["x:@a"]\n')
    assert "organisations[0].acounts: unknown key" in message
    assert "(in the 1st [[organisations]] entry, code 'RWE', line " in message


@pytest.mark.parametrize("entry", ["https://x.com/Alder\\u001cHey", "x:https://x.com/\\u2028Lib",
                                   "mastodon:@lib@nhs.social\\u0085x"])
def test_an_invisible_character_is_named_and_never_breaks_the_message(entry: str) -> None:
    message = _error(BASE_CONFIG + f'\n[leaderboard]\nexclude_accounts = ["{entry}"]\n')
    assert len(message.splitlines()) == 1 and message.isprintable()
    assert "has a space or an invisible character in it" in message

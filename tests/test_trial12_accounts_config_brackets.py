"""A table written with the wrong number of square brackets (`[organisations]` for
`[[organisations]]`, `[[leaderboard]]` for `[leaderboard]`) is named as that, with the
header to write; it was "Input should be a valid list" or "... a valid dictionary"."""

from __future__ import annotations

import pytest

from knowvember.config import parse_settings
from knowvember.errors import ConfigError
from tests.conftest import BASE_CONFIG


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text)
    return str(caught.value)


@pytest.mark.parametrize(("extra", "expected"), [
    ('\n[organisations]\ncode = "RBS"\naccounts = ["x:@AlderHeyLib"]\n',
     "organisations: write [[organisations]], with two square brackets"),
    ('\n[techniques.custom]\nname = "Journal club"\nphase = ["during"]\n',
     "techniques.custom: write [[techniques.custom]], with two square brackets"),
    ('\n[[leaderboard]]\nexclude_accounts = ["x:@someone"]\n',
     "leaderboard: write [leaderboard], with one square bracket"),
    ('\n[[sources.mastodon]]\nenabled = true\n',
     "sources.mastodon: write [sources.mastodon], with one square bracket"),
])
def test_the_wrong_brackets_are_named(extra: str, expected: str) -> None:
    message = _error(BASE_CONFIG + extra)
    assert expected in message and "Input should be" not in message


def test_the_right_brackets_still_read() -> None:
    settings = parse_settings(BASE_CONFIG + '\n[[organisations]]\ncode = "RBS"\n'
                              '\n[[techniques.custom]]\nname = "Journal club"\n'
                              'phase = ["during"]\n')
    assert settings.organisations[0].code == "RBS"
    assert settings.techniques.custom[0].name == "Journal club"


def test_a_value_under_a_key_that_is_no_table_is_not_taken_for_brackets() -> None:
    message = _error(BASE_CONFIG + '\n[techniques.synonyms]\n"peer assist" = {a = 1}\n')
    assert "square bracket" not in message and "Input should be a valid list" in message

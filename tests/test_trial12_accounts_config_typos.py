"""A misspelt key in campaign.toml names the key meant when one is close (`acounts`,
`exclude_account`, `out_of_scop`): "unknown key (check the spelling)" left a librarian
comparing letters against the README."""

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
    ('\n[[organisations]]\ncode = "RWE"\nacounts = ["x:@a"]\n',
     "organisations[0].acounts: unknown key (check the spelling; did you mean accounts?"),
    ('\n[leaderboard]\nexclude_account = ["x:@a"]\n',
     "leaderboard.exclude_account: unknown key (check the spelling; did you mean "
     "exclude_accounts?"),
    ('\n[[organisations]]\ncode = "UNI"\nname = "A library"\nout_of_scop = true\n',
     "did you mean out_of_scope?"),
])
def test_a_misspelt_key_names_the_key_meant(extra: str, expected: str) -> None:
    assert expected in _error(BASE_CONFIG + extra)


def test_a_key_like_no_other_is_only_unknown() -> None:
    message = _error(BASE_CONFIG + '\n[leaderboard]\nbanana = 1\n')
    assert "leaderboard.banana: unknown key (check the spelling; see the README" in message

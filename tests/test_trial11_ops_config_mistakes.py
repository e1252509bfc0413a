"""A sixth new-user trial of `config check`: the mistakes a coordinator makes editing
campaign.toml, each answered with what to change.

A key written under the wrong table (`timezone` added at the end of the file, read as
[logging]'s) was "unknown key (check the spelling)", for a key spelt right; and a line TOML
could not read said only "Invalid value (at line 7, column 8)" for curly quotes copied from
Word, a date written the UK way or text without its quotes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.config import parse_settings
from knowvember.errors import ConfigError
from tests.conftest import BASE_CONFIG

TOKEN = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRf"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("campaign.toml"))
    return str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    (BASE_CONFIG + '\n[logging]\nlevel = "INFO"\ntimezone = "Europe/London"\n',
     "logging.timezone: timezone belongs under [campaign], not under [logging]"),
    (BASE_CONFIG + '\n[logging]\nlevel = "INFO"\nbearer_token_env = "X_TOKEN"\n',
     "bearer_token_env belongs under [sources.x], not under [logging]"),
    (BASE_CONFIG.replace('timezone = "Europe/London"',
                         'timezone = "Europe/London"\nenabled = true'),
     "enabled belongs under [sources.x], [sources.mastodon] or [sources.bluesky]"),
    ('exclude_accounts = ["x:@someone"]\n' + BASE_CONFIG,
     "exclude_accounts belongs under [leaderboard], not at the top"),
    (BASE_CONFIG + '\n[[organisations]]\ncode = "UNI"\nname = "A library"\nlevel = "INFO"\n',
     "organisations[0].level: level belongs under [logging], not under [[organisations]]"),
])
def test_a_key_under_the_wrong_table_names_its_table(text: str, expected: str) -> None:
    message = _error(text)
    assert expected in message
    assert "move the line under" in message and "check the spelling" not in message


def test_a_misspelt_key_is_still_a_spelling_mistake() -> None:
    message = _error(BASE_CONFIG + '\n[logging]\nlevle = "INFO"\n')
    assert "logging.levle: unknown key (check the spelling" in message


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('name = "KNOWvember 2019"', "name = \u201cKNOWvember 2019\u201d",
     "line 2 has a curly quote (\u201c), as Word or Outlook write them"),
    ('"KNOWvember19"', "\u2018KNOWvember19\u2019", "line 4 has a curly quote (\u2018)"),
    ("start = 2019-11-01", "start = 01/11/2019",
     "line 6: write a date as YYYY-MM-DD, without quotes"),
    ("end = 2019-11-30", "end = 30.11.2019   # the last day",
     "line 7: write a date as YYYY-MM-DD"),
    ('timezone = "Europe/London"', "timezone = Europe/London",
     'line 8: text goes in straight quotes (timezone = "Europe/London")'),
])
def test_a_line_toml_cannot_read_says_what_is_wrong_with_it(old: str, new: str,
                                                            expected: str) -> None:
    assert old in BASE_CONFIG
    message = _error(BASE_CONFIG.replace(old, new, 1))
    assert "not valid TOML" in message and expected in message


def test_true_and_false_written_another_way() -> None:
    for written in ("True", "yes", "Off"):
        message = _error(BASE_CONFIG + f"\n[sources.x]\nenabled = {written}\n")
        assert "write enabled = true or enabled = false, in lower case" in message


@pytest.mark.parametrize("value", [TOKEN, "postgresql+psycopg://kv:hunter2@db/kv"])
def test_an_unquoted_secret_is_never_repeated(value: str) -> None:
    key = "bearer_token_env" if value == TOKEN else "url"
    table = "[sources.x]" if value == TOKEN else "[database]"
    text = BASE_CONFIG.replace('[database]\nurl = "sqlite:///knowvember.db"\n', "")
    message = _error(text + f"\n{table}\n{key} = {value}\n")
    assert "text goes in straight quotes (secrets are never written" in message
    assert value not in message and "hunter2" not in message


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember"]', 'hashtags = "KNOWvember19"',
     'campaign.hashtags: write a list in square brackets, e.g. hashtags = ["KNOWvember19"]'),
    ("[campaign]", "[Campaign]", "Campaign: names are lower case: write campaign"),
    ("[database]", "[sources.twitter]\nenabled = true\n\n[database]",
     "sources.twitter: X's table is [sources.x] (Twitter's new name)"),
    ("[database]", "[leaderboard]\nexclude_accounts = \"x:@someone\"\n\n[database]",
     'write a list in square brackets, e.g. exclude_accounts = ["x:@someone"]'),
])
def test_a_value_or_name_written_another_way(old: str, new: str, expected: str) -> None:
    message = _error(BASE_CONFIG.replace(old, new, 1))
    assert expected in message
    assert "(got " not in message.split(expected, 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize(("line", "expected"), [
    ("max_posts_per_run = 10,000", "write numbers without commas (10000, or 10_000"),
    ("price_per_read = £0.005", "write the number without a currency sign"),
])
def test_a_number_written_as_in_a_spreadsheet(line: str, expected: str) -> None:
    message = _error(BASE_CONFIG + f"\n[sources.x]\n{line}\n")
    assert "not valid TOML" in message and expected in message


def test_an_apostrophe_inside_a_value_is_not_taken_for_a_curly_quote() -> None:
    message = _error(BASE_CONFIG.replace('name = "KNOWvember 2019"',
                                         'name = "St George\u2019s KNOWvember', 1))
    assert "not valid TOML" in message and "curly quote" not in message

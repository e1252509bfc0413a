"""A `[[organisations]] accounts` mapping written as a Mastodon profile address applies to
an account whose handle is on another domain than its server.

`accounts = ["mastodon:https://social.nhs.uk/@lks"]` for the account @lks@nhs.uk (served by
social.nhs.uk) was read as the handle @lks@social.nhs.uk, which no account has: its posts
went to no organisation while `config check` said the file was valid. The address also
names the actor the server keys the account by, as opt-outs already read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowvember.errors import EXIT_CONFLICT

ROWS = "\n".join([
    "platform,id,author_handle,author_name,created_at,text",
    "mastodon,https://social.nhs.uk/users/lks/statuses/109000000000000001,@lks@nhs.uk,"
    "NHS Library and Knowledge Services,2019-11-03 09:30:00,"
    "Our #KNOWvember19 evidence search drop-in starts today",
    "",
])


def _imported(write_config: Any, cli: Any, campaign_dir: Path) -> None:
    write_config('[[organisations]]\ncode = "RWE"\n'
                 'accounts = ["mastodon:https://social.nhs.uk/@lks"]\n')
    (campaign_dir / "posts.csv").write_text(ROWS, encoding="utf-8")
    result = cli("-q", "import", "csv", "posts.csv")
    assert result.exit_code == 0, result.output


def test_the_mapping_attributes_the_account(write_config: Any, cli: Any,
                                            campaign_dir: Path) -> None:
    _imported(write_config, cli, campaign_dir)
    result = cli("leaderboard", "--by", "contributor", "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["account"] == "mastodon:@lks@nhs.uk"
    assert row["organisation_code"] == "RWE"


def test_assign_says_the_mapping_names_it_by_its_address(write_config: Any, cli: Any,
                                                        campaign_dir: Path) -> None:
    _imported(write_config, cli, campaign_dir)
    result = cli("orgs", "assign", "mastodon:@lks@nhs.uk", "RBS")
    assert result.exit_code == EXIT_CONFLICT
    assert ("mastodon:@lks@nhs.uk (by its profile address, "
            "mastodon:https://social.nhs.uk/users/lks) is mapped to RWE") in " ".join(
                result.stderr.split())

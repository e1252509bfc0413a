"""The sample's campaign.toml: the campaign, the instances it "collected", the organisations
that are not trusts, an opted-out account and the story form's questions."""

from __future__ import annotations

from knowvember.sample.campaign import COLLECTED_INSTANCES, Campaign
from knowvember.sample.people import Account, People
from knowvember.sample.stories import QUESTIONS


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def campaign_toml(campaign: Campaign, people: People, *, database: str = "knowvember.db",
                  posted: dict[str, set[int]] | None = None) -> str:
    """A working campaign.toml for the sample (relative paths: beside the file).

    `posted`: each platform's accounts (by idx) with a campaign post in the sample. The
    opted-out person is excluded only where they posted: in a small sample (`demo --posts
    50`) they often did not, and an exclude_accounts entry matching no stored account made
    the demo warn "matches no account in the database; check its spelling".
    """
    national, other = people.national, people.other
    opted_out = [a for a in people.accounts if a.opted_out]

    def refs(account: Account) -> list[str]:
        return [f"{p}:{account.handle(p)}" for p in ("x", "mastodon", "bluesky")
                if account.on(p) and (posted is None or account.idx in posted.get(p, ()))]

    excluded = [ref for a in opted_out for ref in refs(a)]
    n_org, o_org = national.org, other.org
    assert n_org is not None and o_org is not None
    columns = "\n".join(f'{field} = "{header}"' for field, header in QUESTIONS.items())
    instances = _list([f"https://{h}" for h in COLLECTED_INSTANCES])
    return f"""\
# knowvember configuration for the generated sample campaign ({campaign.name}).
# Written by `knowvember sample` / `knowvember demo`: every post and story in this folder is
# made up, in the platforms' real payload shapes. Edit freely; regenerate to start again.

[campaign]
name = "{campaign.name}"
slug = "{campaign.slug}"
hashtags = {_list(list(campaign.hashtags))}
variants = {_list(list(campaign.variants))}   # misspellings people really use
start = {campaign.start.isoformat()}
end = {campaign.end.isoformat()}
timezone = "{campaign.timezone}"

[database]
url = "sqlite:///{database}"

# The sample was "collected" already: the demo imports its files. Turn a source on (and set
# its environment variables) to collect live.
[sources.x]
enabled = false
endpoint = "all"

[sources.mastodon]
enabled = false
instances = {instances}

[sources.bluesky]
enabled = false

# Not NHS trusts, so not in the built-in catalogue: the national team that runs the campaign,
# and a law firm's knowledge team that joined in with the hashtag (out of scope).
[[organisations]]
code = "{n_org.code}"
name = "{n_org.name}"
region = "National"
accounts = {_list(refs(national))}

[[organisations]]
code = "{o_org.code}"
name = "{o_org.name}"
aliases = ["Harbour and Vale", "H&V LLP"]
accounts = {_list(refs(other))}
out_of_scope = true

[leaderboard]
# Someone who asked to be left out of leaderboards and reports.
exclude_accounts = {_list(excluded)}

# The story form's questions, as its export heads the columns.
[stories.form_columns]
{columns}

[logging]
level = "INFO"
"""

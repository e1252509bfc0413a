"""The leaderboard's groupings and metrics, and the cap on counts: one definition for the
CLI, the reports and the posts.csv process.

Kept free of heavy imports so the CLI can use it at start-up.
"""

from __future__ import annotations

from enum import StrEnum

# No post has a trillion likes or reposts, and no account a trillion followers: a count
# beyond is a damaged value (an archive field of 2**63 - 1, say). Capped there, the sums
# of a million posts stay inside int64.
MAX_COUNT = 10**12


class By(StrEnum):
    organisation = "organisation"
    region = "region"
    contributor = "contributor"


class Metric(StrEnum):
    score = "score"
    posts = "posts"
    contributors = "contributors"
    engagement = "engagement"
    stories = "stories"

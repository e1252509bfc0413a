"""The leaderboard's groupings and metrics: one definition for the CLI and the reports.

Kept free of heavy imports so the CLI can use it at start-up.
"""

from __future__ import annotations

from enum import StrEnum


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

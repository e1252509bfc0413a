"""Year over year: this campaign beside the earlier campaigns in the same database.

Each earlier campaign is counted over its own dates and timezone with exactly the same
definitions (and the same opt-outs and organisation catalogue) as this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reports.dataset import CampaignData, load_campaign_data
from reports.metrics import summarise

if TYPE_CHECKING:
    from knowvember.db import Database

HISTORY_KEYS = ("posts", "original_posts", "contributors", "organisations", "engagement",
                "stories_approved")


def campaign_history(db: Database, data: CampaignData, summary: dict[str, Any]
                     ) -> list[dict[str, Any]]:
    """One row per campaign, oldest first, ending with this one; empty without earlier ones."""
    if not data.earlier:
        return []
    rows = []
    for campaign in data.earlier:
        earlier = load_campaign_data(db, data.settings, catalogue=data.directory.catalogue,
                                     taxonomy=data.taxonomy, campaign_id=campaign.id,
                                     compare=False)
        rows.append(_row(earlier.campaign.slug, earlier.campaign.name,
                         earlier.campaign.start.year, summarise(earlier), current=False))
    rows.append(_row(data.campaign.slug, data.campaign.name, data.campaign.start.year,
                     summary, current=True, interim=data.period.interim))
    return rows


def _row(slug: str, name: str, year: int, summary: dict[str, Any], *, current: bool,
         interim: bool = False) -> dict[str, Any]:
    return {"slug": slug, "name": name, "year": year, "current": current, "interim": interim,
            **{key: summary[key] for key in HISTORY_KEYS}}

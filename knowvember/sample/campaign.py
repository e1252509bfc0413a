"""The campaign a sample belongs to: KNOWvember in a given year, and the sample's size knobs.

KNOWvember tags follow one pattern every year (#KNOWvember2019, #KNOWvember19, #KNOWvember),
and people misspell them in the same few ways, so a year is all the generator needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

PLATFORMS = ("x", "mastodon", "bluesky")

# Instances whose tag timelines the sample "collected", and homes of the accounts on them.
COLLECTED_INSTANCES = ("mastodon.social", "med-mastodon.com", "glammr.us")
HOME_INSTANCES = (*COLLECTED_INSTANCES, "mastodonapp.uk")


@dataclass(frozen=True)
class Campaign:
    """What campaign.toml's `[campaign]` table will say for the sample."""

    year: int
    name: str
    slug: str
    hashtags: tuple[str, ...]
    variants: tuple[str, ...]
    start: dt.date
    end: dt.date
    timezone: str = "Europe/London"

    @classmethod
    def for_year(cls, year: int) -> Campaign:
        yy = f"{year % 100:02d}"
        return cls(
            year=year,
            name=f"KNOWvember {year}",
            slug=f"knowvember{yy}",
            hashtags=(f"KNOWvember{year}", f"KNOWvember{yy}", "KNOWvember"),
            variants=(f"Knowvmber{yy}", f"Knovember{yy}", f"KNOWvember2k{yy}"),
            start=dt.date(year, 11, 1),
            end=dt.date(year, 11, 30),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def yy(self) -> str:
        return f"{self.year % 100:02d}"

    def window_ms(self) -> tuple[int, int]:
        """First and last-plus-one millisecond of the campaign, local midnight to midnight."""
        start = dt.datetime.combine(self.start, dt.time(), self.tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), self.tz)
        return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def default_shares(year: int) -> dict[str, float]:
    """Where KNOWvember was talked about: X alone until the federated platforms caught on."""
    if year < 2022:
        return {"x": 1.0}
    if year == 2022:
        return {"x": 0.9, "mastodon": 0.1}
    return {"x": 0.70, "mastodon": 0.15, "bluesky": 0.15}


@dataclass(frozen=True)
class SampleSpec:
    """How big a sample to make, of which year, from which seed (same spec: same bytes)."""

    posts: int = 3000
    year: int = 2025
    seed: int = 1
    shares: dict[str, float] = field(default_factory=dict)  # empty: default_shares(year)
    stories: int | None = None  # None: scaled to the number of posts
    x_page_size: int = 100
    mastodon_page_size: int = 40
    bluesky_page_size: int = 100

    def __post_init__(self) -> None:
        if self.posts < 0:
            raise ValueError("posts must not be negative")
        if not 2006 <= self.year <= 2100:
            raise ValueError(f"year {self.year} is out of range")
        for name, share in self.platform_shares().items():
            if name not in PLATFORMS:
                raise ValueError(f"unknown platform {name!r}; use x, mastodon or bluesky")
            if share < 0:
                raise ValueError(f"share of {name} must not be negative")
        if sum(self.platform_shares().values()) <= 0:
            raise ValueError("at least one platform needs a share above 0")
        for size in (self.x_page_size, self.mastodon_page_size, self.bluesky_page_size):
            if size < 1:
                raise ValueError("page sizes must be at least 1")

    @property
    def campaign(self) -> Campaign:
        return Campaign.for_year(self.year)

    def platform_shares(self) -> dict[str, float]:
        return dict(self.shares) if self.shares else default_shares(self.year)

    def posts_by_platform(self) -> dict[str, int]:
        """Split `posts` exactly (largest remainder), in PLATFORMS order."""
        shares = self.platform_shares()
        total = sum(shares.values())
        wanted = {p: self.posts * shares.get(p, 0.0) / total for p in PLATFORMS}
        counts = {p: int(v) for p, v in wanted.items()}
        left = self.posts - sum(counts.values())
        for p in sorted(PLATFORMS, key=lambda p: (counts[p] - wanted[p], PLATFORMS.index(p))):
            if left <= 0:
                break
            if shares.get(p, 0.0) > 0:
                counts[p] += 1
                left -= 1
        return {p: counts[p] for p in PLATFORMS if shares.get(p, 0.0) > 0}

    def story_count(self) -> int:
        if self.stories is not None:
            return self.stories
        return max(12, min(5000, round(self.posts / 75)))


def parse_shares(text: str) -> dict[str, float]:
    """`x=70,mastodon=15,bluesky=15` -> shares (any scale; they are normalised)."""
    shares: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = {"twitter": "x", "bsky": "bluesky"}.get(name.strip().lower(), name.strip().lower())
        if not sep or name not in PLATFORMS:
            raise ValueError(f"{item!r}: write platform=share, e.g. x=70,mastodon=15,bluesky=15")
        try:
            shares[name] = float(value)
        except ValueError:
            raise ValueError(f"{item!r}: {value!r} is not a number") from None
    if not shares or sum(shares.values()) <= 0:
        raise ValueError("give at least one platform a share above 0")
    return shares

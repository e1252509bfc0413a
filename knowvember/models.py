"""The database model: one module, SQLAlchemy 2 typed ORM.

Every schema change comes with an Alembic migration in `knowvember/migrations/versions`;
`tests/test_migrations.py` fails when the models and the migrations disagree.

Times are stored as naive UTC (`UtcDateTime`) on both SQLite and PostgreSQL, so that
comparisons and day bucketing behave the same everywhere; reports convert to the campaign's
timezone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON
    }


class Campaign(Base):
    """One year's campaign; several live in one database so reports can compare years."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    hashtags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Organisation(Base):
    """An NHS trust from the catalogue, a closed trust, or an organisation added in config."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    region: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20), default="trust")  # trust | closed | custom
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    former_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opened: Mapped[dt.date | None] = mapped_column(Date)
    closed: Mapped[dt.date | None] = mapped_column(Date)
    successor_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    out_of_scope: Mapped[bool] = mapped_column(Boolean, default=False)


class Account(Base):
    """A person or team on one platform, keyed by their home identity on that platform."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("platform", "key", name="uq_accounts_platform_key"),
        Index("ix_accounts_platform_handle", "platform", "handle"),
        Index("ix_accounts_organisation_code", "organisation_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # X: user id; Mastodon: the account's home URL/URI; Bluesky: the DID.
    key: Mapped[str] = mapped_column(String(512))
    platform_user_id: Mapped[str | None] = mapped_column(String(512))
    handle: Mapped[str] = mapped_column(String(320))  # normalised, lower case
    display_name: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    organisation_code: Mapped[str | None] = mapped_column(String(20))
    # How the organisation was attributed: config | manual | auto (None: unattributed);
    # `unassigned`: a coordinator removed it, so automatic matching leaves the account alone.
    attribution: Mapped[str | None] = mapped_column(String(16))
    attribution_confidence: Mapped[float | None] = mapped_column(Float)
    # The profile text the last automatic match looked at, so unchanged profiles are skipped.
    attribution_input: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the platform showed the profile stored (handle, name, bio, followers; migration
    # 0007): a collection's time, or for an import the time of the posts it came with. A
    # record seen earlier (an older archive imported after newer data) never replaces it.
    profile_at: Mapped[dt.datetime | None] = mapped_column()
    # The account this one moved to (Mastodon's `moved`; migration 0007): one person. The
    # posts of both are stored under the account moved to, so they count once; no foreign
    # key, so erasing either account leaves the other as it is.
    moved_to_id: Mapped[int | None] = mapped_column(Integer)
    # The handles it had before, oldest first (migration 0007): campaign.toml and
    # coordinators name people by handle, and a renamed account is still the one they named.
    former_handles: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))


class Post(Base):
    """A campaign post, keyed by (platform, platform post id); never stored twice."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id", name="uq_posts_platform_platform_id"),
        # Covering for reports: summaries read every post of a campaign from this index alone,
        # never the wide rows (text, raw payload), so 1,000,000 posts aggregate in under 1 s.
        Index("ix_posts_campaign_created", "campaign_id", "created_at", "account_id", "platform",
              "kind", "likes", "reposts", "replies", "quotes"),
        Index("ix_posts_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(512))  # a string end to end, never a float
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    uri: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="original")  # original|reply|repost|quote
    referenced_id: Mapped[str | None] = mapped_column(String(512))
    conversation_id: Mapped[str | None] = mapped_column(String(512))
    mentions: Mapped[str | None] = mapped_column(Text)  # space-separated normalised handles
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    reposts: Mapped[int] = mapped_column(BigInteger, default=0)
    replies: Mapped[int] = mapped_column(BigInteger, default=0)
    quotes: Mapped[int] = mapped_column(BigInteger, default=0)
    source: Mapped[str] = mapped_column(String(32))  # collector or importer that stored it
    raw: Mapped[str | None] = mapped_column(Text)  # the payload as received (JSON text)
    # Or, from a big import, the same compressed (see knowvember.payloads); never both.
    raw_z: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_collected: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_collected: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the text stored was last edited, for a post edited in place (Mastodon; migration
    # 0006): a copy edited later replaces the text, one edited earlier does not.
    edited_at: Mapped[dt.datetime | None] = mapped_column()

    account: Mapped[Account | None] = relationship()


class RawDictionary(Base):
    """A zstd dictionary that compressed posts' `raw_z` payloads, by the id their frames name
    (migration 0004)."""

    __tablename__ = "raw_dictionaries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PostHashtag(Base):
    __tablename__ = "post_hashtags"
    # WITHOUT ROWID on SQLite: the row is its key, stored once, and the tag index then holds
    # (tag, post id) and answers alone (migration 0003).
    __table_args__ = (Index("ix_post_hashtags_tag", "tag"), {"sqlite_with_rowid": False})

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(280), primary_key=True)  # case-folded, no '#'


class PostTechnique(Base):
    __tablename__ = "post_techniques"
    __table_args__ = (Index("ix_post_techniques_technique", "technique"),
                      {"sqlite_with_rowid": False})  # as post_hashtags

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    technique: Mapped[str] = mapped_column(String(120), primary_key=True)  # canonical name


class PostVersion(Base):
    """An earlier version of an edited post, and the row holding the post's latest version.

    X gives each version of an edited post its own id, listed oldest first in the payload's
    `edit_history_tweet_ids`. A post is stored once, under its latest version's id; the ids
    it had before are kept here, so a copy of an earlier version (an older archive, a search
    run before the edit) is known for what it is instead of being stored as a second post,
    and a reply to it refers to the post (migration 0005).
    """

    __tablename__ = "post_versions"
    __table_args__ = (Index("ix_post_versions_post_id", "post_id"),
                      {"sqlite_with_rowid": False})

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))


class Story(Base):
    """A KM story submitted by library staff, reviewed by coordinators."""

    __tablename__ = "stories"
    # AUTOINCREMENT on SQLite: an erased story's id is never reused, so its trail (kept in
    # story_events by id) can never attach itself to a later story.
    __table_args__ = (Index("ix_stories_status", "status"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # Idempotency key for form imports: the form's response id, or a hash of
    # submitted-at + email + title.
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    chosen_techniques: Mapped[list[Any]] = mapped_column(JSON, default=list)
    organisation_code: Mapped[str | None] = mapped_column(String(20))
    organisation_text: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    consent: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # cli | form | web
    status: Mapped[str] = mapped_column(String(24), default="submitted")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    techniques: Mapped[list[StoryTechnique]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class StoryTechnique(Base):
    __tablename__ = "story_techniques"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    technique: Mapped[str] = mapped_column(String(120), primary_key=True)


class StoryEvent(Base):
    """One step of a story's review trail. Kept (without personal data) after deletion."""

    __tablename__ = "story_events"
    __table_args__ = (Index("ix_story_events_story_id", "story_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(Integer)  # no FK: the trail outlives the story
    action: Mapped[str] = mapped_column(String(32))
    reviewer: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the version an edit replaced


class Run(Base):
    """One collection or import run, as the run log shows it."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    source: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")  # ok|partial|failed|running
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    posts_read: Mapped[int] = mapped_column(Integer, default=0)
    estimated_cost: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    # Extra facts: warnings, the time window a run covered (for `runs --gaps`), files imported.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CollectorState(Base):
    """Where a source's next run starts: newest id or cursor per (campaign, source, key)."""

    __tablename__ = "collector_state"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A coordinator who can sign in to the web app."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ForgottenAccount(Base):
    """An account erased with `knowvember forget`, so no later run stores it again.

    Holds no personal data: only SHA-256 digests of platform + account key and platform +
    handle (see `knowvember.privacy.digest`), which a writer can match but nobody can read.
    """

    __tablename__ = "forgotten_accounts"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # key | handle
    forgotten_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

"""Attributing accounts (config > manual > auto), the unmatched queue, and re-tagging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from knowvember.attribution import (
    AUTO,
    CONFIG,
    MANUAL,
    UNASSIGNED,
    assign_account,
    attribute_accounts,
    find_account,
    unassign_account,
    unmatched_accounts,
)
from knowvember.config import parse_settings
from knowvember.errors import ConflictError, InputError, NotFoundError
from knowvember.hashtags import CampaignTags
from knowvember.models import Account, Organisation, PostTechnique, Story, StoryTechnique
from knowvember.organisations import Catalogue
from knowvember.records import AccountRecord, PostRecord
from knowvember.retag import retag
from knowvember.store import PostWriter
from knowvember.techniques import Taxonomy
from tests.conftest import BASE_CONFIG

accounts_t = Account.__table__

PROFILES = {
    "1": ("@uhllibraries", "UHL Libraries", "Library & Knowledge Service at UHL, Leicester"),
    "2": ("@lthtlibraries", "LTHT Libraries", "Knowledge and Library Services, Leeds Teaching "
                                              "Hospitals"),
    "3": ("@generic_lib", "Health librarian", "Library and Knowledge Service. Views my own."),
    "4": ("@twotrusts", "Jo", "Librarian for Leeds Teaching Hospitals and Bradford Teaching "
                             "Hospitals"),
    "5": ("@salfordlib", "Salford Royal Library", "Evidence for Salford Royal staff"),
    "6": ("@leicester_fan", "Sam", "University of Leicester library. Leicester City fan."),
}


def _records(keys: Sequence[str], posts_each: dict[str, int] | None = None, *,
             bios: dict[str, str] | None = None) -> tuple[list[PostRecord], list[AccountRecord]]:
    accounts, posts = [], []
    for key in keys:
        handle, name, bio = PROFILES[key]
        accounts.append(AccountRecord(platform="x", key=key, handle=handle, display_name=name,
                                      bio=(bios or {}).get(key, bio), followers=100))
        for n in range((posts_each or {}).get(key, 1)):
            posts.append(PostRecord(
                platform="x", platform_id=f"{key}-{n}", account_key=key,
                created_at=dt.datetime(2019, 11, 5, 9, n, tzinfo=dt.UTC),
                text=f"Our #KNOWvember19 Peer Assist number {n}", hashtags=("knowvember19",),
            ))
    return posts, accounts


def _store(db, keys: Sequence[str], posts_each: dict[str, int] | None = None, **kw):  # type: ignore[no-untyped-def]
    posts, accounts = _records(keys, posts_each, **kw)
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test",
                        tagger=Taxonomy.load().tag)
    writer.write(posts, accounts)
    return writer


def _attribution(db) -> dict[str, tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        rows = conn.execute(sa.select(accounts_t.c.handle, accounts_t.c.organisation_code,
                                      accounts_t.c.attribution)).all()
    return {r.handle: (r.organisation_code, r.attribution) for r in rows}


def _settings(extra: str = ""):  # type: ignore[no-untyped-def]
    return parse_settings(BASE_CONFIG + "\n" + extra)


def test_automatic_attribution_applies_only_confident_matches(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, list(PROFILES))
    summary = attribute_accounts(db, settings)
    assert (summary.checked, summary.auto, summary.queued, summary.by_config) == (6, 3, 3, 0)
    assert _attribution(db) == {
        "@uhllibraries": ("RWE", AUTO), "@lthtlibraries": ("RR8", AUTO),
        "@generic_lib": (None, None), "@twotrusts": (None, None),
        "@salfordlib": ("RM3", AUTO), "@leicester_fan": (None, None),
    }
    with db.begin() as conn:
        confidence = conn.execute(sa.select(accounts_t.c.attribution_confidence)
                                  .where(accounts_t.c.handle == "@uhllibraries")).scalar()
        orgs = conn.execute(sa.select(sa.func.count()).select_from(Organisation.__table__)
                            ).scalar()
    assert 0.8 <= confidence <= 1.0
    assert orgs == len(Catalogue.load())  # the organisations table is synced first


def test_a_national_team_named_in_generic_words_blocks_no_trust(db) -> None:  # type: ignore[no-untyped-def]
    # The sample's national team: its name is only words every library bio has, so it must
    # not stop "Knowledge and Library Services, Leeds Teaching Hospitals" being Leeds.
    settings = _settings('[[organisations]]\ncode = "NHSE-KLS"\n'
                         'name = "NHS England Knowledge and Library Services"\n'
                         'region = "National"\n')
    _store(db, list(PROFILES), bios={
        "5": "Library & Knowledge Service, Salford Royal. Proud partner of NHS England "
             "Knowledge and Library Services",
        "6": "Knowledge specialist, NHS England Knowledge and Library Services",
    })
    summary = attribute_accounts(db, settings)
    assert (summary.auto, summary.queued) == (4, 2)
    assert _attribution(db) == {
        "@uhllibraries": ("RWE", AUTO), "@lthtlibraries": ("RR8", AUTO),
        "@generic_lib": (None, None), "@twotrusts": (None, None),
        "@salfordlib": ("RM3", AUTO), "@leicester_fan": ("NHSE-KLS", AUTO),
    }
    queued = unmatched_accounts(db, Catalogue.load(settings))
    assert {u.account.handle: [s.code for s in u.suggestions] for u in queued}[
        "@generic_lib"] == []


def test_unchanged_profiles_are_not_matched_again(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1", "3"])
    attribute_accounts(db, settings)
    again = attribute_accounts(db, settings)
    assert (again.unchanged, again.updated, again.auto, again.queued) == (2, 0, 1, 1)
    forced = attribute_accounts(db, settings, force=True)
    assert (forced.unchanged, forced.updated) == (0, 0)
    # The generic profile now names a trust: matched again, attributed.
    writer = _store(db, ["3"], bios={"3": "Library and Knowledge Service, Alder Hey"})
    changed = attribute_accounts(db, settings, sorted(writer.changed_account_ids))
    assert (changed.checked, changed.auto, changed.updated) == (1, 1, 1)
    assert _attribution(db)["@generic_lib"] == ("RBS", AUTO)
    # ...and a bio that no longer names one clears the automatic attribution.
    writer = _store(db, ["3"], bios={"3": "Retired. Gardening."})
    attribute_accounts(db, settings, sorted(writer.changed_account_ids))
    assert _attribution(db)["@generic_lib"] == (None, None)


def test_config_mapping_beats_manual_and_auto(db) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1", "3"])
    plain = _settings()
    attribute_accounts(db, plain)
    assign_account(db, Catalogue.load(plain), "x:@generic_lib", "RR8")
    mapped = _settings('[[organisations]]\ncode = "UNI-LIB"\nname = "Uni library"\n'
                       'accounts = ["x:@UHLLibraries", "x:@generic_lib"]\n')
    summary = attribute_accounts(db, mapped)
    assert summary.by_config == 2
    assert _attribution(db) == {"@uhllibraries": ("UNI-LIB", CONFIG),
                                "@generic_lib": ("UNI-LIB", CONFIG)}
    catalogue = Catalogue.load(mapped)
    with pytest.raises(ConflictError, match=r"mapped to UNI-LIB in campaign\.toml"):
        assign_account(db, catalogue, "x:@uhllibraries", "RWE")
    with pytest.raises(ConflictError, match="to unassign it"):
        unassign_account(db, catalogue, "x:@uhllibraries")
    # The mapping removed: automatic matching takes over again.
    attribute_accounts(db, plain)
    assert _attribution(db)["@uhllibraries"] == ("RWE", AUTO)


def test_manual_assignment_is_kept_over_automatic_matching(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1"])
    attribute_accounts(db, settings)
    catalogue = Catalogue.load(settings)
    account = assign_account(db, catalogue, "x:@UHLLibraries", "rt5")
    assert (account.organisation_code, account.attribution) == ("RT5", MANUAL)
    writer = _store(db, ["1"], bios={"1": "Library at University Hospitals of Leicester NHS "
                                          "Trust, still"})
    summary = attribute_accounts(db, settings, sorted(writer.changed_account_ids))
    assert summary.manual == 1
    assert _attribution(db)["@uhllibraries"] == ("RT5", MANUAL)


def test_unassign_stays_unattributed_unless_handed_back(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1"])
    attribute_accounts(db, settings)
    catalogue = Catalogue.load(settings)
    account = unassign_account(db, catalogue, "x:@uhllibraries")
    assert (account.organisation_code, account.attribution) == (None, UNASSIGNED)
    attribute_accounts(db, settings, force=True)
    assert _attribution(db)["@uhllibraries"] == (None, UNASSIGNED)
    assert unmatched_accounts(db, catalogue) == []
    assert [u.account.ref for u in unmatched_accounts(db, catalogue, include_unassigned=True)
            ] == ["x:@uhllibraries"]
    back = unassign_account(db, catalogue, "x:@uhllibraries", automatic_again=True)
    assert (back.organisation_code, back.attribution) == ("RWE", AUTO)


def test_assign_errors(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1"])
    catalogue = Catalogue.load(settings)
    with pytest.raises(NotFoundError, match="no organisation with code 'XYZ'"):
        assign_account(db, catalogue, "x:@uhllibraries", "XYZ")
    with pytest.raises(NotFoundError, match="no account x:@nobody"):
        assign_account(db, catalogue, "x:@nobody", "RWE")
    with pytest.raises(InputError, match="not platform:handle"):
        find_account(db, "uhllibraries")
    with pytest.raises(InputError, match="unknown platform"):
        find_account(db, "myspace:@someone")


def test_unmatched_lists_active_accounts_most_posts_first(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db, list(PROFILES), {"3": 2, "4": 5, "6": 1})
    catalogue = Catalogue.load(settings)
    attribute_accounts(db, settings, catalogue=catalogue)
    found = unmatched_accounts(db, catalogue)
    assert [(u.account.ref, u.posts) for u in found] == [
        ("x:@twotrusts", 5), ("x:@generic_lib", 2), ("x:@leicester_fan", 1)]
    two = found[0].to_json()
    assert {s["code"] for s in two["suggestions"][:2]} == {"RR8", "RAE"}
    assert not any(s["auto"] for s in two["suggestions"])
    assert found[2].suggestions[0].code == "RWE"
    assert found[1].suggestions == []
    assert [u.account.handle for u in unmatched_accounts(db, catalogue, limit=1)] == [
        "@twotrusts"]
    skipped = unmatched_accounts(db, catalogue, exclude={("x", "@twotrusts")})
    assert [u.account.handle for u in skipped] == ["@generic_lib", "@leicester_fan"]


def test_retag_rebuilds_post_and_story_techniques(db) -> None:  # type: ignore[no-untyped-def]
    _store(db, ["1", "2"], {"1": 3, "2": 2})
    stories = Story.__table__
    with db.begin() as conn:
        conn.execute(stories.insert().values(
            campaign_id=db.campaign_id, title="How we ran AARs for F1 doctors",
            body="We also held a knowledge café and a peer consult.", outcome=None,
            chosen_techniques=["Randomised Coffee Trials", "Other: a walk"], consent=True,
            source="cli", status="submitted", links=[],
            submitted_at=dt.datetime(2019, 11, 6, tzinfo=dt.UTC),
            updated_at=dt.datetime(2019, 11, 6, tzinfo=dt.UTC),
        ))
    custom = Taxonomy.load(_settings(
        '[techniques]\nsynonyms = { "Peer Assist" = ["peer consult"] }\n'
        '[[techniques.custom]]\nname = "Number Talk"\nphase = ["during"]\n'
        'synonyms = ["number 1"]\n'))
    summary = retag(db, custom, batch_size=2)
    assert (summary.posts, summary.stories) == (5, 1)
    with db.begin() as conn:
        post_tags = conn.execute(sa.select(PostTechnique.__table__.c.technique,
                                           sa.func.count()).group_by("technique")).all()
        story_tags = conn.execute(sa.select(StoryTechnique.__table__.c.technique)).scalars()
        story_tags = sorted(story_tags)
    assert dict(post_tags) == {"Peer Assist": 5, "Number Talk": 2}
    assert summary.post_tags_added == 2 and summary.post_tags_removed == 0
    assert story_tags == ["After Action Review", "Knowledge Café", "Other: a walk",
                          "Peer Assist", "Randomised Coffee Trial"]
    again = retag(db, custom)
    assert (again.posts_changed, again.stories_changed) == (0, 0)
    back = retag(db, Taxonomy.load())
    assert (back.post_tags_removed, back.story_tags_removed) == (2, 1)

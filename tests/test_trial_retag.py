"""Stale technique tags: which taxonomy made the stored tags, and saying when it is not ours.

A coordinator who edits `[techniques]` in campaign.toml, or upgrades to a release with better
rules, has posts stored with the old tags until `knowvember techniques retag`; the summary,
leaderboard, report and `techniques list` say so once on stderr (stdout is unchanged). The
taxonomy's fingerprint is what is compared, so it must change with every rule table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from knowvember import retag as retag_module
from knowvember import techniques as techniques_module
from knowvember.config import load_settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord
from knowvember.retag import (
    MIXED,
    RETAG_COMMAND,
    STATE_KEY,
    STATE_SOURCE,
    note_tagging,
    recorded_fingerprint,
    retag,
    stale_tags_warning,
)
from knowvember.store import PostWriter, load_state
from knowvember.techniques import BUILTIN, Taxonomy, Technique
from tests.conftest import BASE_CONFIG

EXTRA_SYNONYM = '[techniques.synonyms]\n"Peer Assist" = ["peer support huddle"]\n'

# -- the fingerprint covers every rule table ------------------------------------------------

# Module-level names that are not rules for tagging text.
NOT_RULES = {"PHASES", "BUILTIN", "RULES_REVISION", "_RULE_TABLES", "TYPE_CHECKING"}


def _module_tables() -> list[str]:
    """Every module-level constant of techniques.py that tagging could read."""
    kinds = (tuple, list, dict, set, frozenset, str, re.Pattern)
    return sorted(
        name for name, value in vars(techniques_module).items()
        if re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) and isinstance(value, kinds)
        and name not in NOT_RULES
    )


def _changed(value: Any) -> Any:
    """`value` with one more entry (or one more character): a different rule."""
    if isinstance(value, re.Pattern):
        return re.compile(value.pattern + "|zzqx", value.flags)
    if isinstance(value, str):
        return value + "(?!zzqx)"
    if isinstance(value, frozenset | set):
        return type(value)({*value, "zzqx"})
    if isinstance(value, dict):
        return {**value, "Zzqx": [("zzqx", "zzqx")]}
    return (*value, "zzqx")


def test_every_module_rule_table_is_fingerprinted() -> None:
    """A rule table added to techniques.py and left out of _RULE_TABLES fails here."""
    assert _module_tables() == sorted(techniques_module._RULE_TABLES)


@pytest.mark.parametrize("name", techniques_module._RULE_TABLES)
def test_a_change_to_any_rule_table_changes_the_fingerprint(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Taxonomy.load().fingerprint()
    monkeypatch.setattr(techniques_module, name, _changed(getattr(techniques_module, name)))
    assert Taxonomy.load().fingerprint() != before, name


def test_english_words_change_the_fingerprint_and_the_tags(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table the old fingerprint left out: it decides whether `#aar` is a technique."""
    text = "Our #aar after the flood drill"
    before = (Taxonomy.load().fingerprint(), Taxonomy.load().tag(text))
    monkeypatch.setattr(techniques_module, "_ENGLISH_WORDS",
                        techniques_module._ENGLISH_WORDS | {"aar"})
    after = (Taxonomy.load().fingerprint(), Taxonomy.load().tag(text))
    assert before[1] == ["After Action Review"] and after[1] == []
    assert after[0] != before[0]


@pytest.mark.parametrize("field", ["name", "synonyms", "abbreviations", "abbreviation_vetoes"])
def test_a_change_to_a_builtin_technique_changes_the_fingerprint(field: str) -> None:
    first = BUILTIN[0]
    value = getattr(first, field)
    changed = value + " x" if isinstance(value, str) else (*value, "zzqx")
    edited = Technique(**{**first.__dict__, field: changed})
    assert (Taxonomy([edited, *BUILTIN[1:]]).fingerprint()
            != Taxonomy(list(BUILTIN)).fingerprint())


def test_config_synonyms_change_the_fingerprint_and_phases_do_not(campaign_dir: Path) -> None:
    path = campaign_dir / "campaign.toml"
    plain = Taxonomy.load(parse_settings(BASE_CONFIG, path)).fingerprint()
    assert Taxonomy.load().fingerprint() == plain
    assert Taxonomy.load(parse_settings(BASE_CONFIG + EXTRA_SYNONYM, path)).fingerprint() != plain
    # Phases are looked up when counting, not stored with a tag: no retag needed.
    moved = [Technique(**{**t.__dict__, "phases": ("after",)}) for t in BUILTIN]
    assert Taxonomy(moved).fingerprint() == Taxonomy(list(BUILTIN)).fingerprint()


def test_fingerprint_is_the_same_in_every_process() -> None:
    """A set's order follows PYTHONHASHSEED; the compiled pattern used to follow it too."""
    code = "from knowvember.techniques import Taxonomy; print(Taxonomy.load().fingerprint())"
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        seen.add(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                capture_output=True, text=True).stdout.strip())
    assert seen == {Taxonomy.load().fingerprint()}


# The matching code's source at each RULES_REVISION. A change to it that can tag text
# differently must bump RULES_REVISION (stored tags are then reported stale); a change that
# cannot (a comment) may keep it. Either way, add the new source's hash here.
MATCHING_CODE = {1: "518711a5572e0ad6", 2: "ca03e533caade858", 3: "b87055fd7cc4cfcf"}


def test_a_change_to_the_matching_code_is_a_new_rules_revision() -> None:
    """Code that the fingerprint's tables and compiled patterns do not show."""
    import hashlib
    import inspect

    t = techniques_module
    code = [t.Taxonomy.tag, t._Compiled.inside, t._Compiled.which, t.fold_accents,
            t.without_mentions_and_links, t._blank, t._blank_mention, t.split_camel_hashtag,
            t.Taxonomy.get, t.Taxonomy.__init__, t.story_techniques, t._negated,
            t._other_sense, t._shouted_word]
    digest = hashlib.sha256("".join(inspect.getsource(f) for f in code).encode())
    assert MATCHING_CODE.get(t.RULES_REVISION) == digest.hexdigest()[:16], (
        "the matching code changed: bump RULES_REVISION in knowvember/techniques.py if it "
        f"can tag text differently, and add {digest.hexdigest()[:16]!r} to MATCHING_CODE")


# -- what is recorded ------------------------------------------------------------------


def _write_posts(db: Database, taxonomy: Taxonomy, start: int = 0, count: int = 2) -> None:
    """Posts as an import writes them: tagged by `taxonomy`, after `note_tagging`."""
    account = AccountRecord(platform="x", key="1", handle="@uhllibraries",
                            display_name="UHL Libraries", bio="Library at UHL")
    posts = [
        PostRecord(platform="x", platform_id=str(n), account_key="1",
                   created_at=dt.datetime(2019, 11, 4, 10, n, tzinfo=dt.UTC),
                   text="A #KNOWvember19 peer support huddle and a Knowledge Café",
                   hashtags=("knowvember19",))
        for n in range(start, start + count)
    ]
    note_tagging(db, taxonomy)
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test",
               tagger=taxonomy.tag).write(posts, [account])


def test_first_writer_of_an_empty_campaign_records_its_taxonomy(db: Database) -> None:
    taxonomy = Taxonomy.load()
    assert stale_tags_warning(db, taxonomy) is None  # nothing stored, nothing stale
    _write_posts(db, taxonomy)
    assert recorded_fingerprint(db) == taxonomy.fingerprint()
    assert stale_tags_warning(db, taxonomy) is None


def test_a_writer_with_other_rules_marks_the_tags_mixed_until_a_retag(
    db: Database, campaign_dir: Path
) -> None:
    old = Taxonomy.load()
    new = Taxonomy.load(parse_settings(BASE_CONFIG + EXTRA_SYNONYM,
                                       campaign_dir / "campaign.toml"))
    _write_posts(db, old)
    assert stale_tags_warning(db, new) is not None  # the config was edited
    _write_posts(db, new, start=10)  # collection with the edited config
    assert recorded_fingerprint(db) == MIXED
    # Going back to the old config does not hide the new posts' tags.
    warning = stale_tags_warning(db, old)
    assert warning is not None and "more than one" in warning and RETAG_COMMAND in warning
    summary = retag(db, new)
    assert summary.post_tags_added == 2  # the first two posts gain Peer Assist
    assert recorded_fingerprint(db) == new.fingerprint()
    assert stale_tags_warning(db, new) is None
    assert stale_tags_warning(db, old) is not None


def _write_unrecorded(db: Database, taxonomy: Taxonomy, text: str = "#KNOWvember19 Peer Assist"
                      ) -> None:
    """A post as an earlier release stored it: tagged, with no record of the rules."""
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test", tagger=taxonomy.tag).write(
        [PostRecord(platform="x", platform_id="1", account_key="1",
                    created_at=dt.datetime(2019, 11, 4, tzinfo=dt.UTC),
                    text=text, hashtags=("knowvember19",))],
        [AccountRecord(platform="x", key="1", handle="@a")])


def test_unrecorded_tags_that_agree_are_recorded_without_a_warning(db: Database) -> None:
    taxonomy = Taxonomy.load()
    _write_unrecorded(db, taxonomy)
    note_tagging(db, taxonomy)  # an import now: it cannot vouch for the older posts
    assert recorded_fingerprint(db) is None
    assert stale_tags_warning(db, taxonomy) is None  # checked by tagging again
    assert recorded_fingerprint(db) == taxonomy.fingerprint()


def test_unrecorded_tags_that_differ_are_stale(db: Database, campaign_dir: Path) -> None:
    """Posts tagged by an earlier release's rules (here: without a synonym now in use)."""
    _write_unrecorded(db, Taxonomy.load(), "#KNOWvember19 a peer support huddle")
    new = Taxonomy.load(parse_settings(BASE_CONFIG + EXTRA_SYNONYM,
                                       campaign_dir / "campaign.toml"))
    warning = stale_tags_warning(db, new)
    assert warning is not None and "other technique rules" in warning
    assert recorded_fingerprint(db) is None  # still unrecorded: checked again next time
    retag(db, new)
    assert stale_tags_warning(db, new) is None


def test_unrecorded_tags_of_a_large_campaign_may_be_stale(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over VERIFY_LIMIT posts the check does not read them all on every summary."""
    taxonomy = Taxonomy.load()
    _write_unrecorded(db, taxonomy)
    monkeypatch.setattr(retag_module, "VERIFY_LIMIT", 0)
    warning = stale_tags_warning(db, taxonomy)
    assert warning is not None and "before knowvember recorded" in warning
    retag(db, taxonomy)
    assert stale_tags_warning(db, taxonomy) is None


def test_tags_agree_reads_only_its_own_campaign(campaign_dir: Path) -> None:
    path = campaign_dir / "campaign.toml"
    other = BASE_CONFIG.replace('slug = "knowvember19"', 'slug = "knowvember20"')
    first = open_database(parse_settings(BASE_CONFIG, path))
    second = open_database(parse_settings(other, path))
    _write_unrecorded(second, Taxonomy.load(), "#KNOWvember19 a peer support huddle")
    new = Taxonomy.load(parse_settings(BASE_CONFIG + EXTRA_SYNONYM, path))
    _write_posts(first, new)
    assert retag_module.tags_agree(first, new) is True
    assert retag_module.tags_agree(second, new) is False
    first.dispose()
    second.dispose()


def test_retag_records_every_campaign_in_the_database(campaign_dir: Path) -> None:
    """retag covers the whole database, so every campaign's record is its taxonomy."""
    path = campaign_dir / "campaign.toml"
    other = BASE_CONFIG.replace('slug = "knowvember19"', 'slug = "knowvember20"')
    first = open_database(parse_settings(BASE_CONFIG, path))
    second = open_database(parse_settings(other, path))
    taxonomy = Taxonomy.load()
    retag(first, taxonomy)
    for db in (first, second):
        assert load_state(db, STATE_SOURCE) == {STATE_KEY: taxonomy.fingerprint()}
        db.dispose()


# -- the commands ----------------------------------------------------------------------


def _stored(campaign_dir: Path, extra: str = "", *, note: bool = True) -> None:
    """Posts in the test campaign's database, tagged with BASE_CONFIG + `extra`'s rules;
    without `note`, as an earlier release stored them (no record)."""
    settings = load_settings(campaign_dir / "campaign.toml")
    db = open_database(settings)
    taxonomy = Taxonomy.load(parse_settings(BASE_CONFIG + extra, settings.path))
    if note:
        _write_posts(db, taxonomy)
    else:
        _write_unrecorded(db, taxonomy, "#KNOWvember19 a peer support huddle")
    db.dispose()


REPORTING = [
    ("summary", "--format", "json"),
    ("leaderboard", "--format", "json"),
    ("techniques", "list", "--format", "json"),
]


def _warnings(result: Any) -> list[str]:
    assert result.exit_code == 0, result.stdout + result.stderr
    return [line for line in result.stderr.splitlines() if RETAG_COMMAND in line]


@pytest.mark.parametrize("args", REPORTING)
def test_no_warning_on_a_fresh_database(args: tuple[str, ...], campaign_dir: Path,
                                        cli: Any) -> None:
    assert cli("db", "upgrade").exit_code == 0
    assert _warnings(cli(*args)) == []


@pytest.mark.parametrize("args", REPORTING)
def test_warned_once_after_config_change_and_not_after_retag(
    args: tuple[str, ...], campaign_dir: Path, cli: Any, write_config: Any
) -> None:
    _stored(campaign_dir)
    assert _warnings(cli(*args)) == []
    write_config(EXTRA_SYNONYM)  # the coordinator adds a synonym
    result = cli(*args)
    warnings = _warnings(result)
    assert len(warnings) == 1 and warnings[0].startswith("Warning: ")
    json.loads(result.stdout)  # stdout is still the JSON alone
    assert cli("techniques", "retag").exit_code == 0
    assert _warnings(cli(*args)) == []


def test_summary_json_is_the_same_with_the_warning(
    campaign_dir: Path, cli: Any, write_config: Any
) -> None:
    """An earlier release's database whose tags are stale: warned, JSON keys unchanged."""
    _stored(campaign_dir, note=False)
    write_config(EXTRA_SYNONYM)  # the new rules tag "peer support huddle"
    stale = cli("summary", "--format", "json")
    assert len(_warnings(stale)) == 1
    assert cli("techniques", "retag").exit_code == 0
    fresh = cli("summary", "--format", "json")
    assert _warnings(fresh) == []
    before, after = json.loads(stale.stdout), json.loads(fresh.stdout)
    assert list(before) == list(after)
    assert before["techniques"]["Peer Assist"] == 0 and after["techniques"]["Peer Assist"] == 1


def test_report_warns(campaign_dir: Path, cli: Any) -> None:
    _stored(campaign_dir, EXTRA_SYNONYM)
    result = cli("report", "--out", str(campaign_dir / "out"), "--format", "md")
    assert len(_warnings(result)) == 1
    assert (campaign_dir / "out" / "report.md").is_file()


def test_techniques_list_does_not_create_a_database(campaign_dir: Path, cli: Any) -> None:
    result = cli("techniques", "list", "--format", "json")
    assert _warnings(result) == []
    assert not (campaign_dir / "knowvember.db").exists()


def test_the_warning_survives_quiet(campaign_dir: Path, cli: Any) -> None:
    _stored(campaign_dir, EXTRA_SYNONYM)
    assert len(_warnings(cli("-q", "summary", "--format", "json"))) == 1


def test_a_new_campaign_imported_is_not_warned_until_its_rules_change(
    campaign_dir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The importer records the rules it tagged with, so no summary has to check the tags
    again, however large the campaign (checking is only for databases older than that)."""
    monkeypatch.setattr(retag_module, "VERIFY_LIMIT", 0)
    sample = campaign_dir / "sample"
    assert cli("sample", "--out", str(sample), "--posts", "60").exit_code == 0
    config = sample / "campaign.toml"
    posts = sample / "x_search.jsonl"
    assert cli("--config", str(config), "import", "twarc2", str(posts)).exit_code == 0
    summary = ("--config", str(config), "summary", "--format", "json")
    result = cli(*summary)
    assert _warnings(result) == [] and json.loads(result.stdout)["posts"] > 0
    config.write_text(config.read_text(encoding="utf-8") + "\n" + EXTRA_SYNONYM,
                      encoding="utf-8")
    assert len(_warnings(cli(*summary))) == 1


def test_stories_first_then_a_large_import_is_not_warned(
    campaign_dir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story submitted before any post records the rules too: the import after it is
    then known to use the same ones, and a campaign too large to check is not warned."""
    monkeypatch.setattr(retag_module, "VERIFY_LIMIT", 0)
    sample = campaign_dir / "sample"
    assert cli("sample", "--out", str(sample), "--posts", "60").exit_code == 0
    config = ("--config", str(sample / "campaign.toml"))
    assert cli(*config, "stories", "submit", "--title", "Our first Peer Assist", "--body",
               "We ran a Peer Assist.", "--technique", "Peer Assist", "--name", "Ann",
               "--email", "ann@nhs.net", "--consent", "--no-interactive").exit_code == 0
    assert cli(*config, "import", "twarc2", str(sample / "x_search.jsonl")).exit_code == 0
    result = cli(*config, "summary", "--format", "json")
    assert _warnings(result) == [] and json.loads(result.stdout)["stories_submitted"] == 1

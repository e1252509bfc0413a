"""Story form exports (Microsoft Forms, Google Forms) as CSV or XLSX -> new stories.

Column headers map to story fields through `[stories.form_columns]` (field -> header); any
field left out falls back to the usual headers (`DEFAULT_COLUMNS`). Every row is validated
with the same rules as `stories submit`; a bad row is reported with its row number (as a
spreadsheet shows it: the header is row 1) and the good rows are imported together, in one
transaction. Re-importing an export adds nothing: each row has a key (the form's response
id, or its submitted-at + email + title) that is stored with the story. A response the
respondent changed after it was imported is named in a warning and not re-applied, except
a withdrawal of consent, which is applied at once; a response without an id whose time
moved (an edit, in Google Forms) is matched to its story by email and title.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.archive import starts_like_json
from knowvember.config import STORY_FIELDS
from knowvember.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    ConflictError,
    InputError,
    KnowvemberError,
    excerpt,
    quoted,
)
from knowvember.stories import (
    CHANGES_REQUESTED,
    HASHED_KEY,
    REJECTED,
    REQUIRED_FIELDS,
    Lookups,
    NewStory,
    StoryInput,
    StoryRecord,
    StoryValidationError,
    add_stories,
    edit_story,
    email_key,
    erased_respondents,
    first_version,
    list_stories,
    resolve_input,
    respondent_digest,
    snapshot,
    status_label,
    stories_keyed_for,
)

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx")
MAX_FORM_CHARS = 100  # a --form name: with the campaign and a row's id, a key of <= 200

# Headers tried, in order, for a field the config does not map: the field's own name, then
# what Microsoft Forms and Google Forms call it.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ID", "Response ID"),
    "submitted_at": ("submitted_at", "Completion time", "Timestamp", "Start time",
                     "Submitted at"),
    "email": ("email", "Email", "Email address", "Your email address"),
    "name": ("name", "Name", "Your name"),
    "role": ("role", "Role", "Job title", "Your role"),
    "title": ("title", "Title", "Story title"),
    "body": ("body", "What happened", "What happened?", "Story", "Your story"),
    "outcome": ("outcome", "Outcome", "Outcome / impact", "Outcome/impact", "Impact"),
    "techniques": ("techniques", "Techniques", "Technique(s) used", "Techniques used",
                   "Technique"),
    "organisation": ("organisation", "Organisation", "Organization", "Trust",
                     "Your organisation"),
    "links": ("links", "Links", "Link"),
    "consent": ("consent", "Consent", "Consent to publish"),
}
STORY_INPUT_FIELDS = ("title", "body", "outcome", "techniques", "organisation", "name",
                      "email", "role", "links", "consent")

_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_TZ_SUFFIX = re.compile(r"\s*(?:(GMT|UTC)([+-]\d{1,2}(?::?\d{2})?)?|BST)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


@dataclass
class FormExport:
    """A form export read and validated: stories ready to add, and the rows that failed."""

    path: Path
    format: str
    columns: dict[str, str]  # field -> the header it was read from
    rows: int = 0
    stories: list[NewStory] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Rows failing only for an unanswered consent, read as a no, with their errors: for a
    # response imported before, the withdrawal of its consent (`_unticked`).
    unanswered: list[tuple[NewStory, RowError]] = field(default_factory=list)


@dataclass
class FormImportResult:
    """What an import did, as `stories import --output json` prints it."""

    file: str
    format: str
    rows: int
    imported: int
    already_imported: int
    failed: int
    story_ids: list[int]
    errors: list[RowError]
    warnings: list[str]
    columns: dict[str, str]

    @property
    def status(self) -> str:
        if not self.failed:
            return "ok"
        return "failed" if not (self.imported or self.already_imported) else "partial"

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED}[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "format": self.format, "status": self.status,
            "rows": self.rows, "imported": self.imported,
            "already_imported": self.already_imported, "failed": self.failed,
            "story_ids": self.story_ids, "errors": [e.to_json() for e in self.errors],
            "warnings": self.warnings, "columns": self.columns,
        }


def import_form_export(
    db: Database,
    settings: Settings,
    path: Path,
    *,
    format: str | None = None,
    form: str | None = None,
    lookups: Lookups | None = None,
    any_dates: bool = False,
) -> FormImportResult:
    """Read a form export and add its new, valid rows as `form` stories.

    An export whose every response was sent far from the campaign's dates (last year's form
    imported into this year's campaign) is refused before anything is written, unless
    `any_dates`; a few such responses are named in a warning.
    """
    from sqlalchemy.exc import IntegrityError

    export = read_form_export(path, settings, format=format, form=form)
    dates_warnings = [] if any_dates else campaign_dates(path, settings, export.stories)
    lookups = lookups or Lookups.load(settings)
    edited = _edited_responses(db, settings, export.stories, form, lookups)
    edited.update(_imported_under_another_name(db, settings, export.stories, edited, lookups))
    # The trail says which file and row each story came from: its `submitted` step is the
    # import's time, not the form's, and nothing else named the export.
    named = f" (form {form!r})" if form else ""
    to_add = [dataclasses.replace(s, note=f"imported from {path.name}, {s.label}{named}")
              for s in export.stories if id(s) not in edited]
    try:
        added = add_stories(db, settings, to_add, source="form", lookups=lookups)
    except IntegrityError as exc:
        raise KnowvemberError(
            f"{path}: another import of this form ran at the same time; nothing from this one "
            "was written (run it again: rows already imported are skipped)"
        ) from exc
    unticked = _unticked(db, settings, export, form, lookups)
    earlier = [(item, sid) for item, sid in added.existing if sid is not None]
    earlier += [(item, story.id) for item, story in edited.values() if story is not None]
    earlier += unticked
    warnings = [_already_there(item, match) for item, match in edited.values()]
    warnings += _compare_with_stored(db, settings, path, earlier, lookups)
    warnings += _resubmitted(db, settings, to_add, added, lookups)
    warnings += _waiting_for_changes(db, to_add, added, lookups)
    result = FormImportResult(
        file=str(path), format=export.format, rows=export.rows, imported=len(added.added),
        already_imported=len(added.existing) + len(edited) + len(unticked),
        failed=len(export.errors),
        story_ids=[s.id for s in added.added], errors=export.errors,
        warnings=export.warnings + dates_warnings + added.warnings + warnings,
        columns=export.columns,
    )
    log.debug("%s: %d rows, %d imported, %d already imported, %d failed", path, result.rows,
              result.imported, result.already_imported, result.failed)
    return result


def _unticked(db: Database, settings: Settings, export: FormExport, form: str | None,
              lookups: Lookups) -> list[tuple[NewStory, int]]:
    """Rows of responses imported before whose consent is now unanswered, with their
    stories' ids; their row errors are taken out of `export`.

    A consent asked as a tick box ("I agree to my story being published") and unticked
    when the respondent edited the response is an empty cell: the row was an error
    ("required: answer yes or no") and the story stayed published. No answer is never
    consent, so it is the withdrawal it looks like. A new response without an answer
    stays a row error.
    """
    if not export.unanswered:
        return []
    items = [item for item, _ in export.unanswered]
    stored = stories_keyed_for(db, f"form:{settings.campaign.slug}:",
                               [item.input.email for item in items], lookups=lookups)
    by_key = {story.external_key: story.id for story in stored}
    moved = _edited_responses(db, settings, items, form, lookups)
    found = []
    for item, error in export.unanswered:
        story_id = by_key.get(item.external_key)
        if story_id is None and (match := moved.get(id(item), (None, None))[1]) is not None:
            story_id = match.id
        if story_id is not None:
            export.errors.remove(error)
            found.append((item, story_id))
    return found


# How far from the campaign's dates a response may have been sent: a form opens in October
# and late stories come in over the winter.
BEFORE_CAMPAIGN = dt.timedelta(days=62)
AFTER_CAMPAIGN = dt.timedelta(days=92)
_NAMED_ROWS = 5


def campaign_dates(path: Path, settings: Settings, items: list[NewStory]) -> list[str]:
    """A warning naming the responses sent far outside the campaign's dates; InputError
    when every dated response was (the wrong year's export, or the wrong campaign.toml).

    Without this, last year's form imported into this year's folder put last year's stories
    in this year's queue, report and counts, and said "imported".
    """
    campaign = settings.campaign
    low, high = campaign.start - BEFORE_CAMPAIGN, campaign.end + AFTER_CAMPAIGN
    dated = [item for item in items if item.submitted_at is not None]
    outside = [item for item in dated
               if not low <= item.submitted_at.astimezone(campaign.tz).date() <= high]
    if not outside:
        return []
    days = sorted(item.submitted_at.astimezone(campaign.tz).date() for item in outside)
    sent = f"{days[0]}" + (f" to {days[-1]}" if days[-1] != days[0] else "")
    period = f"{campaign.name}, {campaign.start} to {campaign.end}"
    if len(outside) == len(dated):
        raise InputError(
            f"{path}: every response was sent outside the campaign ({period}): {sent}. Is it "
            "this campaign's form (and this campaign's campaign.toml)? Nothing was imported; "
            "to import it into this campaign all the same, add --any-dates")
    rows = ", ".join(item.label or "a row" for item in outside[:_NAMED_ROWS])
    more = f" and {len(outside) - _NAMED_ROWS} more" if len(outside) > _NAMED_ROWS else ""
    return [f"{path}: {rows}{more} sent outside the campaign ({period}): {sent}; check they "
            "belong to it (erase one with `knowvember stories delete ID --yes`)"]


def _new_stories(to_add: list[NewStory], added: Any) -> list[tuple[NewStory, Any]]:
    """The rows this import stored as new stories, each with its story (not those already
    imported before)."""
    skipped = {id(item) for item, _ in added.existing}
    return list(zip([item for item in to_add if id(item) not in skipped], added.added,
                    strict=False))


def _same_story(email: str | None, title: str, body: str) -> tuple[str, str, str]:
    """What makes two responses the same story sent twice: the respondent, the title and
    the text (line breaks as the form's export writes them aside)."""
    return email_key(email), title.strip(), _line_breaks(body).strip()


def _resubmitted(db: Database, settings: Settings, to_add: list[NewStory], added: Any,
                 lookups: Lookups) -> list[str]:
    """Warnings for new stories that repeat one already stored (or earlier in the file):
    the same email, title and text under another response id. A respondent who sends the
    form twice (a double click, or "did it go through?") made two stories in the queue,
    side by side with nothing to tell them apart; both are kept, and the coordinator told."""
    new = _new_stories(to_add, added)
    if not new:
        return []
    stored = stories_keyed_for(db, f"form:{settings.campaign.slug}:",
                               [story.email for _, story in new if story.email],
                               lookups=lookups)
    first: dict[tuple[str, str, str], int] = {}
    for story in sorted(stored, key=lambda s: s.id):
        if story.email:
            first.setdefault(_same_story(story.email, story.title, story.body), story.id)
    warnings = []
    for item, story in new:
        earlier = first.get(_same_story(item.input.email, item.input.title,
                                        item.input.body))
        if earlier is not None and earlier != story.id:
            warnings.append(
                f"{item.label or 'a row'}: the same email, title and story as story {earlier}"
                f", sent again under another response id: imported as story {story.id}, so "
                f"the queue has it twice; if it is a resubmission, erase the copy "
                f"(`knowvember stories delete {story.id} --yes`)")
    return warnings


def _waiting_for_changes(db: Database, to_add: list[NewStory], added: Any,
                         lookups: Lookups) -> list[str]:
    """Warnings for new stories whose respondent has an earlier story waiting for the changes
    a coordinator asked for: most likely those changes, sent as a new response (the form
    filled in again, or a Google Forms response edited with a new title, which no longer
    matches its story). It was imported as a story of its own without a word, and the story
    sent back waited for changes for ever. Both are kept (it may be another story), and the
    coordinator told how to join them.

    A story sent again unchanged (same title and text) is `_resubmitted`'s to name.
    """
    new = _new_stories(to_add, added)
    if not new:
        return []
    waiting: dict[str, list[StoryRecord]] = {}
    for story in list_stories(db, status=CHANGES_REQUESTED, lookups=lookups):
        if story.email:
            waiting.setdefault(email_key(story.email), []).append(story)
    warnings = []
    for item, story in new:
        again = _same_story(story.email, story.title, story.body)
        earlier = [s for s in waiting.get(email_key(story.email), []) if s.id < story.id
                   and _same_story(s.email, s.title, s.body) != again]
        if not earlier:
            continue
        first = earlier[0].id
        which = (f"story {first}" if len(earlier) == 1 else
                 "stories " + ", ".join(str(s.id) for s in earlier))
        warnings.append(
            f"{item.label or 'a row'}: imported as story {story.id}; its respondent's {which} "
            f"waits for the changes asked for. If story {story.id} is those changes (the form "
            f"sent again, or edited with a new title), copy them into story {first} "
            f"(`knowvember stories edit {first} ...`) and erase the copy (`knowvember stories "
            f"delete {story.id} --yes`)")
    return warnings


def _already_there(item: NewStory, match: StoryRecord | None) -> str:
    """Why a row under a new key is taken for a story already imported (not added)."""
    if match is None:
        return (f"{item.label}: looks like a response edited in the form after its story was "
                "erased on request; not imported again")
    if match.submitted_at == item.submitted_at:
        return (f"{item.label}: the same response (email, title and time) as story "
                f"{match.id}, imported before under another --form name (or none); not "
                "imported again. Import each form always with the same --form name")
    return (f"{item.label}: looks like story {match.id} edited in the form since it was "
            f"imported (same email and title, submitted {_when(match.submitted_at)}, now "
            f"{_when(item.submitted_at)}); not imported again")


def _imported_under_another_name(
    db: Database, settings: Settings, items: list[NewStory],
    edited: dict[int, tuple[NewStory, StoryRecord | None]], lookups: Lookups,
) -> dict[int, tuple[NewStory, StoryRecord]]:
    """Rows that are a response already imported from a form under another `--form` name
    (or none), keyed by `id(row)`: same email, title and submitted time, another key.

    A form's rows are keyed by its name, so the same export imported with and without
    `--form` came in twice, and the copy undid what the first had been through: a consent
    withdrawn, a rejection, an erasure's absence from the queue. Rows without a time are
    left alone (two responses can share an email and a title).
    """
    timed = [item for item in items if item.submitted_at is not None and item.external_key
             and id(item) not in edited]
    if not timed:
        return {}
    stored = stories_keyed_for(db, f"form:{settings.campaign.slug}:",
                               [item.input.email for item in timed], lookups=lookups)
    keys = {story.external_key for story in stored}
    by_response = {(email_key(story.email), story.title.strip(),
                    story.submitted_at): story for story in stored if story.email}
    found: dict[int, tuple[NewStory, StoryRecord]] = {}
    for item in timed:
        if item.external_key in keys:
            continue  # this very key: add_stories skips it as already imported
        match = by_response.get((email_key(item.input.email), item.input.title.strip(),
                                 item.submitted_at))
        if match is not None:
            found[id(item)] = (item, match)
    return found


# The editor the trail names when a form import applies a respondent's own change.
FORM_RESPONSE = "form response"
# What the import compares of a stored story with its row, as `snapshot` names them.
COMPARED = ("title", "body", "outcome", "chosen_techniques", "organisation_text", "name",
            "email", "role", "links", "consent")


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "at no time"


def _edited_responses(
    db: Database, settings: Settings, items: list[NewStory], form: str | None,
    lookups: Lookups,
) -> dict[int, tuple[NewStory, StoryRecord | None]]:
    """Rows keyed by time + email + title (no response id) that an earlier import stored
    under another time: the respondent edited the response, and Google Forms then writes
    the time of the edit. Matched by email and title (as first stored or as now), earlier
    in time, or to an erased story's tombstone (then None); keyed by `id(row)`. Without
    this, an edited response came in a second time, even after its story was erased."""
    prefix = f"form:{settings.campaign.slug}:" + (f"{form}:" if form else "") + HASHED_KEY
    hashed = [item for item in items if (item.external_key or "").startswith(prefix)]
    if not hashed:
        return {}
    stored = stories_keyed_for(db, prefix, [item.input.email for item in hashed],
                               lookups=lookups)
    keys = {story.external_key for story in stored}
    erased_keys, erased = erased_respondents(db)
    found: dict[int, tuple[NewStory, StoryRecord | None]] = {}
    taken: set[int] = set()
    for item in hashed:
        if item.external_key in keys or item.external_key in erased_keys:
            continue  # the same response, as it was imported (or erased)
        if respondent_digest(prefix, item.input.email, item.input.title) in erased:
            found[id(item)] = (item, None)
            continue
        for story in stored:
            titles = {story.title.strip(), str(first_version(story)["title"] or "").strip()}
            if (story.id not in taken and story.email
                    and email_key(story.email) == email_key(item.input.email)
                    and item.input.title.strip() in titles
                    and (item.submitted_at is None or item.submitted_at > story.submitted_at)):
                found[id(item)] = (item, story)
                taken.add(story.id)
                break
    return found


def _compare_with_stored(
    db: Database, settings: Settings, path: Path, earlier: list[tuple[NewStory, int]],
    lookups: Lookups,
) -> list[str]:
    """Warnings for rows the respondent changed after the story was imported, which are not
    re-applied, except a withdrawal of consent: that stops publication at once. A row
    under a known key with another email is another respondent's, and changes nothing.

    A field counts as changed when the row differs from the story as first stored and from
    the story now (a coordinator may have copied the change in already).
    """
    if not earlier:
        return []
    current = {s.id: s for s in list_stories(db, ids=[sid for _, sid in earlier],
                                             with_events=True, lookups=lookups)}
    warnings: list[str] = []
    for item, story_id in earlier:
        story = current.get(story_id)
        if story is None:
            continue
        row = _as_stored(item, lookups)
        now, first = snapshot(story), first_version(story)
        changed = [f for f in COMPARED
                   if not _same_value(row[f], first.get(f)) and not _same_value(row[f], now[f])
                   and not (f == "email" and email_key(row[f]) in (email_key(first.get(f)),
                                                                   email_key(now[f])))]
        if not changed:
            continue
        label = item.label or "a row"
        if "email" in changed:
            # Not the respondent's own edit (a form records who answered): most likely a
            # second form whose response ids 1, 2, 3... are the first one's. Nothing of it
            # may touch the story, its consent least of all.
            warnings.append(
                f"{label}: its response id was imported before, as story {story_id}, from "
                "another respondent: not imported. If this is another form, import it with "
                "a name of its own: `knowvember stories import FILE --form NAME`")
            continue
        # Consent withdrawn and nothing else changed is no answer to the changes asked for:
        # the story keeps waiting for them (`edit_story`), so it is said as a withdrawal.
        if story.status == CHANGES_REQUESTED and (changed != ["consent"] or row["consent"]):
            warnings.append(_apply_changes(db, settings, path, label, story, item, changed,
                                           lookups))
            continue
        if "consent" in changed and not row["consent"]:
            warnings.append(_withdraw(db, settings, path, label, story, lookups))
            changed.remove("consent")
            if not changed:
                continue
        warnings.append(
            f"{label}: changed in the form since it was imported as story {story_id} "
            f"({', '.join(_FIELD_NAMES.get(f, f) for f in changed)}); not re-applied: edit "
            f"the story (`knowvember stories edit {story_id} ...`) to take the change"
        )
    return warnings


_FIELD_NAMES = {"chosen_techniques": "techniques", "organisation_text": "organisation"}


def _apply_changes(
    db: Database, settings: Settings, path: Path, label: str, story: StoryRecord,
    item: NewStory, changed: list[str], lookups: Lookups,
) -> str:
    """A story sent back for changes, changed by its respondent in the form: the answer to
    the request. Applied as an edit, which puts the story back in the review queue, as
    `stories edit` does; what to tell the coordinator."""
    fields = [_FIELD_NAMES.get(f, f) for f in changed]
    data = item.input
    changes = {name: (list(value) if isinstance(value, tuple) else value)
               for name, value in data.as_dict().items() if name in fields}
    refused = _respondent_edit(db, settings, story, changes, lookups,
                               f"changes made in the form ({path.name[:120]}, {label})")
    if refused:
        return (f"{label}: the respondent changed story {story.id} in the form "
                f"({', '.join(fields)}), but it could not be applied ({refused}); edit the "
                f"story (`knowvember stories edit {story.id} ...`)")
    return (f"{label}: the respondent made changes in the form ({', '.join(fields)}), as "
            f"asked: story {story.id} is back in the review queue")


def _respondent_edit(db: Database, settings: Settings, story: StoryRecord,
                     changes: dict[str, Any], lookups: Lookups, note: str) -> str | None:
    """Apply what a respondent changed in the form as an edit by `form response`, in the
    story's trail with `note`; why it could not be applied, or None."""
    try:
        edit_story(db, settings, story.id, changes, editor=FORM_RESPONSE, note=note,
                   lookups=lookups)
    except (ConflictError, InputError) as exc:
        return str(exc)
    return None


def _withdraw(db: Database, settings: Settings, path: Path, label: str, story: StoryRecord,
              lookups: Lookups) -> str:
    """Apply a respondent's withdrawal of consent; what to tell the coordinator."""
    if story.status == REJECTED:
        return (f"{label}: the respondent withdrew consent to publish story {story.id} in "
                "the form; it is rejected, so it is not published anyway")
    refused = _respondent_edit(db, settings, story, {"consent": False}, lookups,
                               f"consent withdrawn in the form ({path.name[:120]}, {label})")
    if refused:
        return (f"{label}: the respondent withdrew consent to publish story {story.id} in "
                f"the form, but it could not be recorded ({refused}); run `knowvember "
                f"stories edit {story.id} --no-consent`")
    from knowvember.stories import APPROVED, report_hint

    hint = report_hint(settings) if story.status == APPROVED else ""
    return (f"{label}: the respondent withdrew consent to publish in the form: story "
            f"{story.id} is no longer published (consent set to no; it stays "
            f"{status_label(story.status)}){hint}")


def _as_stored(item: NewStory, lookups: Lookups) -> dict[str, Any]:
    """A row's story in `snapshot`'s shape, to compare with a stored story."""
    data = item.input
    chosen = resolve_input(data, lookups).chosen
    return {"title": data.title, "body": data.body, "outcome": data.outcome,
            "chosen_techniques": list(chosen), "organisation_text": data.organisation,
            "name": data.name, "email": data.email, "role": data.role,
            "links": list(data.links), "consent": data.consent}


def _same_value(a: Any, b: Any) -> bool:
    """Equal as stored: lists against lists, nothing against an empty value. Line breaks
    are compared as LF: stories imported before rows were read that way hold CRLF, or
    Excel's `_x000D_`, and that is no change made in the form."""
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return list(a or ()) == list(b or ())
    if isinstance(a, str) and isinstance(b, str):
        return _line_breaks(a) == _line_breaks(b)
    return (a or None) == (b or None) if not isinstance(a, bool) else a == bool(b)


def _line_breaks(text: str) -> str:
    return text.replace("_x000D_", "").replace("\r\n", "\n")


def read_form_export(
    path: Path, settings: Settings, *, format: str | None = None, form: str | None = None
) -> FormExport:
    """Parse and validate every row; raise InputError only for a file that cannot be used.

    A folder is said to be one before its name is asked for a format: it was "cannot tell
    the format from the name" (or, with --input-format, "no such file").
    """
    if form is not None and len(form) > MAX_FORM_CHARS:
        # The name is part of every row's key (200 characters at most in the database):
        # PostgreSQL refused the longer keys, and SQLite stored them unchecked.
        raise InputError(f"--form: a short name for the form, at most {MAX_FORM_CHARS} "
                         f"characters (this one has {len(form):,})")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file; give the form export's file "
                         "(.xlsx or .csv) inside it")
    if format is not None and format.lower() not in FORMATS:
        raise InputError(f"{path}: unknown format {format.lower()!r}; use csv or xlsx")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    fmt, member = content_format(path) or ((format or detect_format(path)).lower(), None)
    warnings: list[str] = []
    if fmt == "csv":
        table = _read_csv(path, warnings, member)
        header = _header(path, table)
        columns = map_columns(path, header, settings.stories.form_columns, warnings)
    else:
        table, header, columns = _responses_sheet(path, settings, warnings)
    raw_rows = [(n, cells) for n, cells in table if any(_present(c) for c in cells)]
    columns = prefer_answered(path, header, columns, settings.stories.form_columns,
                              [cells for _, cells in raw_rows])
    export = FormExport(path=path, format=fmt, columns={f: header[i] for f, i in
                                                        columns.items()}, warnings=warnings)
    export.rows = len(raw_rows)
    dayfirst = _dayfirst([cells[columns["submitted_at"]] for _, cells in raw_rows
                          if "submitted_at" in columns and columns["submitted_at"] < len(cells)],
                         (settings.campaign.start, settings.campaign.end))
    tz = settings.campaign.tz
    for number, cells in raw_rows:
        values = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
        try:
            export.stories.append(
                _story_from_row(values, number, settings, tz, dayfirst, form,
                                xlsx=fmt == "xlsx")
            )
        except StoryValidationError as exc:
            error = RowError(number, "; ".join(
                f"{k} ({export.columns.get(k, k)!s}): {v}" if k in export.columns else
                f"{k}: {v}" for k, v in exc.errors.items()))
            export.errors.append(error)
            if set(exc.errors) == {"consent"} and not _present(values.get("consent")):
                with contextlib.suppress(StoryValidationError, ValueError):
                    export.unanswered.append((_story_from_row(
                        {**values, "consent": False}, number, settings, tz, dayfirst, form,
                        xlsx=fmt == "xlsx"), error))
        except ValueError as exc:
            export.errors.append(RowError(number, str(exc)))
    return export


_ZIP = b"PK\x03\x04"  # an .xlsx is a zip
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # the Compound File header of an Excel 97-2003 .xls


def content_format(path: Path) -> tuple[str, str | None] | None:
    """The format the file's first bytes show, whatever its name says: ("xlsx", None) for a
    workbook, ("csv", member) for a ZIP holding one CSV file, None for text (then the name
    or --input-format decides).

    Excel saves what a coordinator downloaded under the name they type: a workbook named
    `.csv` was read as Windows-1252 text, and the import listed zip bytes as its columns.
    Google Forms' "Download responses (.csv)" gives a ZIP of the CSV. An Excel 97-2003
    workbook and an OpenDocument sheet cannot be read, and are refused saying how to save
    them.
    """
    try:
        with path.open("rb") as file:
            start = file.read(len(_OLE2))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if start == _OLE2:
        raise InputError(
            f"{path}: is an Excel 97-2003 workbook (.xls), which cannot be read: open it in "
            f"Excel and save it {_SAVE_AS}")
    if not start.startswith(_ZIP):
        return None
    return _zip_content(path)


_SAVE_AS = "as an Excel Workbook (.xlsx) or as CSV UTF-8 (.csv)"


def _zip_content(path: Path) -> tuple[str, str | None]:
    """What a ZIP file holds: a workbook, or one CSV file (`content_format`)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return "xlsx", None  # a damaged workbook: its reader says what is wrong
    if "[Content_Types].xml" in names:
        return "xlsx", None
    if b"opendocument" in mimetype:
        raise InputError(f"{path}: is an OpenDocument spreadsheet (.ods), which cannot be "
                         f"read: open it and save it {_SAVE_AS}")
    inside = [n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")]
    if len(inside) == 1:
        return "csv", inside[0]
    raise InputError(f"{path}: is a ZIP archive of {len(names)} file(s), not a form export: "
                     "unzip it and import the .xlsx or .csv file inside")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    raise InputError(f"{path}: cannot tell the format from the name; pass "
                     "--input-format csv|xlsx")


# Typographic marks a form or a word processor puts in a question, and what a person
# typing the same question into campaign.toml writes: "What’s your role?" (as the form shows
# it, curly) and "What's your role?" looked the same in the error listing the file's columns.
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
                              "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                              "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                              "\u2014": "-", "\u2212": "-", "\u2026": "..."})


def _norm(header: Any) -> str:
    """A header as it is matched: without case or any spacing (`What happened ?` is
    `What happened?`; forms add spaces, non-breaking ones too), curly quotes and dashes as
    the keyboard's, and without a closing colon (`Your name:`)."""
    text = unicodedata.normalize("NFKC", str(header or "").replace("\ufeff", ""))
    return "".join(text.translate(_TYPOGRAPHIC).split()).casefold().rstrip(":")


def _closest(wanted: str, header: list[str]) -> str:
    """", the closest is 'X'" for a mapped header not in the file, when one is close."""
    import difflib

    named = {_norm(name): str(name) for name in header if _norm(name)}
    close = difflib.get_close_matches(_norm(wanted), list(named), n=1, cutoff=0.75)
    return f" (the closest is {named[close[0]]!r})" if close else ""


_COLUMNS_SHOWN = 400  # characters of the file's header a message lists


def map_columns(
    path: Path, header: list[str], configured: dict[str, str], warnings: list[str]
) -> dict[str, int]:
    """Field -> column index, from the config's mapping first, then the default headers."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _norm(name)
        if key and key in positions:
            warnings.append(f"{path}: two columns are called {name!r}; the first is used")
        positions.setdefault(key, index)
    columns: dict[str, int] = {}
    problems = []
    for field_name in STORY_FIELDS:
        if field_name in configured:
            wanted = configured[field_name]
            if _norm(wanted) not in positions:
                problems.append(f"[stories.form_columns] {field_name} = {wanted!r}, but there "
                                f"is no such column{_closest(wanted, header)}")
                continue
            columns[field_name] = positions[_norm(wanted)]
            continue
        for candidate in DEFAULT_COLUMNS[field_name]:
            if _norm(candidate) in positions:
                columns[field_name] = positions[_norm(candidate)]
                break
    missing = [f for f in REQUIRED_FIELDS if f not in columns and f not in configured]
    if missing:
        problems.append(
            "no column for " + ", ".join(missing) + " (map each in campaign.toml, e.g. "
            f"[stories.form_columns] {missing[0]} = \"<the column's header>\")"
        )
    if problems:
        if header and starts_like_json(header[0]):
            raise InputError(f"{path}: this looks like a JSON file, not a form export; save "
                             "the form's responses as CSV or XLSX (posts saved from an API go "
                             "through `knowvember import`)")
        # Each header and the list cut short: a file of the wrong kind can have a "header" of
        # hundreds of KB, and the message should stay one line.
        shown = excerpt(", ".join(quoted(str(h)) for h in header if str(h or "").strip()),
                        _COLUMNS_SHOWN)
        raise InputError(f"{path}: " + "; ".join(problems) + f". The file's columns are: {shown}")
    return columns


ANONYMOUS = "anonymous"  # what Microsoft Forms writes as the Email of an anonymous response


def prefer_answered(
    path: Path, header: list[Any], columns: dict[str, int], configured: dict[str, str],
    rows: list[list[Any]],
) -> dict[str, int]:
    """Of several default headers present for a field, the first whose column holds answers.

    A Microsoft Forms form that anyone can answer has its fixed `Email` column say
    "anonymous" and its `Name` column empty on every row, and asks for both as questions
    ("Your email address", "Your name"): those questions are the answers. A mapped field
    keeps its column. With no other column, an all-"anonymous" Email column is refused:
    every row would fail, and the message says what to change.
    """
    chosen = dict(columns)
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(_norm(name), index)
    for field_name, index in columns.items():
        if field_name in configured or _answered(rows, index, field_name):
            continue
        for candidate in DEFAULT_COLUMNS[field_name]:
            other = positions.get(_norm(candidate))
            if other is not None and other != index and _answered(rows, other, field_name):
                chosen[field_name] = other
                break
    email = chosen.get("email")
    if email is not None and rows and all(_is_anonymous(_cell(cells, email)) for cells in rows):
        raise InputError(
            f"{path}: the {str(header[email])!r} column says 'anonymous' on every row: the "
            "form does not record who responded. Add a question asking for the email address "
            "and map it in campaign.toml: [stories.form_columns] email = \"<its header>\""
        )
    return chosen


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _is_anonymous(value: Any) -> bool:
    return isinstance(value, str) and value.strip().casefold() == ANONYMOUS


def _answered(rows: list[list[Any]], index: int, field_name: str) -> bool:
    """Whether any row answers in this column (an "anonymous" email or name is no answer)."""
    for cells in rows:
        value = _cell(cells, index)
        if _present(value) and not (field_name in ("email", "name") and _is_anonymous(value)):
            return True
    return False


MULTI_LINE = ("body", "outcome")  # paragraph answers, where the line breaks are


def _story_from_row(
    values: dict[str, Any], number: int, settings: Settings, tz: dt.tzinfo, dayfirst: bool,
    form: str | None, *, xlsx: bool = False,
) -> NewStory:
    data = {f: _cell_text(values[f]) if f not in ("consent",) else _cell_answer(values[f])
            for f in STORY_INPUT_FIELDS if f in values}
    for name in MULTI_LINE:
        if isinstance(data.get(name), str):
            data[name] = _line_breaks_read(data[name], xlsx=xlsx)
    # The time is read first and its problem reported with the others, under its field (so
    # the row's message names the column, as every other field's does): it said only
    # "submitted_at: cannot read ...", and only once the rest of the row was right.
    submitted_at: dt.datetime | None = None
    when_wrong: dict[str, str] = {}
    if "submitted_at" in values and _present(values["submitted_at"]):
        try:
            submitted_at = parse_timestamp(values["submitted_at"], tz, dayfirst=dayfirst)
        except ValueError as exc:
            when_wrong = {"submitted_at": str(exc)}
    try:
        story_input = StoryInput.parse(data, settings)
    except StoryValidationError as exc:
        raise StoryValidationError({**when_wrong, **exc.errors}) from None
    if when_wrong:
        raise StoryValidationError(when_wrong)
    key = row_key(settings.campaign.slug, form, _cell_text(values.get("id")), submitted_at,
                  story_input)
    return NewStory(story_input, submitted_at=submitted_at, external_key=key,
                    label=f"row {number}")


def _line_breaks_read(text: str, *, xlsx: bool) -> str:
    """A paragraph answer with LF line breaks, as the web form stores them.

    An answer typed in a browser has CRLF; Excel writes each CR in a cell as OOXML's
    `_x000D_`, which openpyxl leaves in the text (stories read "first line_x000D_" on
    /stories, in exports and in the queue). `_x005F_` escapes the underscore itself, so a
    literal `_x000D_` survives.
    """
    if xlsx and "_x" in text:
        from openpyxl.utils.escape import unescape

        text = str(unescape(text))
    return text.replace("\r\n", "\n")


def row_key(
    campaign: str, form: str | None, response_id: str | None, submitted_at: dt.datetime | None,
    data: StoryInput,
) -> str:
    """The idempotency key: the form's response id, else a hash of time + email + title."""
    prefix = f"form:{campaign}:" + (f"{form}:" if form else "")
    if response_id and response_id.strip():
        rid = response_id.strip()
        if len(prefix) + len(rid) + 3 <= 200:
            return f"{prefix}id:{rid}"
        return prefix + "idh:" + hashlib.sha256(rid.encode()).hexdigest()[:40]
    when = submitted_at.astimezone(dt.UTC).isoformat() if submitted_at else ""
    basis = "\x1f".join((when, data.email.strip().casefold(), data.title.strip()))
    return prefix + HASHED_KEY + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str | None:
    """A cell as text: numbers without a spurious `.0`, dates in ISO form."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _cell_answer(value: Any) -> Any:
    return value if isinstance(value, bool | int | float) or value is None else str(value)


def _dayfirst(values: list[Any], campaign: tuple[dt.date, dt.date] | None = None) -> bool:
    """Whether the file writes dates day-first (UK) or month-first (US), from its values.

    A part above 12 settles it. When none does (every response on or before the 12th, as
    in a November campaign's first days), the reading that puts more responses in the
    campaign's period (with a month either side) wins: a US-locale Microsoft Forms export's
    `11/5/27 9:10` is 5 November, not 11 May, which sent every story out of the campaign.
    With no difference, day-first (a UK campaign).
    """
    parts = []
    for value in values:
        if isinstance(value, str) and (m := _DMY.match(value)):
            first, second = int(m.group(1)), int(m.group(2))
            if first > 12:
                return True
            if second > 12:
                return False
            year = int(m.group(3))
            parts.append((first, second, year + 2000 if year < 100 else year))
    if not parts or campaign is None:
        return True
    low = campaign[0] - dt.timedelta(days=31)
    high = campaign[1] + dt.timedelta(days=31)

    def in_campaign(year: int, month: int, day: int) -> bool:
        try:
            return low <= dt.date(year, month, day) <= high
        except ValueError:
            return False

    day_first = sum(in_campaign(y, b, a) for a, b, y in parts)
    month_first = sum(in_campaign(y, a, b) for a, b, y in parts)
    return day_first >= month_first


def _suffix_offset(match: re.Match[str]) -> dt.tzinfo:
    """The offset a `GMT`, `GMT+1`, `UTC-05:30` or `BST` suffix names."""
    if match.group(0).strip().upper() == "BST":
        return dt.timezone(dt.timedelta(hours=1))
    if not match.group(2):
        return dt.UTC
    parts = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", match.group(2))
    if parts is None:
        return dt.UTC
    delta = dt.timedelta(hours=int(parts.group(2)), minutes=int(parts.group(3) or 0))
    return dt.timezone(-delta if parts.group(1) == "-" else delta)


_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S.%f")


def parse_timestamp(value: Any, tz: dt.tzinfo, *, dayfirst: bool = True) -> dt.datetime:
    """A form's submitted time as an aware datetime; naive times are the campaign's local time.

    Understands XLSX date cells, ISO 8601, Microsoft Forms (`5/11/2019 10:31:22`) and Google
    Forms (`2019/11/05 10:31:22 AM GMT+1`) text.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _excel_serial(value)
    else:
        parsed = _parse_text_timestamp(str(value).strip(), dayfirst)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


# Excel's day numbers from 1 January 1900 up to the last day of 9999.
_EXCEL_DAYS = (1, 2958466)


def _excel_serial(value: float) -> dt.datetime:
    """A workbook cell holding a time as Excel's day number (45966.5 for 5 November 2025 at
    noon): what is left of a date cell when its format is lost, as when responses are pasted
    as values into a sheet of their own. It was "cannot read '45966.5' as a date and time"."""
    from openpyxl.utils.datetime import from_excel

    if not _EXCEL_DAYS[0] <= value < _EXCEL_DAYS[1]:
        raise ValueError(f"cannot read {value!r} as a date and time")
    parsed = from_excel(value)
    if not isinstance(parsed, dt.datetime):
        raise ValueError(f"cannot read {value!r} as a date and time")
    return parsed


def _parse_text_timestamp(text: str, dayfirst: bool) -> dt.datetime:
    offset: dt.tzinfo | None = None
    tz_match = _TZ_SUFFIX.search(text)
    if tz_match and tz_match.start() > 0:
        offset = _suffix_offset(tz_match)
        text = text[: tz_match.start()].strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        dates = ["%Y/%m/%d", "%Y-%m-%d"]
        dates += ["%d/%m/%Y", "%m/%d/%Y"] if dayfirst else ["%m/%d/%Y", "%d/%m/%Y"]
        dates += ["%d.%m.%Y", "%d-%m-%Y"]
        # As Excel shows a date cell when the workbook is saved as CSV: two-digit years
        # (`2/11/25 14:05`) and month names (`02-Nov-2025`, `2 November 2025`).
        dates += ["%d/%m/%y", "%m/%d/%y"] if dayfirst else ["%m/%d/%y", "%d/%m/%y"]
        dates += ["%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y"]
        for date_format in dates:
            for time_format in (*_TIME_FORMATS, None):
                pattern = f"{date_format} {time_format}" if time_format else date_format
                try:
                    parsed = dt.datetime.strptime(text.upper(), pattern)
                    break
                except ValueError:
                    continue
            if parsed is not None:
                break
    if parsed is None:
        raise ValueError(f"cannot read {text[:60]!r} as a date and time")
    if offset is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=offset)
    return parsed


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
MAX_UNZIPPED = 256 * 1024 * 1024  # a form's CSV is kilobytes; a ZIP bomb is not read whole


def _unzipped(path: Path, member: str) -> bytes:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as file:
            raw = file.read(MAX_UNZIPPED + 1)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read {member!r} inside it ({exc})") from exc
    if len(raw) > MAX_UNZIPPED:
        raise InputError(f"{path}: {member!r} inside it is over {MAX_UNZIPPED // 2**20} MB "
                         "unzipped: unzip it and import the file")
    return raw


def _utf16(path: Path, raw: bytes) -> str:
    """Text Excel saved as "Unicode Text" (UTF-16 with a byte order mark, tab-separated)."""
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: starts as UTF-16 text but is not (byte {exc.start}); "
                         "save it from Excel as CSV UTF-8 (.csv)") from exc


def _read_csv(path: Path, warnings: list[str],
              member: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Rows of a CSV file as (spreadsheet row number, cells): UTF-8 (with or without BOM),
    UTF-16 with a BOM (Excel's "Unicode Text"), else Windows-1252 as Excel writes it; the
    delimiter sniffed from `,`, `;` and tab. `member`: the CSV file inside a ZIP `path`."""
    raw = path.read_bytes() if member is None else _unzipped(path, member)
    try:
        text = _utf16(path, raw) if raw.startswith(_UTF16_BOMS) else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = raw.decode("cp1252", errors="replace")
        warnings.append(f"{path}: not UTF-8 (byte {exc.start}); read as Windows-1252. Save "
                        "it as 'CSV UTF-8' to keep every character")
    sample = text[:65536]
    try:
        # The header: the first line with something in it (blank lines above it are passed
        # over, as in a workbook; an empty first line sniffed as no delimiter at all).
        header = next((line for line in sample.split("\n") if line.strip(" \t\r,;")), "")
        dialect: Any = csv.Sniffer().sniff(header, delimiters=",;\t")
        # Sniffing only the header, which rarely has quotes, guesses no doubled quotes: then
        # `"He said ""hi"""` would read as `He said ""hi""`. Forms always double them.
        dialect.quotechar, dialect.doublequote = '"', True
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        started = False
        for number, cells in enumerate(reader, start=1):
            if not started and not any(_present(c) for c in cells):
                continue  # blank lines above the header
            started = True
            yield number, list(cells)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from exc


def _header(path: Path, table: Iterator[tuple[int, list[Any]]]) -> list[Any]:
    try:
        return next(table)[1]
    except StopIteration:
        raise InputError(f"{path}: the file is empty (no header row)") from None


def _responses_sheet(
    path: Path, settings: Settings, warnings: list[str]
) -> tuple[Iterator[tuple[int, list[Any]]], list[Any], dict[str, int]]:
    """The rows, header and field -> column mapping of the workbook's first sheet that has
    the story columns: Microsoft Forms exports one sheet, and a coordinator may add a
    summary or notes sheet in front of it (the import then said "no column for title, ..."
    of a workbook that has them). The first sheet's problem when no sheet has them."""
    names = _sheet_names(path)
    first: InputError | None = None
    for index, name in enumerate(names):
        table = _read_xlsx(path, index)
        found: list[str] = []
        try:
            header = _header(path, table)
            columns = map_columns(path, header, settings.stories.form_columns, found)
        except InputError as exc:
            table.close()
            first = first or exc
            continue
        warnings.extend(found)
        if index:
            before = ", ".join(repr(n) for n in names[:index])
            warnings.append(f"{path}: read the sheet {name!r}; the sheet(s) before it "
                            f"({before}) have no story columns")
        return table, header, columns
    if first is None:
        raise InputError(f"{path}: the workbook has no sheets")
    if len(names) > 1:
        others = ", ".join(repr(n) for n in names[1:])
        raise InputError(f"{first} (on the first sheet, {names[0]!r}; the other sheets, "
                         f"{others}, have no story columns either)")
    raise first


def _sheet_names(path: Path) -> list[str]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as file:
        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise InputError(f"{path}: not an XLSX workbook ({exc})") from exc
        try:
            return [sheet.title for sheet in workbook.worksheets]  # not chart sheets
        finally:
            workbook.close()


def _read_xlsx(path: Path, sheet: int = 0) -> Iterator[tuple[int, list[Any]]]:
    """Rows of one sheet of the workbook, with their numbers as Excel shows them."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # An open file, not the name: openpyxl refuses a name that does not end in .xlsx, and a
    # workbook saved as `.csv` or `.xls` is still one (`content_format`).
    file = path.open("rb")
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        file.close()
        raise InputError(f"{path}: not an XLSX workbook ({exc})") from exc
    try:
        started = False
        rows = workbook.worksheets[sheet].iter_rows(values_only=True)
        for number, cells in enumerate(rows, start=1):
            values = list(cells)
            if not started and not any(_present(v) for v in values):
                continue  # blank rows above the header
            started = True
            yield number, values
    finally:
        workbook.close()
        file.close()

"""KM stories: validation, submission, the review workflow and its audit trail.

The CLI, the form import and the web app all go through these functions, so a story is
validated, resolved and recorded the same way whoever submits it. Statuses move

    submitted -> approved | rejected | changes_requested
    changes_requested -> submitted   (when the story is edited)

and every submission, transition, edit and deletion is a `story_events` row. Each change of
status is a compare-and-set UPDATE, so two coordinators acting on one story at once cannot
both win. Text is stored exactly as given (it is untrusted: every view escapes it); only
what a database cannot hold (NUL, lone surrogates) is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowvember.errors import ConflictError, InputError, NotFoundError
from knowvember.models import Campaign, Story, StoryEvent, StoryTechnique, utcnow

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.organisations import Catalogue
    from knowvember.techniques import Taxonomy

log = logging.getLogger(__name__)

stories_t = Story.__table__
techniques_t = StoryTechnique.__table__
events_t = StoryEvent.__table__
campaigns_t = Campaign.__table__

REVIEWER_ENV = "KNOWVEMBER_REVIEWER"

SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
CHANGES_REQUESTED = "changes_requested"
STATUSES = (SUBMITTED, APPROVED, REJECTED, CHANGES_REQUESTED)
SOURCES = ("cli", "form", "web")

# The fields a submitter fills in, in the order forms and prompts show them.
INPUT_FIELDS = (
    "title", "body", "outcome", "techniques", "organisation", "name", "email", "role",
    "links", "consent",
)
REQUIRED_FIELDS = ("title", "body", "name", "email", "consent")

MAX_NAME_CHARS = 200
MAX_ROLE_CHARS = 200
MAX_ORGANISATION_CHARS = 300
MAX_EMAIL_CHARS = 254
MAX_LINK_CHARS = 2000
MAX_LINKS = 20
MAX_TECHNIQUE_CHARS = 120  # story_techniques.technique is String(120)
MAX_TECHNIQUES = 30
MAX_NOTE_CHARS = 5000
MAX_REVIEWER_CHARS = 200


@dataclass(frozen=True)
class Action:
    """A review decision: which statuses allow it, where it leads, whether it needs a note."""

    name: str
    verb: str  # for messages: "approved"
    to_status: str
    needs_note: bool
    allowed_from: tuple[str, ...] = (SUBMITTED,)


ACTIONS = {
    "approve": Action("approve", "approved", APPROVED, needs_note=False),
    "reject": Action("reject", "rejected", REJECTED, needs_note=True),
    "request_changes": Action(
        "request_changes", "sent back for changes", CHANGES_REQUESTED, needs_note=True
    ),
}
# Past-tense event names, the vocabulary of the trail.
EVENT_FOR_ACTION = {"approve": "approved", "reject": "rejected",
                    "request_changes": "changes_requested"}
EDITABLE_FROM = (SUBMITTED, CHANGES_REQUESTED, APPROVED)

# No separators, brackets or quotes in either part: "jane@nhs.net;" (pasted from Outlook's
# To line) or "a@nhs.net,b@nhs.net" is no one address.
_EMAIL = re.compile(r'^[^@\s;,<>()\[\]:"]+@[^@\s.;,<>()\[\]:"]+(\.[^@\s.;,<>()\[\]:"]+)+$')
# An address with its display name, as Outlook copies one: "Smith Jane (UHL) <j.smith@nhs.net>".
_EMAIL_NAMED = re.compile(r"^[^<>@]*<([^<>]+)>$")
_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+$")  # www.england.nhs.uk, as address bars show it
_YES = {"yes", "y", "true", "1", "agree", "i agree", "i consent", "consent", "on"}
_NO = {"no", "n", "false", "0", "disagree", "i do not consent", "off"}
# A consent box's own words ("I agree to my story being shared", "I'm happy for it to be
# published"): yes only without a word of negation anywhere, since reading a refusal as
# consent would publish a story against its author's wish; anything doubtful is an error
# for the coordinator to resolve.
_AGREE = re.compile(r"^i(?: am|'m)? (?:agree|consent|give (?:my )?(?:consent|permission)|"
                    r"happy|content)\b")
_NEGATION = re.compile(r"\b(?:no|not|never|disagree|without|but)\b|n't\b|\bdont\b")
_REFUSE = re.compile(r"^(?:i (?:do not|don't|dont|disagree|would not|wouldn't|would rather "
                     r"not|prefer not)|not)\b")
# A yes with a condition ("Yes, but anonymously", "Yes, internally only", "Yes if my name is
# left out"), a usual option of a consent question: read as yes, the story was published
# whole, name and all, on /stories and in exports. Doubtful, so the coordinator decides.
# A name to be left out is one too, however it is put ("please don't use my surname",
# "leave my name off", "remove my name"): read as yes, the byline published it.
#
# Not a condition: the usual words of a consent box itself, "shared internally and
# externally" and "if selected" (or needed, required...): read as conditions, every row of a
# form so worded was refused and nothing of it imported.
_CONDITION = re.compile(r"\b(?:but|only|anonym\w*|without|except|unless|"
                        r"(?<!external and )(?<!externally and )internal\w*"
                        r"(?! and external)|"
                        r"if(?! (?:it is |they are |my story is )?(?:selected|chosen|needed|"
                        r"necessary|required|appropriate|applicable|relevant|published|used)\b"
                        r"| (?:further|more) )|"
                        r"provided|as long as|not|no names?|first name|\w+n't(?! mind)|"
                        r"dont(?! mind)|(?:leave|leaving|remove|removing|omit|omitting|"
                        r"withhold|exclude|excluding|hide|redact)\b[\w\s']*?\b(?:sur)?names?)"
                        r"\b")
# Both answers at once: a consent asked as tick boxes with both ticked (Google Forms "Yes, No",
# Microsoft Forms "Yes;No;"), or a sheet's "Yes/No" hint left in the cell. Read by its first
# word, "Yes;No;" was consent and the story was published. ("Yes, no problem" is a yes.)
_ALSO_NO = re.compile(r"\b(?:no|n|false|disagree)\b(?! (?:problems?|worries|objections?|"
                      r"issues?|bother)\b)")
_ALSO_YES = re.compile(r"\b(?:yes|y|true)\b")


# -- validation -------------------------------------------------------------------------


class StoryValidationError(InputError):
    """One or more fields are wrong; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str], *, where: str = "") -> None:
        self.errors = dict(errors)
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class StoryInput:
    """What a submitter gives, validated; built with `StoryInput.parse`.

    Free text is kept exactly as given; emails, links and technique names lose surrounding
    whitespace only.
    """

    title: str
    body: str
    name: str
    email: str
    consent: bool
    outcome: str | None = None
    techniques: tuple[str, ...] = ()
    organisation: str | None = None
    role: str | None = None
    links: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, data: Mapping[str, Any], settings: Settings, *, where: str = ""
    ) -> StoryInput:
        """Validate raw input (CLI options, a form row, a web form) into a StoryInput.

        `techniques` and `links` may be lists or one string (`;`- or `,`-separated, as form
        exports write them); `consent` may be a bool or a yes/no answer. All problems are
        reported at once, each under its field name.
        """
        errors: dict[str, str] = {}
        limits = settings.stories
        unknown = set(data) - set(INPUT_FIELDS)
        if unknown:
            errors["fields"] = f"unknown field(s) {', '.join(sorted(unknown))}"

        def text(name: str, limit: int, *, required: bool = False) -> str | None:
            value = data.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if required:
                    errors[name] = "required"
                return None
            if not isinstance(value, str):
                errors[name] = "must be text"
                return None
            problem = text_problem(value) or length_problem(value, limit, name)
            if problem:
                errors[name] = problem
                return None
            return value

        title = text("title", limits.max_title_chars, required=True)
        body = text("body", limits.max_body_chars, required=True)
        outcome = text("outcome", limits.max_body_chars)
        name = text("name", MAX_NAME_CHARS, required=True)
        role = text("role", MAX_ROLE_CHARS)
        organisation = text("organisation", MAX_ORGANISATION_CHARS)
        if organisation is not None:
            organisation = organisation.strip()
        email = _email(data.get("email"), errors)
        consent = _consent(data.get("consent"), errors)
        techniques = _techniques(data.get("techniques"), errors)
        links = _links(data.get("links"), errors)
        if errors:
            raise StoryValidationError(errors, where=where)
        assert title is not None and body is not None and name is not None
        assert email is not None and consent is not None
        return cls(
            title=title, body=body, outcome=outcome, techniques=techniques,
            organisation=organisation, name=name, email=email, role=role, links=links,
            consent=consent,
        )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text at all (both databases refuse these), else None."""
    if "\x00" in value:
        return "contains a NUL character (\\x00), which cannot be stored"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate)"
    return None


def length_problem(value: str, limit: int, name: str = "") -> str | None:
    if len(value) <= limit:
        return None
    setting = {"title": " ([stories] max_title_chars)", "body": " ([stories] max_body_chars)",
               "outcome": " ([stories] max_body_chars)"}.get(name, "")
    return f"too long: {len(value):,} characters, the limit is {limit:,}{setting}"


def parse_yes_no(value: Any) -> bool | None:
    """True/False for a yes/no answer ("Yes", "yes, I consent", True), None when unanswered.

    Raises ValueError for an answer that is neither.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as yes or no")
    # A multiple-choice answer ends in `;` in a Microsoft Forms export ("I agree;").
    answer = " ".join(value.strip().lower().replace("\u2019", "'").split()).rstrip(".!;,")
    if not answer:
        return None
    if answer in _YES or re.match(r"^yes\b", answer):
        if _ALSO_NO.search(answer, 3):
            raise ValueError(f"{value[:80]!r} answers both yes and no: ask the submitter, then")
        if condition := _CONDITION.search(answer, 3):
            raise ValueError(f"{value[:80]!r} is a yes with a condition ({condition.group(0)!r})"
                             ", which publishing cannot keep: ask the submitter, then")
        return True
    if answer in _NO or re.match(r"^no\b", answer) or _REFUSE.match(answer):
        if re.match(r"^no\b", answer) and _ALSO_YES.search(answer, 2):
            raise ValueError(f"{value[:80]!r} answers both yes and no: ask the submitter, then")
        return False
    if _AGREE.match(answer) and not _NEGATION.search(answer):
        # As a yes: "I consent to my story being published anonymously" (or "internally
        # only", "if my name is removed") was consent, and the story was published whole.
        if condition := _CONDITION.search(answer):
            raise ValueError(f"{value[:80]!r} agrees with a condition ({condition.group(0)!r})"
                             ", which publishing cannot keep: ask the submitter, then")
        return True
    raise ValueError(f"cannot read {value[:80]!r} as yes or no")


def split_choices(value: Any) -> list[str]:
    """A multi-choice answer as a list: `;` (Microsoft Forms) or `,` (Google Forms)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value if v is not None]
    elif isinstance(value, str):
        items = value.split(";") if ";" in value else _split_commas(value)
    else:
        items = [str(value)]
    return [item.strip() for item in items if item.strip()]


def report_hint(settings: Settings) -> str:
    """A sentence for a story just unpublished when a report was made already: the report's
    files (which the dashboard offers for download) keep it until the report is made again.
    Empty when there is no report."""
    folder = settings.resolve(settings.reports.out_dir)
    try:
        made = folder.is_dir() and any(folder.iterdir())
    except OSError:
        return ""
    return (f" The report in {folder} was made before and may still show it: run "
            "`knowvember report` again to take it out.") if made else ""


def _split_commas(text: str) -> list[str]:
    """A Google Forms tick-box answer split at its commas, but not at those inside brackets:
    an option that explains itself ("Peer Assist (learning before, from peers)") was two
    techniques, "Peer Assist (learning before" and "from peers)", in every count."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return items


def split_links(value: Any) -> list[str]:
    """Links from a list or from one answer holding several (spaces, lines, `;` or `,`)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v).strip() for v in value if v is not None]
    else:
        items = re.split(r"[\s;]+|,(?=\s|https?://)", str(value))
    return [item.strip().rstrip(",") for item in items if item and item.strip()]


def clean_email(value: str) -> str:
    """An email address without what came with it when it was pasted: the display name
    and brackets, `mailto:`, a trailing `;` or `,`, and invisible characters (a zero-width
    space from a web page or chat). These were stored with the address, so a coordinator's
    mail to the submitter could bounce, and a later form response did not match its story.
    """
    email = "".join(ch for ch in value if unicodedata.category(ch) != "Cf").strip()
    if named := _EMAIL_NAMED.match(email):
        email = named.group(1).strip()
    if email[:7].lower() == "mailto:":
        email = email[7:].strip()
    return email.rstrip(";,").strip()


def email_key(value: str | None) -> str:
    """An email address as two of them are compared (cleaned, ignoring case)."""
    return clean_email(value or "").casefold()


def _email(value: Any, errors: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors["email"] = "required"
        return None
    if not isinstance(value, str):
        errors["email"] = "must be text"
        return None
    email = clean_email(value)
    problem = text_problem(email) or length_problem(email, MAX_EMAIL_CHARS)
    if problem:
        errors["email"] = problem
    elif email.count("@") > 1:
        errors["email"] = f"{email[:80]!r} holds more than one address: give one"
    elif not _EMAIL.match(email):
        errors["email"] = f"{email[:80]!r} is not an email address (like name@nhs.net)"
    else:
        return email
    return None


def _consent(value: Any, errors: dict[str, str]) -> bool | None:
    try:
        consent = parse_yes_no(value)
    except ValueError as exc:
        errors["consent"] = f"{exc}; answer yes or no"
        return None
    if consent is None:
        errors["consent"] = "required: answer yes or no (may the story be published?)"
    return consent


def _techniques(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    items = split_choices(value)
    chosen: dict[str, str] = {}
    for item in items:
        problem = text_problem(item) or length_problem(item, MAX_TECHNIQUE_CHARS)
        if problem:
            errors["techniques"] = f"{item[:40]!r} {problem}"
            return ()
        chosen.setdefault(item.casefold(), item)
    if len(chosen) > MAX_TECHNIQUES:
        errors["techniques"] = f"{len(chosen)} techniques; at most {MAX_TECHNIQUES}"
        return ()
    return tuple(chosen.values())


def _links(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    links: list[str] = []
    for link in split_links(value):
        problem = text_problem(link) or length_problem(link, MAX_LINK_CHARS)
        if problem is None and not is_http_url(link):
            problem = f"{link[:80]!r} is not an http(s) link{_link_hint(link)}"
        if problem:
            errors["links"] = problem
            return ()
        if link not in links:
            links.append(link)
    if len(links) > MAX_LINKS:
        errors["links"] = f"{len(links)} links; at most {MAX_LINKS}"
        return ()
    return tuple(links)


def _link_hint(link: str) -> str:
    """How to write a link typed without its https:// (as the address bar shows it,
    "www.england.nhs.uk/..."): the error said only "not an http(s) link"."""
    if _BARE_HOST.match(link.split("/", 1)[0]):
        return f": start it with https:// (https://{link[:80]})"
    return ": it must start with https:// or http://"


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host and no whitespace or control characters."""
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def check_note(note: str | None, *, required: bool, what: str = "") -> str | None:
    """A review note: required for reject / request changes, never NUL, limited in length."""
    if note is None or not note.strip():
        if required:
            raise InputError(f"{what or 'this action'} needs a note (--note): say why, for "
                             "the submitter and for the trail")
        return None
    problem = text_problem(note) or length_problem(note, MAX_NOTE_CHARS)
    if problem:
        raise InputError(f"note: {problem}")
    return note


def resolve_reviewer(value: str | None = None) -> str:
    """The coordinator acting: `--reviewer`, else $KNOWVEMBER_REVIEWER; required."""
    reviewer = (value if value is not None else os.environ.get(REVIEWER_ENV, "")).strip()
    if not reviewer:
        raise InputError(
            f"who is reviewing? pass --reviewer NAME or set {REVIEWER_ENV} (the trail records "
            "who made each decision)"
        )
    problem = text_problem(reviewer) or length_problem(reviewer, MAX_REVIEWER_CHARS)
    if problem:
        raise InputError(f"reviewer: {problem}")
    return reviewer


# -- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryEventRecord:
    """One step of the trail: who did what, when, with which note."""

    id: int
    story_id: int
    action: str
    reviewer: str | None
    at: dt.datetime
    note: str | None
    from_status: str | None
    to_status: str | None
    previous: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action, "reviewer": self.reviewer, "at": iso(self.at),
            "note": self.note, "from_status": self.from_status, "to_status": self.to_status,
            "previous": self.previous,
        }


@dataclass(frozen=True)
class StoryRecord:
    """A stored story as every view sees it, with its techniques and (when loaded) trail."""

    id: int
    campaign: str
    status: str
    title: str
    body: str
    outcome: str | None
    chosen_techniques: tuple[str, ...]
    techniques: tuple[str, ...]  # chosen (canonical) first, then those found in the text
    organisation_code: str | None
    organisation_name: str | None
    organisation_text: str | None
    name: str | None
    email: str | None
    role: str | None
    links: tuple[str, ...]
    consent: bool
    source: str
    submitted_at: dt.datetime
    updated_at: dt.datetime
    external_key: str | None = None
    events: tuple[StoryEventRecord, ...] = ()

    @property
    def organisation(self) -> str | None:
        """The organisation as shown: its catalogue name, else the text given."""
        return self.organisation_name or self.organisation_text or self.organisation_code

    @property
    def published(self) -> bool:
        return self.status == APPROVED and self.consent

    @property
    def version(self) -> str:
        """Which version of the story this is, for `transition(seen=...)`: every edit and
        decision moves it (it is the time of the last one)."""
        return self.updated_at.isoformat()

    def to_json(self, *, include_email: bool = True, include_events: bool = True
                ) -> dict[str, Any]:
        """The story as `stories show --format json` prints it (the contract's shape)."""
        data: dict[str, Any] = {
            "id": self.id, "campaign": self.campaign, "status": self.status,
            "title": self.title, "body": self.body, "outcome": self.outcome,
            "techniques": list(self.techniques),
            "chosen_techniques": list(self.chosen_techniques),
            "organisation_code": self.organisation_code,
            "organisation_name": self.organisation_name,
            "organisation_text": self.organisation_text,
            "name": self.name, "role": self.role, "links": list(self.links),
            "consent": self.consent, "source": self.source,
            "submitted_at": iso(self.submitted_at), "updated_at": iso(self.updated_at),
        }
        if include_email:
            data["email"] = self.email
        if include_events:
            data["events"] = [e.to_json() for e in self.events]
        return data

    def public_json(self) -> dict[str, Any]:
        """What may be published (approved, consented): no email, no trail, no import key."""
        return {
            "id": self.id, "title": self.title, "body": self.body, "outcome": self.outcome,
            "techniques": list(self.techniques), "organisation_code": self.organisation_code,
            "organisation": self.organisation, "name": self.name, "role": self.role,
            "links": list(self.links), "submitted_at": iso(self.submitted_at),
        }

    def as_input(self) -> dict[str, Any]:
        """The story's fields as StoryInput.parse takes them (the base of an edit)."""
        return {
            "title": self.title, "body": self.body, "outcome": self.outcome,
            "techniques": list(self.chosen_techniques),
            "organisation": self.organisation_text or self.organisation_code,
            "name": self.name, "email": self.email, "role": self.role,
            "links": list(self.links), "consent": self.consent,
        }


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Lookups:
    """The organisations catalogue and technique taxonomy, loaded once per command."""

    catalogue: Catalogue
    taxonomy: Taxonomy

    @classmethod
    def load(cls, settings: Settings) -> Lookups:
        from knowvember.organisations import Catalogue
        from knowvember.techniques import Taxonomy

        return cls(Catalogue.load(settings), Taxonomy.load(settings))

    def organisation_name(self, code: str | None) -> str | None:
        if not code:
            return None
        org = self.catalogue.get(code)
        return org.name if org else None


@dataclass(frozen=True)
class Resolved:
    """A StoryInput with its organisation and techniques resolved against the catalogues."""

    input: StoryInput
    chosen: tuple[str, ...]
    techniques: tuple[str, ...]
    organisation_code: str | None
    organisation_text: str | None
    warnings: tuple[str, ...] = ()


def resolve_input(data: StoryInput, lookups: Lookups) -> Resolved:
    """Canonical technique names (chosen + found in the text) and the organisation's code.

    A chosen technique the taxonomy does not know is kept as written (forms have an "Other"
    box) and reported as a warning; an organisation that does not resolve keeps its text.
    """
    warnings: list[str] = []
    chosen: list[str] = []
    for name in data.techniques:
        technique = lookups.taxonomy.get(name)
        canonical = technique.name if technique else name.strip()
        if technique is None and any(True for _ in lookups.taxonomy):
            warnings.append(f"technique {name!r} is not in the taxonomy; kept as written")
        if canonical.casefold() not in {c.casefold() for c in chosen}:
            chosen.append(canonical)
    found = lookups.taxonomy.tag("\n".join(t for t in (data.title, data.body, data.outcome) if t))
    techniques = list(chosen)
    for name in found:
        if name.casefold() not in {t.casefold() for t in techniques}:
            techniques.append(name)
    code = None
    if data.organisation:
        org = lookups.catalogue.resolve(data.organisation)
        if org is not None:
            code = org.code
        else:
            warnings.append(
                f"organisation {data.organisation[:80]!r} is not in the catalogue; kept as "
                "written (edit the story with an ODS code to attribute it)"
            )
    return Resolved(
        input=data, chosen=tuple(chosen), techniques=tuple(techniques),
        organisation_code=code, organisation_text=data.organisation, warnings=tuple(warnings),
    )


# -- submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewStory:
    """A story to add: the validated input, and for form rows their key and time."""

    input: StoryInput
    submitted_at: dt.datetime | None = None
    external_key: str | None = None
    label: str = ""  # where it came from, for messages ("row 7")
    # The trail's `submitted` step's note: where an imported story came from ("imported
    # from KM stories.xlsx, row 7"), as the trail of an edit by a later import says.
    note: str | None = None


@dataclass
class AddResult:
    """What `add_stories` did: the new stories, and the keys it found already stored."""

    added: list[StoryRecord] = field(default_factory=list)
    existing: list[tuple[NewStory, int | None]] = field(default_factory=list)  # (story, id)
    warnings: list[str] = field(default_factory=list)


def submit_story(
    db: Database,
    settings: Settings,
    data: StoryInput,
    *,
    source: str = "cli",
    submitted_at: dt.datetime | None = None,
    lookups: Lookups | None = None,
) -> tuple[StoryRecord, list[str]]:
    """Store one new story as `submitted`; returns it and any warnings to show."""
    result = add_stories(
        db, settings, [NewStory(data, submitted_at=submitted_at)], source=source,
        lookups=lookups,
    )
    return result.added[0], result.warnings


def add_stories(
    db: Database,
    settings: Settings,
    items: Sequence[NewStory],
    *,
    source: str,
    lookups: Lookups | None = None,
) -> AddResult:
    """Add stories in one transaction, skipping any whose external key is already known.

    A key is known when a story holds it or when a story imported under it was erased:
    re-importing an old form export must not bring erased personal data back.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    from knowvember.retag import note_tagging

    lookups = lookups or Lookups.load(settings)
    note_tagging(db, lookups.taxonomy)  # stories are tagged too: which rules did it
    result = AddResult()
    keys = [item.external_key for item in items if item.external_key]
    campaign = campaign_slug(db)
    with db.begin() as conn:
        known = _known_keys(conn, keys)
        seen: set[str] = set()
        for item in items:
            if item.external_key and (item.external_key in known or item.external_key in seen):
                result.existing.append((item, known.get(item.external_key)))
                continue
            if item.external_key:
                seen.add(item.external_key)
            resolved = resolve_input(item.input, lookups)
            prefix = f"{item.label}: " if item.label else ""
            result.warnings.extend(prefix + w for w in resolved.warnings)
            story_id, now = _insert_story(conn, db.campaign_id, resolved, item, source)
            result.added.append(_record_from(
                story_id, campaign, resolved, item, source, now, lookups
            ))
    for story in result.added:
        log.debug("Story %s submitted (%s)", story.id, source)
    return result


def _known_keys(conn: Connection, keys: Sequence[str]) -> dict[str, int | None]:
    """Keys already used: by a stored story (-> its id) or by an erased one (-> None)."""
    known: dict[str, int | None] = {}
    if not keys:
        return known
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        rows = conn.execute(sa.select(stories_t.c.external_key, stories_t.c.id)
                            .where(stories_t.c.external_key.in_(chunk)))
        known.update({key: int(sid) for key, sid in rows})
    tombstones = conn.execute(sa.select(events_t.c.previous)
                              .where(events_t.c.action == "deleted",
                                     events_t.c.previous.is_not(None)))
    wanted = set(unique)
    for (previous,) in tombstones:
        key = (previous or {}).get("external_key")
        if key in wanted and key not in known:
            known[key] = None
    return known


def _insert_story(
    conn: Connection, campaign_id: int, resolved: Resolved, item: NewStory, source: str
) -> tuple[int, dt.datetime]:
    data = resolved.input
    now = utcnow()
    story_id = conn.execute(stories_t.insert().values(
        campaign_id=campaign_id, external_key=item.external_key, title=data.title,
        body=data.body, outcome=data.outcome, chosen_techniques=list(resolved.chosen),
        organisation_code=resolved.organisation_code,
        organisation_text=resolved.organisation_text, name=data.name, email=data.email,
        role=data.role, links=list(data.links), consent=data.consent,
        submitted_at=item.submitted_at or now, source=source, status=SUBMITTED,
        updated_at=now,
    )).inserted_primary_key[0]
    _write_techniques(conn, int(story_id), resolved.techniques)
    _event(conn, int(story_id), "submitted", None, item.note, None, SUBMITTED, at=now)
    return int(story_id), now


def _record_from(
    story_id: int, campaign: str, resolved: Resolved, item: NewStory, source: str,
    now: dt.datetime, lookups: Lookups,
) -> StoryRecord:
    data = resolved.input
    return StoryRecord(
        id=story_id, campaign=campaign, status=SUBMITTED, title=data.title, body=data.body,
        outcome=data.outcome, chosen_techniques=resolved.chosen,
        techniques=ordered_techniques(resolved.chosen, resolved.techniques),
        organisation_code=resolved.organisation_code,
        organisation_name=lookups.organisation_name(resolved.organisation_code),
        organisation_text=resolved.organisation_text, name=data.name, email=data.email,
        role=data.role, links=data.links, consent=data.consent, source=source,
        submitted_at=item.submitted_at or now, updated_at=now,
        external_key=item.external_key,
    )


def _write_techniques(conn: Connection, story_id: int, techniques: Iterable[str]) -> None:
    conn.execute(techniques_t.delete().where(techniques_t.c.story_id == story_id))
    rows, seen = [], set()
    for name in techniques:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            rows.append({"story_id": story_id, "technique": name})
    if rows:
        conn.execute(techniques_t.insert(), rows)


def _event(
    conn: Connection, story_id: int, action: str, reviewer: str | None, note: str | None,
    from_status: str | None, to_status: str | None, *, previous: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    conn.execute(events_t.insert().values(
        story_id=story_id, action=action, reviewer=reviewer, at=at or utcnow(), note=note,
        from_status=from_status, to_status=to_status, previous=previous,
    ))


def campaign_slug(db: Database) -> str:
    with db.begin() as conn:
        slug = conn.execute(sa.select(campaigns_t.c.slug)
                            .where(campaigns_t.c.id == db.campaign_id)).scalar()
    return str(slug)


# -- reading ------------------------------------------------------------------------------


def list_stories(
    db: Database,
    *,
    status: str | Sequence[str] | None = None,
    org: str | None = None,
    technique: str | None = None,
    consent: bool | None = None,
    lookups: Lookups | None = None,
    all_campaigns: bool = False,
    with_events: bool = False,
    ids: Collection[int] | None = None,
) -> list[StoryRecord]:
    """The campaign's stories, oldest first, filtered in SQL.

    `org` is an ODS code or a name (resolved through the catalogue, else matched against
    the text the submitter gave); `technique` a canonical name, synonym or as written;
    `ids` only these stories (an organisation page lists the ones the report counts).
    """
    statuses = [status] if isinstance(status, str) else list(status or [])
    for value in statuses:
        if value not in STATUSES:
            raise InputError(f"unknown status {value!r}; statuses are {', '.join(STATUSES)}")
    query = sa.select(stories_t, campaigns_t.c.slug.label("campaign")).join(
        campaigns_t, campaigns_t.c.id == stories_t.c.campaign_id
    )
    if not all_campaigns:
        query = query.where(stories_t.c.campaign_id == db.campaign_id)
    if statuses:
        query = query.where(stories_t.c.status.in_(statuses))
    if consent is not None:
        query = query.where(stories_t.c.consent.is_(consent))
    if ids is not None:
        ids = story_ids(ids)
        if not ids:
            return []
        query = query.where(stories_t.c.id.in_(ids))
    if org:
        query = query.where(_org_filter(org, lookups))
    if technique:
        query = query.where(_technique_filter(technique, lookups or _lookups_for_names(db)))
    query = query.order_by(stories_t.c.submitted_at, stories_t.c.id)
    with db.begin() as conn:
        rows = conn.execute(query).mappings().all()
        ids = [int(r["id"]) for r in rows]
        tagged = _techniques_of(conn, ids)
        events = _events_of(conn, ids) if with_events else {}
    lookups = lookups or _lookups_for_names(db)
    return [_record(row, tagged.get(int(row["id"]), []), events.get(int(row["id"]), []),
                    lookups) for row in rows]


def get_story(db: Database, story_id: int, *, lookups: Lookups | None = None) -> StoryRecord:
    """One story of the campaign with its whole trail; NotFoundError (saying so if it was
    erased) if none.

    Like every by-id access here, it sees only the campaign's stories: a story of another
    campaign sharing the database is not found, as the review queue does not list it.
    """
    query = sa.select(stories_t, campaigns_t.c.slug.label("campaign")).join(
        campaigns_t, campaigns_t.c.id == stories_t.c.campaign_id
    ).where(_in_campaign(db, story_id))
    with db.begin() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            raise _not_found(conn, story_id, db.campaign_id)
        tagged = _techniques_of(conn, [story_id])
        events = _events_of(conn, [story_id])
    return _record(row, tagged.get(story_id, []), events.get(story_id, []),
                   lookups or _lookups_for_names(db))


def story_events(db: Database, story_id: int) -> list[StoryEventRecord]:
    """The trail of a story, including one that has been erased (then without its notes);
    none for a story of another campaign."""
    if not 1 <= story_id <= MAX_STORY_ID:
        return []
    with db.begin() as conn:
        elsewhere = conn.execute(sa.select(stories_t.c.id).where(
            stories_t.c.id == story_id, stories_t.c.campaign_id != db.campaign_id)).first()
        if elsewhere is not None:
            return []
        return _events_of(conn, [story_id]).get(story_id, [])


def count_by_status(db: Database) -> dict[str, int]:
    """Stories per status for the campaign (every status present, zero when none)."""
    with db.begin() as conn:
        rows = conn.execute(
            sa.select(stories_t.c.status, sa.func.count())
            .where(stories_t.c.campaign_id == db.campaign_id).group_by(stories_t.c.status)
        ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def stories_keyed_for(
    db: Database, key_prefix: str, emails: Collection[str], *, lookups: Lookups | None = None
) -> list[StoryRecord]:
    """The campaign's stories whose import key starts with `key_prefix` and whose email is
    one of `emails` (ignoring case), with their trails: where a form import looks for a
    response the respondent has edited since, which a form without response ids (Google
    Forms) gives a new key, as its time changed."""
    folded = {email_key(e) for e in emails if e and e.strip()}
    if not folded:
        return []
    escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Compared in Python, as `email_key` cleans them: an address stored by an earlier
    # release as pasted ("jane@nhs.net;") is still that respondent's.
    with db.begin() as conn:
        rows = conn.execute(sa.select(stories_t.c.id, stories_t.c.email).where(
            stories_t.c.campaign_id == db.campaign_id,
            stories_t.c.external_key.like(escaped + "%", escape="\\")))
        ids = [int(i) for i, email in rows if email_key(email) in folded]
    return list_stories(db, ids=ids, with_events=True, lookups=lookups) if ids else []


def first_version(story: StoryRecord) -> dict[str, Any]:
    """The story as it was first stored (before any edit), in `snapshot`'s shape."""
    for event in story.events:
        if event.action == "edited" and event.previous:
            return {k: event.previous.get(k) for k in SNAPSHOT_FIELDS}
    return snapshot(story)


def pending_stories(db: Database, *, lookups: Lookups | None = None) -> list[StoryRecord]:
    """The review queue: submitted stories, oldest first."""
    return list_stories(db, status=SUBMITTED, lookups=lookups)


def published_stories(db: Database, *, lookups: Lookups | None = None) -> list[StoryRecord]:
    """Approved stories whose submitters consented to publication: all that may be shown."""
    return list_stories(db, status=APPROVED, consent=True, lookups=lookups)


# Story ids are database integers (PostgreSQL's 32 bits): a larger one names no story. Asked
# for, it failed as "unexpected OverflowError" (SQLite) or a driver's DataError (PostgreSQL).
MAX_STORY_ID = 2**31 - 1


def story_ids(ids: Collection[int]) -> list[int]:
    """The ids that can name a story, sorted: a larger one (`stories trail
    99999999999999999999`) names none, and SQLite failed on it ("unexpected OverflowError")
    where it said "there is no story" of one id."""
    return sorted({i for i in ids if 1 <= i <= MAX_STORY_ID})


def _in_campaign(db: Database, story_id: int) -> sa.ColumnElement[bool]:
    """The story `story_id`, if it is the campaign's: the condition of every by-id access."""
    if not 1 <= story_id <= MAX_STORY_ID:
        raise NotFoundError(f"there is no story {story_id} in this campaign (story ids are "
                            "1, 2, 3...: see `knowvember stories list`)")
    return sa.and_(stories_t.c.id == story_id, stories_t.c.campaign_id == db.campaign_id)


def _lookups_for_names(db: Database) -> Lookups:
    """Without a caller's lookups, organisation names come from the organisations table."""
    from knowvember.organisations import Catalogue, Organisation
    from knowvember.techniques import Taxonomy

    table = sa.table("organisations", sa.column("code"), sa.column("name"),
                     sa.column("region"))
    with db.begin() as conn:
        rows = conn.execute(sa.select(table.c.code, table.c.name, table.c.region)).all()
    return Lookups(Catalogue([Organisation(code=c, name=n, region=r) for c, n, r in rows]),
                   Taxonomy.load())


def _org_filter(org: str, lookups: Lookups | None) -> sa.ColumnElement[bool]:
    text = org.strip()
    resolved = lookups.catalogue.resolve(text) if lookups else None
    code = resolved.code if resolved else text
    return sa.or_(
        sa.func.upper(stories_t.c.organisation_code) == code.upper(),
        sa.func.lower(stories_t.c.organisation_text) == text.lower(),
    )


def _technique_filter(technique: str, lookups: Lookups | None) -> sa.ColumnElement[bool]:
    known = lookups.taxonomy.get(technique) if lookups else None
    name = known.name if known else technique.strip()
    return stories_t.c.id.in_(
        sa.select(techniques_t.c.story_id)
        .where(sa.func.lower(techniques_t.c.technique) == name.lower())
    )


def _techniques_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        rows = conn.execute(sa.select(techniques_t.c.story_id, techniques_t.c.technique)
                            .where(techniques_t.c.story_id.in_(chunk))
                            .order_by(techniques_t.c.technique))
        for story_id, name in rows:
            found.setdefault(int(story_id), []).append(name)
    return found


def _events_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[StoryEventRecord]]:
    found: dict[int, list[StoryEventRecord]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        # In the order they were written, not by `at`: on a shared database each machine's
        # clock sets `at`, and a laptop a minute slow would put its decision before the
        # submission it decided.
        rows = conn.execute(sa.select(events_t).where(events_t.c.story_id.in_(chunk))
                            .order_by(events_t.c.id)).mappings()
        for r in rows:
            found.setdefault(int(r["story_id"]), []).append(StoryEventRecord(
                id=int(r["id"]), story_id=int(r["story_id"]), action=r["action"],
                reviewer=r["reviewer"], at=r["at"], note=r["note"],
                from_status=r["from_status"], to_status=r["to_status"],
                previous=r["previous"],
            ))
    return found


def _record(
    row: Mapping[str, Any], tagged: list[str], events: list[StoryEventRecord], lookups: Lookups
) -> StoryRecord:
    chosen = tuple(row["chosen_techniques"] or ())
    techniques = ordered_techniques(chosen, tagged)
    return StoryRecord(
        id=int(row["id"]), campaign=row["campaign"], status=row["status"],
        title=row["title"], body=row["body"], outcome=row["outcome"],
        chosen_techniques=chosen, techniques=tuple(techniques),
        organisation_code=row["organisation_code"],
        organisation_name=lookups.organisation_name(row["organisation_code"]),
        organisation_text=row["organisation_text"], name=row["name"], email=row["email"],
        role=row["role"], links=tuple(row["links"] or ()), consent=bool(row["consent"]),
        source=row["source"], submitted_at=row["submitted_at"], updated_at=row["updated_at"],
        external_key=row["external_key"], events=tuple(events),
    )


def ordered_techniques(chosen: Sequence[str], techniques: Iterable[str]) -> tuple[str, ...]:
    """The submitter's choices first, in their order, then the others alphabetically."""
    folded = {t.casefold(): t for t in techniques}
    first = [folded[c.casefold()] for c in chosen if c.casefold() in folded]
    rest = sorted((t for t in folded.values() if t not in first), key=str.casefold)
    return (*first, *rest)


def _not_found(conn: Connection, story_id: int, campaign_id: int) -> NotFoundError:
    """Why a story is not there: erased (when it was this campaign's; another campaign's
    erasure is none of this one's business), or never was."""
    erased = conn.execute(sa.select(events_t.c.at, events_t.c.previous).where(
        events_t.c.story_id == story_id, events_t.c.action == "deleted")).first()
    # A tombstone naming no campaign (written before they did) is taken as this one's.
    if erased is not None and (erased.previous or {}).get("campaign_id", campaign_id) == (
            campaign_id):
        return NotFoundError(
            f"story {story_id} was deleted on {erased.at:%Y-%m-%d} (erased on request); only "
            "the fact of its deletion is kept"
        )
    return NotFoundError(f"there is no story {story_id} in this campaign (see `knowvember "
                         "stories list`)")


# -- review -------------------------------------------------------------------------------


class StoryChanged(ConflictError):
    """The story was edited or decided after the reviewer read it (`transition(seen=...)`).

    The status check alone let a decision through when a story had left the queue and come
    back (changes requested, then made) or been edited while it stayed there: a coordinator
    approved or rejected a text they had never read. `step` names what happened since
    ("edited by form response, 2027-11-06 10:00 UTC"), for a message of the caller's own.
    """

    def __init__(self, story_id: int, step: str) -> None:
        self.story_id, self.step = story_id, step
        super().__init__(f"story {story_id} changed after you read it{f' ({step})' if step else ''}"
                         f": read it again before deciding (`knowvember stories show "
                         f"{story_id}`)")


def transition(
    db: Database, story_id: int, action: str, *, reviewer: str, note: str | None = None,
    lookups: Lookups | None = None, seen: str | None = None,
) -> StoryRecord:
    """Approve, reject or request changes on a submitted story; returns it with its trail.

    Refused (ConflictError) unless the story is `submitted` at the moment of the update, and
    (StoryChanged) when `seen`, the `StoryRecord.version` the reviewer read, is no longer
    the story's version.
    """
    spec = ACTIONS.get(action.replace("-", "_"))
    if spec is None:
        raise InputError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    reviewer = resolve_reviewer(reviewer)
    note = check_note(note, required=spec.needs_note,
                      what={"reject": "rejecting", "request_changes": "requesting changes"}
                      .get(spec.name, spec.name))
    with db.begin() as conn:
        current, changed_at = _state_of(conn, db, story_id)
        if current not in spec.allowed_from:
            raise ConflictError(_refusal(story_id, current, spec))
        if seen is not None and changed_at.isoformat() != seen:
            raise StoryChanged(story_id, _last_step(conn, story_id))
        now = utcnow()
        updated = conn.execute(
            stories_t.update()
            .where(_in_campaign(db, story_id), stories_t.c.status == current,
                   stories_t.c.updated_at == changed_at)
            .values(status=spec.to_status, updated_at=now)
        ).rowcount
        if updated != 1:
            raise ConflictError(f"story {story_id} changed while you were deciding; look "
                                f"at it again (`knowvember stories show {story_id}`)")
        _event(conn, story_id, EVENT_FOR_ACTION[spec.name], reviewer, note, current,
               spec.to_status, at=now)
    log.debug("Story %s %s by %s", story_id, spec.verb, reviewer)
    return get_story(db, story_id, lookups=lookups)


def _last_step(conn: Connection, story_id: int) -> str:
    """The story's last step, as a refusal names it: "edited by Ann, 2027-11-06 10:00 UTC"."""
    last = conn.execute(sa.select(events_t.c.action, events_t.c.reviewer, events_t.c.at)
                        .where(events_t.c.story_id == story_id)
                        .order_by(events_t.c.id.desc()).limit(1)).first()
    if last is None:
        return ""
    by = f" by {last.reviewer}" if last.reviewer else ""
    when = f", {last.at.strftime('%Y-%m-%d %H:%M UTC')}" if last.at else ""
    return f"{status_label(last.action)}{by}{when}"


def approve_story(db: Database, story_id: int, *, reviewer: str, note: str | None = None,
                  lookups: Lookups | None = None) -> StoryRecord:
    return transition(db, story_id, "approve", reviewer=reviewer, note=note, lookups=lookups)


def reject_story(db: Database, story_id: int, *, reviewer: str, note: str,
                 lookups: Lookups | None = None) -> StoryRecord:
    return transition(db, story_id, "reject", reviewer=reviewer, note=note, lookups=lookups)


def request_changes(db: Database, story_id: int, *, reviewer: str, note: str,
                    lookups: Lookups | None = None) -> StoryRecord:
    return transition(db, story_id, "request_changes", reviewer=reviewer, note=note,
                      lookups=lookups)


def _state_of(conn: Connection, db: Database, story_id: int) -> tuple[str, dt.datetime]:
    """The story's status and its version (when it last changed)."""
    row = conn.execute(sa.select(stories_t.c.status, stories_t.c.updated_at)
                       .where(_in_campaign(db, story_id))).first()
    if row is None:
        raise _not_found(conn, story_id, db.campaign_id)
    return str(row.status), row.updated_at


def status_label(status: str) -> str:
    return status.replace("_", " ")


def _refusal(story_id: int, current: str, spec: Action) -> str:
    if current == spec.to_status:
        return f"story {story_id} is already {status_label(current)}"
    hint = {
        CHANGES_REQUESTED: f"; it is waiting for the changes asked for: edit it "
                           f"(`knowvember stories edit {story_id} ...`) to put it back in "
                           "the queue",
        REJECTED: "; a rejected story is closed",
        APPROVED: "; an approved story stays approved (delete it if it must go)",
    }.get(current, "")
    return (f"story {story_id} is {status_label(current)}: only a submitted story can be "
            f"{spec.verb}{hint}")


# -- editing and erasure --------------------------------------------------------------------


SNAPSHOT_FIELDS = (
    "title", "body", "outcome", "chosen_techniques", "organisation_code", "organisation_text",
    "name", "email", "role", "links", "consent",
)


def edit_story(
    db: Database,
    settings: Settings,
    story_id: int,
    changes: Mapping[str, Any],
    *,
    editor: str,
    note: str | None = None,
    lookups: Lookups | None = None,
) -> tuple[StoryRecord, list[str]]:
    """Change a story's fields; the version replaced is kept in the trail.

    Editing a story sent back for changes puts it back in the queue (`submitted`), unless
    the edit only withdraws consent; a submitted or approved story keeps its status; a
    rejected story cannot be edited.
    """
    editor = resolve_reviewer(editor)
    note = check_note(note, required=False)
    unknown = set(changes) - set(INPUT_FIELDS)
    if unknown:
        raise InputError(f"cannot edit {', '.join(sorted(unknown))}; fields are "
                         f"{', '.join(INPUT_FIELDS)}")
    if not changes:
        raise InputError("nothing to change: give the fields to edit (e.g. --title)")
    lookups = lookups or Lookups.load(settings)
    story = get_story(db, story_id, lookups=lookups)
    if story.status not in EDITABLE_FROM:
        raise ConflictError(f"story {story_id} is {status_label(story.status)}: a rejected "
                            "story is closed and cannot be edited")
    merged = {**story.as_input(), **changes}
    data = StoryInput.parse(merged, settings, where=f"story {story_id}")
    resolved = resolve_input(data, lookups)
    if "organisation" not in changes:  # keep the attribution a coordinator may have fixed
        resolved = replace(resolved, organisation_code=story.organisation_code,
                           organisation_text=story.organisation_text,
                           warnings=tuple(w for w in resolved.warnings
                                          if not w.startswith("organisation")))
    values = {
        "title": data.title, "body": data.body, "outcome": data.outcome,
        "chosen_techniques": list(resolved.chosen),
        "organisation_code": resolved.organisation_code,
        "organisation_text": resolved.organisation_text, "name": data.name,
        "email": data.email, "role": data.role, "links": list(data.links),
        "consent": data.consent,
    }
    previous = snapshot(story)
    if all(_same(previous[k], values[k]) for k in SNAPSHOT_FIELDS):
        raise InputError(f"nothing to change: story {story_id} already reads like that")
    # Withdrawing consent is no answer to the changes asked for: the story keeps waiting for
    # them. It went back into the queue, as if changed, while the web app's withdrawal said
    # it "stays changes requested", and could be approved without the changes.
    withdrawal = set(changes) == {"consent"} and not data.consent
    to_status = (SUBMITTED if story.status == CHANGES_REQUESTED and not withdrawal
                 else story.status)
    now = utcnow()
    with db.begin() as conn:
        updated = conn.execute(
            stories_t.update()
            .where(_in_campaign(db, story_id), stories_t.c.status == story.status,
                   stories_t.c.updated_at == story.updated_at)
            .values(**values, status=to_status, updated_at=now)
        ).rowcount
        if updated != 1:
            raise ConflictError(f"story {story_id} changed while you were editing it; look at "
                                "it again and repeat the edit")
        _write_techniques(conn, story_id, resolved.techniques)
        _event(conn, story_id, "edited", editor, note, story.status, to_status,
               previous={**previous, "techniques": list(story.techniques)}, at=now)
    log.debug("Story %s edited by %s", story_id, editor)
    return get_story(db, story_id, lookups=lookups), list(resolved.warnings)


def snapshot(story: StoryRecord) -> dict[str, Any]:
    """The stored content of a story, as the trail keeps it when an edit replaces it."""
    return {
        "title": story.title, "body": story.body, "outcome": story.outcome,
        "chosen_techniques": list(story.chosen_techniques),
        "organisation_code": story.organisation_code,
        "organisation_text": story.organisation_text, "name": story.name,
        "email": story.email, "role": story.role, "links": list(story.links),
        "consent": story.consent,
    }


# What an edit's changes are called where the trail shows them, in the form's order.
CHANGE_LABELS = {
    "title": "title", "body": "what happened", "outcome": "outcome",
    "chosen_techniques": "techniques", "organisation": "organisation", "name": "name",
    "email": "email", "role": "role", "links": "links", "consent": "consent to publish",
}


@dataclass(frozen=True)
class FieldChange:
    """One field an edit changed: its name (a `CHANGE_LABELS` key), before and after."""

    field: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.field]


def edit_changes(story: StoryRecord) -> dict[int, list[FieldChange]]:
    """For each `edited` event of the story's trail (by event id), the fields it changed.

    An event keeps the version it replaced (`previous`); what replaced it is the next edit's
    `previous`, or the story as it is now. A coordinator who asked for changes sees which
    answers the submitter changed, not only that the story was edited.
    """
    versions = [(event.id, _comparable(event.previous)) for event in story.events
                if event.action == "edited" and event.previous]
    after_all = _comparable(snapshot(story))
    changes: dict[int, list[FieldChange]] = {}
    for index, (event_id, before) in enumerate(versions):
        after = versions[index + 1][1] if index + 1 < len(versions) else after_all
        changes[event_id] = [FieldChange(name, before.get(name), after.get(name))
                             for name in CHANGE_LABELS
                             if not _same(before.get(name), after.get(name))]
    return changes


TRAIL_COLUMNS = ("story_id", "title", "status", "at", "action", "reviewer", "note",
                 "from_status", "to_status", "changed")


# What the trail gives as the status of a story erased on request (it has none any more).
ERASED = "deleted"


def trail_rows(
    stories: Iterable[StoryRecord],
    erased: Mapping[int, Sequence[StoryEventRecord]] | None = None,
) -> list[dict[str, Any]]:
    """Every step of these stories' trails, oldest first, one row each (`TRAIL_COLUMNS`):
    the audit trail as one table, for a governance check or a spreadsheet.

    `changed` lists the fields an edit changed; the versions edits replaced (`previous`,
    which hold submitters' emails) stay out: `stories show` has them, one story at a time.
    `status` is the story's status now. `erased` (`erased_trails`) adds the steps of
    stories erased on request, as what is left of them: who did what and when, under
    status `deleted`, without a title or notes.
    """
    steps: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for story in stories:
        changes = edit_changes(story)
        for event in story.events:
            steps.append((event.at, event.id, {
                "story_id": story.id, "title": story.title, "status": story.status,
                "at": event.at, "action": event.action, "reviewer": event.reviewer,
                "note": event.note, "from_status": event.from_status,
                "to_status": event.to_status,
                "changed": [change.field for change in changes.get(event.id, [])],
            }))
    for story_id, events in (erased or {}).items():
        for event in events:
            steps.append((event.at, event.id, {
                "story_id": story_id, "title": None, "status": ERASED, "at": event.at,
                "action": event.action, "reviewer": event.reviewer, "note": None,
                "from_status": event.from_status, "to_status": event.to_status,
                "changed": [],
            }))
    steps.sort(key=lambda step: (step[0], step[1]))
    return [row for _, _, row in steps]


def erased_trails(db: Database, ids: Collection[int] | None = None
                  ) -> dict[int, list[StoryEventRecord]]:
    """The trails of the campaign's stories erased on request (or of those of `ids`), by
    story id: what `delete_story` keeps of them, without notes or earlier versions.

    The trail of every story left them out, so a governance check of "who deleted story 17,
    and when" found nothing, and `stories trail 17` said there was no story 17.
    """
    with db.begin() as conn:
        query = sa.select(events_t.c.story_id, events_t.c.previous).where(
            events_t.c.action == "deleted")
        if ids is not None:
            ids = story_ids(ids)
            if not ids:
                return {}
            query = query.where(events_t.c.story_id.in_(ids))
        # A tombstone naming no campaign (written before they did) is taken as this one's,
        # as `_not_found` takes it.
        found = sorted({int(story_id) for story_id, previous in conn.execute(query)
                        if (previous if isinstance(previous, dict) else {})
                        .get("campaign_id", db.campaign_id) == db.campaign_id})
        trails = _events_of(conn, found)
    for events in trails.values():  # nothing of the story itself, whatever was kept
        events[:] = [replace(event, note=None, previous=None) for event in events]
    return trails


def _comparable(version: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored version's fields as `edit_changes` compares them: the organisation as typed
    (or its code), lists as lists, a missing outcome as None."""
    version = version or {}
    values = {name: version.get(name) for name in CHANGE_LABELS if name != "organisation"}
    values["organisation"] = version.get("organisation_text") or version.get("organisation_code")
    for name in ("chosen_techniques", "links"):
        values[name] = list(values[name] or [])
    for name in ("outcome", "role", "name", "email"):
        values[name] = values[name] or None
    return values


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return bool(a == b)


def delete_story(db: Database, story_id: int, *, reviewer: str) -> StoryEventRecord:
    """Erase a story on request: the row, its techniques, and every note and earlier version.

    The trail keeps who did what and when (no personal data), plus a `deleted` event. That
    event holds the story's import key, so re-importing the same form export cannot bring
    the erased story back.
    """
    reviewer = resolve_reviewer(reviewer)
    with db.begin() as conn:
        row = conn.execute(sa.select(stories_t.c.status, stories_t.c.external_key,
                                     stories_t.c.email, stories_t.c.title)
                           .where(_in_campaign(db, story_id))).first()
        if row is None:
            raise _not_found(conn, story_id, db.campaign_id)
        respondents = _respondents(conn, story_id, row)
        conn.execute(techniques_t.delete().where(techniques_t.c.story_id == story_id))
        conn.execute(stories_t.delete().where(_in_campaign(db, story_id)))
        conn.execute(events_t.update().where(events_t.c.story_id == story_id)
                     .values(note=None, previous=None))
        now = utcnow()
        # The campaign, so that another campaign's "no such story" does not tell of it;
        # the import key, so that re-importing the form export cannot bring it back.
        tombstone = {"campaign_id": db.campaign_id,
                     **({"external_key": row.external_key} if row.external_key else {}),
                     **({"respondents": respondents} if respondents else {})}
        _event(conn, story_id, "deleted", reviewer, None, row.status, None,
               previous=tombstone, at=now)
    log.debug("Story %s deleted (erased) by %s", story_id, reviewer)
    return story_events(db, story_id)[-1]


HASHED_KEY = "sha256:"  # how a form row without a response id is keyed (time, email, title)


def respondent_digest(key_prefix: str, email: str, title: str) -> str:
    """A one-way digest of a form response's email and title, without its time.

    A form without response ids (Google Forms) writes an edited response with the time of
    the edit, so its import key changes; the tombstone of an erased story keeps this
    digest (no personal data can be read back from it) so that an edit made in the form
    after the erasure does not bring the story back either.
    """
    basis = "\x1f".join((key_prefix, clean_email(email).lower(), title.strip()))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]


def _respondents(conn: Connection, story_id: int, row: Any) -> list[str]:
    """The digests an erased form story's tombstone keeps (its title now and as imported)."""
    key = row.external_key or ""
    if not key.startswith("form:") or HASHED_KEY not in key or not row.email:
        return []
    prefix = key[: key.index(HASHED_KEY) + len(HASHED_KEY)]
    titles = {row.title}
    first = conn.execute(sa.select(events_t.c.previous).where(
        events_t.c.story_id == story_id, events_t.c.action == "edited",
        events_t.c.previous.is_not(None)).order_by(events_t.c.id)).first()
    if first is not None and isinstance(first.previous, dict) and first.previous.get("title"):
        titles.add(str(first.previous["title"]))
    return sorted(respondent_digest(prefix, row.email, t) for t in titles)


def erased_respondents(db: Database) -> tuple[set[str], set[str]]:
    """The import keys and the respondent digests of the campaign's erased stories."""
    keys: set[str] = set()
    digests: set[str] = set()
    with db.begin() as conn:
        tombstones = conn.execute(sa.select(events_t.c.previous).where(
            events_t.c.action == "deleted", events_t.c.previous.is_not(None)))
        for (previous,) in tombstones:
            if (isinstance(previous, dict)
                    and previous.get("campaign_id", db.campaign_id) == db.campaign_id):
                if previous.get("external_key"):
                    keys.add(str(previous["external_key"]))
                digests.update(str(d) for d in previous.get("respondents") or ())
    return keys, digests


# -- display ------------------------------------------------------------------------------

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str | None, *, keep_newlines: bool = True) -> str:
    """Text safe to write to a terminal: control characters and bidi overrides made visible.

    A story could otherwise move the cursor, recolour the screen or reverse how a line
    reads (ANSI escapes, U+202E). The stored text is untouched; only the view changes.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not keep_newlines:
        text = " ".join(text.split("\n"))
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "".join(out)

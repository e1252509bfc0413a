"""`stories export`: the approved, consented stories, grouped by technique, for publishing.

Made to be pasted into a blog or the KM stories page, so it is strict about what leaves:

- only stories that are approved AND whose submitters consented to publication;
- no email address, ever: the email field is never read, and anything shaped like an email
  address in the story's own text is replaced (a byline or body can hold one);
- every user string is escaped for the format: HTML through Jinja2 autoescape, Markdown by
  escaping its syntax and any HTML, CSV cells through `safe_cell` (no formula injection);
  control characters and bidi overrides are made visible in HTML and Markdown.

Each story is written once, under the first of its techniques (the submitter's first choice),
and listed as "also using" under its others.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from knowvember.stories import printable, published_stories
from reports.cells import safe_cell
from reports.redact import EMAIL_REMOVED as EMAIL_REMOVED  # re-exported: tests, callers
from reports.redact import publishable_links, redact_contacts
from reports.redact import redact_emails as redact_emails  # re-exported: markdown, pdf

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.stories import Lookups, StoryRecord
    from reports.scope import Directory

FORMATS = ("md", "html", "csv")
NO_TECHNIQUE = "Other stories"
TEMPLATES = Path(__file__).parent / "templates"

_MD_INLINE = re.compile(r"([\\`*_\[\]{}()#|~$!])")
_MD_LINE_START = re.compile(r"^([+=-]|\d+[.)])")

CSV_COLUMNS = (
    "technique", "id", "title", "body", "outcome", "techniques", "organisation_code",
    "organisation", "name", "role", "links", "submitted_at",
)


@dataclass(frozen=True)
class ExportStory:
    """A story as it may be published: redacted, no email, dates in campaign time."""

    id: int
    title: str
    body: str
    outcome: str | None
    techniques: tuple[str, ...]
    organisation_code: str | None
    organisation: str | None
    name: str | None
    role: str | None
    links: tuple[str, ...]
    submitted_at: dt.datetime
    submitted_on: str

    @property
    def byline(self) -> str:
        parts = [p for p in (self.name, self.role, self.organisation) if p]
        return ", ".join(parts) + (f" · {self.submitted_on}" if parts else self.submitted_on)


@dataclass
class Group:
    name: str
    anchor: str
    stories: list[ExportStory] = field(default_factory=list)
    see_also: list[ExportStory] = field(default_factory=list)


def to_export(story: StoryRecord, settings: Settings, *, names: bool = True,
              directory: Directory | None = None) -> ExportStory:
    """The publishable form of a story (the email field is not carried over at all).

    With `directory` (`campaign_directory`), its organisation is named as the campaign's
    report names it: a trust merged before the campaign under its successor.
    """
    local = story.submitted_at.astimezone(settings.campaign.tz)
    code, organisation = story.organisation_code, story.organisation
    info = directory.resolve(code) if directory is not None else None
    if info is not None and info.kind != "unknown":
        code, organisation = info.code, info.name
    return ExportStory(
        id=story.id,
        title=redact_contacts(story.title) or "",
        body=redact_contacts(story.body) or "",
        outcome=redact_contacts(story.outcome),
        techniques=story.techniques,
        organisation_code=code,
        organisation=redact_contacts(organisation),
        name=redact_contacts(story.name) if names else None,
        role=redact_contacts(story.role) if names else None,
        links=publishable_links(story.links),
        submitted_at=story.submitted_at,
        submitted_on=f"{local.day} {local:%B %Y}",
    )


def group_by_technique(stories: Sequence[ExportStory]) -> list[Group]:
    """Technique groups in alphabetical order, the stories without one last."""
    groups: dict[str, Group] = {}
    anchors: set[str] = set()

    def group(name: str) -> Group:
        key = name.casefold()
        if key not in groups:
            anchor = base = "technique-" + (re.sub(r"[^a-z0-9]+", "-", key).strip("-") or "x")
            n = 2
            while anchor in anchors:
                anchor, n = f"{base}-{n}", n + 1
            anchors.add(anchor)
            groups[key] = Group(name, anchor)
        return groups[key]

    for story in sorted(stories, key=lambda s: (s.submitted_at, s.id)):
        if not story.techniques:
            group(NO_TECHNIQUE).stories.append(story)
            continue
        group(story.techniques[0]).stories.append(story)
        for other in story.techniques[1:]:
            group(other).see_also.append(story)
    return sorted(groups.values(),
                  key=lambda g: (g.name == NO_TECHNIQUE, g.name.casefold()))


def export_stories(
    db: Database,
    settings: Settings,
    fmt: str,
    *,
    names: bool = True,
    fragment: bool = False,
    lookups: Lookups | None = None,
) -> tuple[str, int]:
    """The export as text in `fmt` (md, html, csv) and how many stories it holds."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    directory = campaign_directory(settings, lookups)
    stories = [to_export(s, settings, names=names, directory=directory)
               for s in published_stories(db, lookups=lookups)]
    groups = group_by_technique(stories)
    heading = f"KM stories: {settings.campaign.name}"
    organisations = {s.organisation_code or s.organisation for s in stories} - {None}
    source = (f" from {_count(len(organisations), 'organisation', 'organisations')}"
              if organisations else "")
    intro = (f"{_count(len(stories), 'story', 'stories')}{source}, shared with their "
             "authors' consent and grouped by the technique they used first.")
    if fmt == "md":
        return render_markdown(groups, heading, intro), len(stories)
    if fmt == "html":
        return render_html(groups, heading, intro, fragment=fragment), len(stories)
    return render_csv(groups), len(stories)


def campaign_directory(settings: Settings, lookups: Lookups | None = None) -> Directory:
    """Organisation codes resolved as the campaign's report resolves them (`reports.scope`):
    the export and the report must not name one story's trust two ways."""
    from reports.scope import Directory

    if lookups is not None:
        catalogue = lookups.catalogue
    else:
        from knowvember.organisations import Catalogue

        catalogue = Catalogue.load(settings)
    return Directory(catalogue, settings.campaign.start, settings)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# -- Markdown -----------------------------------------------------------------------------


def md_escape(text: str | None) -> str:
    """Inline text for Markdown: its syntax escaped and any HTML shown, not run."""
    if not text:
        return ""
    text = printable(text, keep_newlines=False)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_INLINE.sub(r"\\\1", text)


def md_emphasis(text: str | None, mark: str = "**") -> str:
    """Inline text in bold (`**`) or italics (`*`), or "" when there is none.

    Inside the marks without space at either end: "**Jane Smith **" (a display name with a
    trailing space, common where a custom emoji was dropped) is not bold in Markdown, and
    the reader saw the asterisks."""
    inner = md_escape(text).strip()
    return f"{mark}{inner}{mark}" if inner else ""


def md_paragraphs(text: str | None) -> str:
    """Multi-line text as Markdown paragraphs, line breaks kept, nothing starting a list,
    quote, heading or code block."""
    if not text:
        return ""
    paragraphs = []
    for block in re.split(r"\n\s*\n", printable(text)):
        lines = []
        for line in block.split("\n"):
            # `>` is already an entity, which starts no quote; these would start a list,
            # a numbered list or a heading underline.
            line = _MD_LINE_START.sub(_escape_line_start, md_escape(line.strip()))
            if line:
                lines.append(line)
        if lines:
            paragraphs.append("  \n".join(lines))
    return "\n\n".join(paragraphs)


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    return marker[:-1] + "\\" + marker[-1]


def md_url(url: str) -> str:
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"


def render_markdown(groups: list[Group], heading: str, intro: str) -> str:
    out = [f"# {md_escape(heading)}", "", md_escape(intro), ""]
    if not groups:
        out += ["No stories have been approved for publication yet.", ""]
    for group in groups:
        out += [f"## {md_escape(group.name)}", ""]
        for story in group.stories:
            out += [f'<a id="story-{story.id}"></a>', "", f"### {md_escape(story.title)}", ""]
            out += [md_emphasis(story.byline, "*"), ""]
            out += [md_paragraphs(story.body), ""]
            if story.outcome:
                out += ["**Outcome and impact**", "", md_paragraphs(story.outcome), ""]
            if story.techniques:
                out += ["Techniques: " + ", ".join(md_escape(t) for t in story.techniques), ""]
            if story.links:
                out += [f"- {md_url(link)}" for link in story.links] + [""]
        if group.see_also:
            links = "; ".join(f"[{md_escape(s.title)}](#story-{s.id})" for s in group.see_also)
            out += [f"Also using {md_escape(group.name)}: {links}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- HTML ---------------------------------------------------------------------------------


def _paragraphs(text: str | None) -> list[list[str]]:
    if not text:
        return []
    blocks = re.split(r"\n\s*\n", printable(text))
    return [block.split("\n") for block in blocks if block.strip()]


def _html_environment():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["paragraphs"] = _paragraphs
    return env


def render_html(groups: list[Group], heading: str, intro: str, *, fragment: bool = False) -> str:
    shown = [Group(printable(g.name, keep_newlines=False), g.anchor,
                   [_shown(s) for s in g.stories],
                   [_shown(s) for s in g.see_also]) for g in groups]
    template = _html_environment().get_template("stories_export.html.j2")
    return template.render(groups=shown, heading=heading, intro=intro, fragment=fragment)


def _shown(story: ExportStory) -> ExportStory:
    """Single-line fields with control characters made visible (multi-line ones are done by
    the `paragraphs` filter)."""
    return ExportStory(
        id=story.id, title=printable(story.title, keep_newlines=False), body=story.body,
        outcome=story.outcome,
        techniques=tuple(printable(t, keep_newlines=False) for t in story.techniques),
        organisation_code=story.organisation_code,
        organisation=printable(story.organisation, keep_newlines=False) or None,
        name=printable(story.name, keep_newlines=False) or None,
        role=printable(story.role, keep_newlines=False) or None,
        links=story.links, submitted_at=story.submitted_at, submitted_on=story.submitted_on,
    )


# -- CSV ----------------------------------------------------------------------------------


def render_csv(groups: list[Group]) -> str:
    """One row per story, under its first technique; cells safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        for s in group.stories:
            writer.writerow([safe_cell(v) for v in (
                group.name, s.id, s.title, s.body, s.outcome or "", "; ".join(s.techniques),
                s.organisation_code or "", s.organisation or "", s.name or "", s.role or "",
                " ".join(s.links),
                s.submitted_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            )])
    return buffer.getvalue()

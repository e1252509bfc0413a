"""`knowvember stories ...`: submit, import, list, show, review, edit, delete and export.

Thin over `knowvember.stories` (the core), `collectors.forms` (form exports) and
`reports.stories_export`. Story text is untrusted: on the terminal it goes through
`printable` and rich `Text` (never markup), so a story cannot recolour the screen or
reorder a line.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from knowvember.cli.common import (
    TableOrJson,
    emit_json,
    err_console,
    handled,
    state,
    write_atomically,
)

if TYPE_CHECKING:
    from rich.console import Console

    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.stories import Lookups, StoryRecord, StoryValidationError

# Where each story field comes from on the command line, for messages.
OPTION_FOR = {
    "title": "--title", "body": "--body", "outcome": "--outcome", "techniques": "--technique",
    "organisation": "--org", "name": "--name", "email": "--email", "role": "--role",
    "links": "--link", "consent": "--consent/--no-consent",
}
PROMPTS = {
    "title": "Title of the story",
    "body": "What happened",
    "outcome": "Outcome / impact (blank for none)",
    "techniques": "Technique(s) used, separated by ';' (blank for none)",
    "organisation": "Organisation: ODS code or name (blank for none)",
    "name": "Your name",
    "email": "Your email address",
    "role": "Your role (blank for none)",
    "links": "Links, separated by spaces (blank for none)",
}
REVIEW_BODY_CHARS = 4000


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ImportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class ImportFormatOption(StrEnum):
    """`stories import --format`: the output format, as on every command; csv and xlsx
    still name the input format, as they did before --input-format."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class ExportFormat(StrEnum):
    md = "md"
    html = "html"
    csv = "csv"


def register(app: typer.Typer) -> None:
    stories_app = typer.Typer(
        help="KM stories: submission, form import, the coordinators' review and export.",
        no_args_is_help=True,
    )
    stories_app.command("submit")(submit)
    stories_app.command("import")(import_)
    stories_app.command("list")(list_)
    stories_app.command("show")(show)
    stories_app.command("trail")(trail)
    stories_app.command("approve")(approve)
    stories_app.command("reject")(reject)
    stories_app.command("request-changes")(request_changes)
    stories_app.command("edit")(edit)
    stories_app.command("delete")(delete)
    stories_app.command("review")(review)
    stories_app.command("export")(export)
    app.add_typer(stories_app, name="stories")


def _reviewer_option() -> Any:
    return typer.Option(
        None, "--reviewer", envvar="KNOWVEMBER_REVIEWER",
        help="Your name as coordinator, for the trail (default: $KNOWVEMBER_REVIEWER).",
    )


def _interactive(flag: bool | None) -> bool:
    return sys.stdin.isatty() if flag is None else flag


# -- submit and edit ----------------------------------------------------------------------


def _given_fields(
    title: str | None, body: str | None, body_file: Path | None, outcome: str | None,
    technique: list[str] | None, org: str | None, name: str | None, email: str | None,
    role: str | None, link: list[str] | None, consent: bool | None,
) -> dict[str, Any]:
    """The story fields given on the command line (absent ones left out)."""
    from knowvember.errors import InputError

    if body_file is not None:
        if body is not None:
            raise InputError("give --body or --body-file, not both")
        body = _read_body_file(body_file)
    values: dict[str, Any] = {
        "title": title, "body": body, "outcome": outcome, "organisation": org, "name": name,
        "email": email, "role": role, "consent": consent,
        "techniques": list(technique) if technique else None,
        "links": list(link) if link else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def _read_body_file(path: Path) -> str:
    """A story's text from a file (or stdin for `-`), as typed, with universal newlines.

    Notepad and Word save UTF-8 with a byte order mark, or "Unicode" (UTF-16 with one): the
    mark is not part of the story (kept, it began the body with an invisible U+FEFF), and a
    UTF-16 file is read as one rather than refused as bad UTF-8.
    """
    import codecs

    from knowvember.errors import InputError

    try:
        if str(path) == "-":
            return sys.stdin.read().removeprefix("\ufeff")
        raw = path.read_bytes()
    except (OSError, UnicodeDecodeError) as exc:  # stdin is decoded as it is read
        raise InputError(f"--body-file {path}: cannot read it ({exc})") from exc
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"--body-file {path}: not UTF-8 text (byte {exc.start + 1} is "
                         f"{raw[exc.start]:#04x}); save it as UTF-8 (in Notepad: Save as, "
                         "Encoding UTF-8) and try again") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cli_error(exc: StoryValidationError, *, asked: bool) -> Exception:
    from knowvember.errors import InputError

    missing = [OPTION_FOR.get(f, f) for f, why in exc.errors.items() if why.startswith("required")]
    other = [f"{OPTION_FOR.get(f, f)}: {why}" for f, why in exc.errors.items()
             if not why.startswith("required")]
    parts = []
    if missing:
        parts.append("missing required field(s): " + ", ".join(missing)
                     + ("" if asked else " (not on a terminal, so nothing was asked)"))
    parts.extend(other)
    return InputError("; ".join(parts))


def _ask(field: str) -> Any:
    import click

    if field == "consent":
        return click.confirm("May the story be published (consent to publish)?",
                             default=None, err=True)
    required = field in ("title", "body", "name", "email")
    value = click.prompt(PROMPTS[field], default=None if required else "",
                         show_default=False, err=True)
    return value


@handled
def submit(
    ctx: typer.Context,
    title: str | None = typer.Option(None, "--title", help="Title of the story."),
    body: str | None = typer.Option(None, "--body", help="What happened."),
    body_file: Path | None = typer.Option(
        None, "--body-file", help="Read the body from a UTF-8 file ('-' for standard input)."
    ),
    outcome: str | None = typer.Option(None, "--outcome", help="Outcome / impact."),
    technique: list[str] | None = typer.Option(
        None, "--technique", metavar="NAME", help="A technique used (repeat for several)."
    ),
    org: str | None = typer.Option(None, "--org", help="Organisation: ODS code or name."),
    name: str | None = typer.Option(None, "--name", help="Submitter's name."),
    email: str | None = typer.Option(None, "--email", help="Submitter's email (never exported)."),
    role: str | None = typer.Option(None, "--role", help="Submitter's role."),
    link: list[str] | None = typer.Option(
        None, "--link", metavar="URL", help="An http(s) link (repeat for several)."
    ),
    consent: bool | None = typer.Option(
        None, "--consent/--no-consent", help="Consent to publish the story (required)."
    ),
    interactive: bool | None = typer.Option(
        None, "--interactive/--no-interactive",
        help="Ask for missing required fields (default: only on a terminal).",
    ),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Submit a story; prints its id. Missing required fields are asked for on a terminal."""
    from knowvember.stories import (
        Lookups,
        StoryInput,
        StoryValidationError,
        get_story,
        submit_story,
    )

    app = state(ctx)
    settings = app.settings()
    raw = _given_fields(title, body, body_file, outcome, technique, org, name, email, role,
                        link, consent)
    ask = _interactive(interactive)
    while True:
        try:
            data = StoryInput.parse(raw, settings)
            break
        except StoryValidationError as exc:
            if not ask:
                raise _cli_error(exc, asked=False) from None
            field = next(iter(exc.errors))
            if field in raw:
                err_console().print(f"{OPTION_FOR.get(field, field)}: "
                                    f"{exc.errors[field]}", markup=False)
            raw[field] = _ask(field)  # one field at a time, checked as soon as it is given
    db = app.db()
    lookups = Lookups.load(settings)
    story, warnings = submit_story(db, settings, data, source="cli", lookups=lookups)
    _warn(warnings)
    if format is TableOrJson.json:
        # Read back as stored, so the JSON holds the trail ("submitted") like `stories show`.
        emit_json(get_story(db, story.id, lookups=lookups).to_json())
    else:
        typer.echo(story.id)
    _say(ctx, f"Story {story.id} submitted; it waits for a coordinator's review "
         "(`knowvember stories review`).")


@handled
def edit(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    title: str | None = typer.Option(None, "--title", help="New title."),
    body: str | None = typer.Option(None, "--body", help="New text of what happened."),
    body_file: Path | None = typer.Option(
        None, "--body-file", help="Read the new body from a UTF-8 file ('-' for stdin)."
    ),
    outcome: str | None = typer.Option(None, "--outcome", help="New outcome ('' clears it)."),
    technique: list[str] | None = typer.Option(
        None, "--technique", metavar="NAME",
        help="Techniques (replace the chosen ones; '' clears them).",
    ),
    org: str | None = typer.Option(None, "--org", help="Organisation: ODS code or name."),
    name: str | None = typer.Option(None, "--name", help="Submitter's name."),
    email: str | None = typer.Option(None, "--email", help="Submitter's email."),
    role: str | None = typer.Option(None, "--role", help="Submitter's role ('' clears it)."),
    link: list[str] | None = typer.Option(
        None, "--link", metavar="URL", help="Links (replace all; '' clears them)."
    ),
    consent: bool | None = typer.Option(None, "--consent/--no-consent", help="Consent."),
    note: str | None = typer.Option(None, "--note", help="Why it was edited (for the trail)."),
    reviewer: str | None = _reviewer_option(),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Edit a story; the previous version is kept in its trail.

    A story sent back for changes returns to the review queue when edited (not when only
    its consent is withdrawn: that is no answer to the changes asked for).
    """
    from knowvember.stories import (
        CHANGES_REQUESTED,
        Lookups,
        StoryValidationError,
        edit_story,
        get_story,
        resolve_reviewer,
        status_label,
    )

    app = state(ctx)
    settings = app.settings()
    editor = resolve_reviewer(reviewer)
    changes = _given_fields(title, body, body_file, outcome, technique, org, name, email,
                            role, link, consent)
    db = app.db()
    lookups = Lookups.load(settings)
    earlier = get_story(db, story_id, lookups=lookups)
    before = earlier.status
    try:
        story, warnings = edit_story(db, settings, story_id, changes, editor=editor, note=note,
                                     lookups=lookups)
    except StoryValidationError as exc:
        raise _cli_error(exc, asked=True) from None
    _warn(warnings)
    if format is TableOrJson.json:
        emit_json(story.to_json())
    back = (" and put back in the review queue"
            if before == CHANGES_REQUESTED and story.status != CHANGES_REQUESTED else "")
    _say(ctx, f"Story {story_id} edited{back} (now {status_label(story.status)}); the "
         "previous version is in its trail.")
    if earlier.published and not story.published:
        # Recording a withdrawal is why most coordinators run --no-consent: say it took.
        from knowvember.stories import report_hint

        err_console().print(f"Story {story_id} is no longer published: consent is withdrawn, "
                            "so exports and the /stories page leave it out."
                            + report_hint(settings), markup=False, style="yellow")


def _say(ctx: typer.Context, message: str, style: str = "") -> None:
    """An informational message on stderr (silenced by -q); user text already escaped."""
    if not state(ctx).quiet:
        err_console().print(message, markup=False, style=style)


def _warn(warnings: list[str]) -> None:
    from knowvember.stories import printable

    for warning in warnings:
        err_console().print("Warning: " + printable(warning, keep_newlines=False),
                            markup=False, style="yellow")


# -- import -------------------------------------------------------------------------------


@handled
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A Microsoft Forms or Google Forms export."),
    format: ImportFormatOption | None = typer.Option(
        None, "--format", help="Output format: table (a summary on stderr) or json (stdout). "
        "csv or xlsx here are taken as --input-format.",
    ),
    input_format: ImportFormat | None = typer.Option(
        None, "--input-format", help="The file's format, csv or xlsx (default: from the file "
        "name).",
    ),
    form: str | None = typer.Option(
        None, "--form", help="A name for this form, when one campaign imports several "
        "(keeps their response ids apart).",
    ),
    output: TableOrJson | None = typer.Option(
        None, "--output", help="The same as --format table|json."
    ),
    any_dates: bool = typer.Option(
        False, "--any-dates", help="Import an export whose responses were all sent outside "
        "the campaign's dates (refused without it: last year's form, say).",
    ),
) -> None:
    """Import stories from a form export; re-importing the same export adds nothing.

    Bad rows are reported with their row number and reason; the good rows are imported. Exit
    code 4 when some rows failed, 1 when all did.

    Example: knowvember stories import "KM stories.xlsx" --format json
    """
    from collectors.forms import import_form_export
    from knowvember.stories import Lookups, printable

    file_format, output = _import_formats(format, input_format, output)
    app = state(ctx)
    settings = app.settings()
    result = import_form_export(app.db(), settings, file, format=file_format, form=form,
                                lookups=Lookups.load(settings), any_dates=any_dates)
    console = err_console()
    if output is TableOrJson.json:
        emit_json(result.to_json())
    else:
        console.print(
            f"{file}: {result.rows} row(s): {result.imported} imported, "
            f"{result.already_imported} already imported, {result.failed} failed.",
            markup=False,
        )
        for error in result.errors:
            console.print(f"  row {error.row}: {printable(error.reason, keep_newlines=False)}",
                          markup=False, style="red")
        _warn(result.warnings)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _import_formats(format: ImportFormatOption | None, input_format: ImportFormat | None,
                    output: TableOrJson | None) -> tuple[str | None, TableOrJson]:
    """The input format (None: from the file name) and the output format of `stories import`.

    `--format` selects the output, as on every other command, so a script's `--format json`
    works here too; before `--input-format` existed it named the input (csv or xlsx), and
    those values still do. `--output` was the first spelling of the output format.
    """
    from knowvember.errors import InputError

    if format in (ImportFormatOption.csv, ImportFormatOption.xlsx):
        if input_format is not None and input_format.value != format.value:
            raise InputError(f"--format {format.value} and --input-format {input_format.value} "
                             "disagree; give the file's format once, as --input-format")
        input_format = ImportFormat(format.value)
    elif format is not None:
        chosen = TableOrJson(format.value)
        if output is not None and output is not chosen:
            raise InputError(f"--format {format.value} and --output {output.value} disagree; "
                             "give the output format once, as --format")
        output = chosen
    return (input_format.value if input_format else None), (output or TableOrJson.table)


# -- list and show ------------------------------------------------------------------------


@handled
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="submitted, approved, rejected or changes_requested "
        "(several separated by commas), or all.",
    ),
    org: str | None = typer.Option(None, "--org", help="Organisation: ODS code or name."),
    technique: str | None = typer.Option(None, "--technique", metavar="NAME", help="A technique."),
    format: ListFormat = typer.Option(ListFormat.table, "--format", help="Output format."),
    include_email: bool = typer.Option(
        False, "--include-email", help="Add submitters' emails (to contact them; keep the "
        "output private).",
    ),
) -> None:
    """List the campaign's stories, oldest first (emails only with --include-email)."""
    from knowvember.stories import Lookups, list_stories

    app = state(ctx)
    settings = app.settings()
    statuses = _statuses(status)
    lookups = Lookups.load(settings)
    stories = list_stories(app.db(), status=statuses, org=org, technique=technique,
                           lookups=lookups)
    if not stories:
        _warn(_unknown_filters(org, technique, lookups))
    if format is ListFormat.json:
        emit_json([s.to_json(include_email=include_email, include_events=False)
                   for s in stories])
    elif format is ListFormat.csv:
        sys.stdout.write(_stories_csv(stories, include_email=include_email))
    else:
        _stories_table(stories, settings)
    if format is ListFormat.table or not stories:
        _say(ctx, f"{len(stories)} stor{'y' if len(stories) == 1 else 'ies'}.")


def _statuses(status: str | None) -> list[str] | None:
    """`--status`: statuses separated by commas (`changes-requested` as the command is
    spelt); `all`, as the web app's filter says, is every status."""
    if not status:
        return None
    statuses = [s.strip().casefold().replace("-", "_") for s in status.split(",") if s.strip()]
    return None if "all" in statuses or not statuses else statuses


def _unknown_filters(org: str | None, technique: str | None, lookups: Lookups) -> list[str]:
    """Why a filter may have found nothing: an organisation or technique the catalogue or
    taxonomy does not know is matched only as typed in a story (`--org Leeds`, which names
    several trusts, listed no story of any, without a word)."""
    warnings = []
    if org and org.strip() and lookups.catalogue.resolve(org.strip()) is None:
        likely = ", ".join(f"{c.code} ({c.name})" for c in lookups.catalogue.match(org, limit=3))
        warnings.append(
            f"--org {org.strip()!r} is no ODS code or organisation name known for sure, so "
            "only stories whose organisation was typed exactly so are listed"
            + (f"; give a code: perhaps one of {likely}" if likely else "")
            + f" (`knowvember orgs match {org.strip()!r}`)")
    if technique and technique.strip() and lookups.taxonomy.get(technique) is None:
        warnings.append(
            f"--technique {technique.strip()!r} is no technique the taxonomy knows, so only "
            "stories with a technique of that very name are listed (`knowvember techniques "
            "list` shows the names and synonyms)")
    return warnings


LIST_CSV_COLUMNS = (
    "id", "status", "submitted_at", "title", "organisation_code", "organisation",
    "techniques", "consent", "source", "name", "role", "links", "updated_at",
)


def _stories_csv(stories: list[StoryRecord], *, include_email: bool) -> str:
    import csv
    import io

    from knowvember.stories import iso
    from reports.cells import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*LIST_CSV_COLUMNS, *(["email"] if include_email else [])])
    for s in stories:
        row = [s.id, s.status, iso(s.submitted_at), s.title, s.organisation_code or "",
               s.organisation or "", "; ".join(s.techniques), "yes" if s.consent else "no",
               s.source, s.name or "", s.role or "", " ".join(s.links), iso(s.updated_at)]
        if include_email:
            row.append(s.email or "")
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def _local(value: Any, settings: Settings) -> str:
    from reports.story_trail import local_time

    return local_time(value, settings)


def _stories_table(stories: list[StoryRecord], settings: Settings) -> None:
    from rich.table import Table
    from rich.text import Text

    from knowvember.cli.common import out_console
    from knowvember.stories import printable, status_label

    def cell(value: str | None, limit: int = 60) -> Text:
        text = printable(value, keep_newlines=False)
        return Text(text if len(text) <= limit else text[: limit - 1] + "…")

    table = Table(show_lines=False, header_style="bold")
    for column in ("ID", "Status", "Submitted", "Org", "Consent"):
        table.add_column(column, no_wrap=True)
    table.add_column("Title", overflow="fold", ratio=3)
    table.add_column("Techniques", overflow="fold", ratio=2)
    for s in stories:
        table.add_row(
            str(s.id), status_label(s.status),
            f"{s.submitted_at.astimezone(settings.campaign.tz):%Y-%m-%d}",
            cell(s.organisation_code or s.organisation_text, 12),
            "yes" if s.consent else "no", cell(s.title), cell(", ".join(s.techniques), 50),
        )
    out_console().print(table)


@handled
def show(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Show a story with its review trail (who did what, when, with which note)."""
    from knowvember.cli.common import out_console
    from knowvember.stories import Lookups, get_story

    app = state(ctx)
    settings = app.settings()
    story = get_story(app.db(), story_id, lookups=Lookups.load(settings))
    if format is TableOrJson.json:
        emit_json(story.to_json())
        return
    render_story(out_console(), story, settings, trail=True)


@handled
def trail(
    ctx: typer.Context,
    story_ids: list[int] | None = typer.Argument(
        None, metavar="ID", help="Only these stories (default: every story)."),
    status: str | None = typer.Option(
        None, "--status", help="Only stories with this status now: submitted, approved, "
        "rejected, changes_requested or deleted (erased on request; several separated by "
        "commas)."),
    format: ListFormat = typer.Option(ListFormat.table, "--format", help="Output format."),
    out: Path | None = typer.Option(None, "--out", metavar="<path>",
                                    help="Write to FILE (default: stdout)."),
) -> None:
    """The review trail of every story in one table: who did what, when, with which note.

    Oldest first, one row per step (submitted, approved, rejected, changes requested, edited,
    with the fields an edit changed, deleted). `--format csv` opens in a spreadsheet; emails
    and the versions edits replaced stay out (`stories show ID` has them). A story erased on
    request keeps only who did what and when, under status deleted.
    """
    from knowvember.errors import InputError, NotFoundError
    from knowvember.stories import (
        ERASED,
        STATUSES,
        Lookups,
        erased_trails,
        list_stories,
        trail_rows,
    )
    from reports.story_trail import CSV_FILE_BOM, trail_csv

    app = state(ctx)
    settings = app.settings()
    statuses = _statuses(status)
    for value in statuses or ():
        if value not in (*STATUSES, ERASED):
            raise InputError(f"unknown status {value!r}; statuses are "
                             f"{', '.join((*STATUSES, ERASED))}")
    live = [s for s in statuses if s != ERASED] if statuses else None
    ids = sorted(set(story_ids)) if story_ids else None
    found = list_stories(app.db(), status=live, ids=ids, with_events=True,
                         lookups=Lookups.load(settings)) if live is None or live else []
    erased = erased_trails(app.db(), ids) if statuses is None or ERASED in statuses else {}
    if ids:
        missing = sorted(set(ids) - {story.id for story in found} - set(erased))
        if missing and not statuses:
            raise NotFoundError(f"there is no story {', '.join(map(str, missing))} in this "
                                "campaign (see `knowvember stories list`)")
    rows = trail_rows(found, erased)
    count = len(found) + len(erased)
    if format is ListFormat.table and out is None:
        _trail_table(rows, settings)
        _say(ctx, f"{len(rows)} step(s) of {count} stor{'y' if count == 1 else 'ies'}.")
        return
    if format is ListFormat.json:
        import json

        from knowvember.stories import iso

        text = json.dumps([{**row, "at": iso(row["at"])} for row in rows], indent=2,
                          ensure_ascii=False) + "\n"
    else:
        text = trail_csv(rows, settings)
    if out is None:
        sys.stdout.write(text)
        return
    if format is ListFormat.csv:
        text = CSV_FILE_BOM + text
    write_atomically(out, text, f"trail.{'json' if format is ListFormat.json else 'csv'}")
    _say(ctx, f"Wrote {len(rows)} step(s) of {count} "
              f"stor{'y' if count == 1 else 'ies'} to {out}")


def _trail_table(rows: list[dict[str, Any]], settings: Settings) -> None:
    from rich.table import Table
    from rich.text import Text

    from knowvember.cli.common import out_console
    from knowvember.stories import CHANGE_LABELS, printable, status_label

    table = Table(header_style="bold")
    for column in ("When", "Story", "Step", "By"):
        table.add_column(column, no_wrap=column != "By")
    table.add_column("Note", overflow="fold", ratio=3)
    for row in rows:
        note = printable(row["note"], keep_newlines=False) if row["note"] else ""
        if row["changed"]:
            note += f" (changed: {', '.join(CHANGE_LABELS[n] for n in row['changed'])})"
        table.add_row(_local(row["at"], settings), str(row["story_id"]),
                      status_label(row["action"]),
                      Text(printable(row["reviewer"], keep_newlines=False) if row["reviewer"]
                           else ""), Text(note.strip()))
    out_console().print(table)


def render_story(
    console: Console, story: StoryRecord, settings: Settings, *, trail: bool = True,
    body_limit: int | None = None,
) -> None:
    """A story for a coordinator's eyes: every user string escaped, never markup."""
    from rich.text import Text

    from knowvember.stories import printable, status_label

    def line(label: str, value: str | None, style: str = "") -> None:
        text = Text(f"{label}: ", style="bold")
        text.append(printable(value, keep_newlines=False) if value else "(none)", style=style)
        console.print(text)

    console.print(Text(f"#{story.id}  ", style="bold") +
                  Text(printable(story.title, keep_newlines=False), style="bold"))
    line("Status", f"{status_label(story.status)} · source {story.source} · submitted "
                   f"{_local(story.submitted_at, settings)} ({settings.campaign.timezone})")
    if story.organisation_name:
        line("Organisation", f"{story.organisation_name} ({story.organisation_code})")
    elif story.organisation_code:
        line("Organisation", story.organisation_code)
    else:
        line("Organisation", f"{story.organisation_text} (not in the catalogue)"
             if story.organisation_text else None)
    line("Techniques", ", ".join(story.techniques) or None)
    who = ", ".join(p for p in (story.name, story.role) if p)
    line("Submitted by", f"{who} <{story.email}>" if story.email else who)
    line("Consent to publish", "yes" if story.consent else
         "NO: it will not be published, even if approved",
         style="" if story.consent else "bold red")
    if story.links:
        line("Links", "  ".join(story.links))
    for label, value in (("What happened", story.body), ("Outcome / impact", story.outcome)):
        if not value:
            continue
        console.print(Text(f"\n{label}:", style="bold"))
        shown = printable(value)
        if body_limit and len(shown) > body_limit:
            shown = (shown[:body_limit] + f"\n… ({len(shown) - body_limit:,} more characters: "
                     f"`knowvember stories show {story.id}`)")
        console.print(Text(shown))
    if trail and story.events:
        from knowvember.stories import edit_changes

        changes = edit_changes(story)
        console.print(Text("\nTrail:", style="bold"))
        for event in story.events:
            text = Text(f"  {_local(event.at, settings)}  {status_label(event.action)}")
            if event.reviewer:
                text.append(f" by {printable(event.reviewer, keep_newlines=False)}")
            if event.note:
                text.append(f": {printable(event.note, keep_newlines=False)}")
            if changes.get(event.id):  # which answers the edit changed, not only that it did
                text.append(f" (changed: {', '.join(c.label for c in changes[event.id])})")
            console.print(text)


# -- review decisions ---------------------------------------------------------------------


def _decide(
    ctx: typer.Context, action: str, story_id: int, note: str | None, reviewer: str | None,
    format: TableOrJson,
) -> None:
    import click

    from knowvember.stories import ACTIONS, Lookups, printable, resolve_reviewer, transition

    app = state(ctx)
    settings = app.settings()
    who = resolve_reviewer(reviewer)
    spec = ACTIONS[action]
    if spec.needs_note and not (note and note.strip()) and sys.stdin.isatty():
        note = click.prompt("Note (why? it is kept in the trail)", err=True)
    story = transition(app.db(), story_id, action, reviewer=who, note=note,
                       lookups=Lookups.load(settings))
    if format is TableOrJson.json:
        emit_json(story.to_json())
    _say(ctx, f"Story {story_id} {spec.verb} by {printable(who, keep_newlines=False)}.")
    if action == "approve" and not story.consent:
        _not_published_note()


def _not_published_note() -> None:
    """Said whenever a story without consent is approved (by command or in the queue)."""
    err_console().print("Note: the submitter did not consent to publication, so it will "
                        "not appear in exports.", markup=False, style="yellow")


@handled
def approve(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    note: str | None = typer.Option(None, "--note", help="An optional note for the trail."),
    reviewer: str | None = _reviewer_option(),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Approve a submitted story (published if its submitter consented)."""
    _decide(ctx, "approve", story_id, note, reviewer, format)


@handled
def reject(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    note: str | None = typer.Option(None, "--note", help="Why it is rejected (required)."),
    reviewer: str | None = _reviewer_option(),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Reject a submitted story, with a note saying why."""
    _decide(ctx, "reject", story_id, note, reviewer, format)


@handled
def request_changes(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    note: str | None = typer.Option(None, "--note", help="What should change (required)."),
    reviewer: str | None = _reviewer_option(),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Send a submitted story back for changes, with a note saying what to change."""
    _decide(ctx, "request_changes", story_id, note, reviewer, format)


@handled
def delete(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., metavar="ID", help="The story's id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    reviewer: str | None = _reviewer_option(),
) -> None:
    """Erase a story on request: it and its personal data are gone for good.

    The trail keeps only that the story was deleted (and who reviewed it when, without notes).
    """
    import click

    from knowvember.errors import InputError
    from knowvember.stories import delete_story, get_story, resolve_reviewer

    app = state(ctx)
    who = resolve_reviewer(reviewer)
    db = app.db()
    get_story(db, story_id)  # a clear "no such story" before asking
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("deleting erases the story for good; add --yes to confirm")
        if not click.confirm(f"Erase story {story_id} and its personal data for good?",
                             default=False, err=True):
            raise typer.Exit(1)
    delete_story(db, story_id, reviewer=who)
    _say(ctx, f"Story {story_id} erased: the story and its personal data are gone; the "
         "trail keeps only that it was deleted.")


# -- the review queue ---------------------------------------------------------------------

KEYS = {"a": "approve", "r": "reject", "c": "request_changes", "s": "skip", "q": "quit"}
# What a line of piped input may say instead of the key alone.
ANSWER_WORDS = {
    **{key: key for key in KEYS}, "approve": "a", "reject": "r", "changes": "c",
    "request changes": "c", "request-changes": "c", "request_changes": "c", "skip": "s",
    "quit": "q",
}
NOTE_PROMPT = "Note (why? the trail keeps it): "


class TerminalAnswers:
    """The review's answers from a person at a terminal: one raw key press per decision."""

    def key(self) -> str:
        import click

        while True:
            try:
                key = click.getchar().lower()
            except (EOFError, KeyboardInterrupt):
                return "q"
            if key in KEYS:
                return key
            if key.strip():
                err_console().print("Press a, r, c, s or q.", markup=False)

    def note(self) -> str | None:
        """The note typed, or None when the coordinator quit (Ctrl-C, Ctrl-D)."""
        import click

        try:
            return str(click.prompt(NOTE_PROMPT.rstrip(": "), default="",
                                    show_default=False, err=True))
        except click.Abort:
            err_console().print()
            return None


def _keystrokes(line: str) -> bool:
    """Whether a first line of piped input is keys run together (`aar...`), which no
    answer word starts with."""
    return len(line) >= 2 and line[0] in KEYS and line[1] in KEYS


class PipedAnswers:
    """The review's answers from a file or a script, never mistaking a note for a decision.

    Written one answer per line (`a`, `approve`, `r`, `reject`, `c`, `s`, `q`, ...), the
    note of a reject or request-changes on the line after it: that is how a heredoc or
    `printf 'r\\nnot relevant\\n'` sends them. Read key by key instead, the `r` and the
    newline after it took the note's place, and the note's letters were then read as keys:
    a note of "Spam" approved the story with its `a`. A line that is no answer ("approve
    it") decides nothing. Only input that starts with keys run together (`ar` + note +
    newline, as a terminal would send them) is read key by key.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.by_line: bool | None = None  # decided by the first non-blank line
        self.pending = ""  # the rest of a line being read key by key

    def key(self) -> str:
        from knowvember.stories import printable

        while True:
            if self.by_line is not False:
                line = self.stream.readline()
                if line == "":
                    return "q"  # end of input
                answer = " ".join(line.split()).lower()
                if not answer:
                    continue
                if self.by_line is None:
                    self.by_line = not _keystrokes(answer)
                    if not self.by_line:
                        self.pending = line
                        continue
                if answer in ANSWER_WORDS:
                    return ANSWER_WORDS[answer]
                err_console().print(
                    f"Not an answer: {printable(line.strip(), keep_newlines=False)[:60]!r}; "
                    "give a, r, c, s or q on a line of its own (the note on the line after r "
                    "or c).", markup=False)
                continue
            key = self._char()
            if key == "":
                return "q"
            if key.lower() in KEYS:
                return key.lower()
            if key.strip():
                err_console().print("Press a, r, c, s or q.", markup=False)

    def note(self) -> str | None:
        """The note, or None at the end of the input (which quits, as `q` does)."""
        from knowvember.stories import printable

        err_console().print(NOTE_PROMPT, markup=False, end="")
        if self.by_line:
            line = self.stream.readline()
        else:  # the rest of the line the key was on
            head, newline, rest = self.pending.partition("\n")
            if newline:
                self.pending = rest
                line = head + newline
            else:
                self.pending = ""
                line = head + self.stream.readline()
        if line == "":
            err_console().print()
            return None
        note = line.rstrip("\r\n")
        err_console().print(printable(note, keep_newlines=False), markup=False)
        return note

    def _char(self) -> str:
        if self.pending:
            key, self.pending = self.pending[0], self.pending[1:]
            return key
        return str(self.stream.read(1))


@handled
def review(
    ctx: typer.Context,
    reviewer: str | None = _reviewer_option(),
) -> None:
    """Review the queue one story at a time, oldest first, with one key per decision.

    a approve, r reject (asks for a note), c request changes (asks for a note), s skip,
    q quit.
    """
    from knowvember.stories import Lookups, pending_stories, resolve_reviewer

    app = state(ctx)
    settings = app.settings()
    who = resolve_reviewer(reviewer)
    db = app.db()
    lookups = Lookups.load(settings)
    queue = pending_stories(db, lookups=lookups)
    console = err_console()
    if not queue:
        console.print("Nothing waits for review.", markup=False)
        return
    done = {"approve": 0, "reject": 0, "request_changes": 0, "skip": 0}
    answers = TerminalAnswers() if sys.stdin.isatty() else PipedAnswers(sys.stdin)
    for position, queued in enumerate(queue, start=1):
        story = _still_waiting(db, queued.id, lookups)
        while story is not None:
            console.rule(f"{position} of {len(queue)}")
            render_story(console, story, settings, trail=True, body_limit=REVIEW_BODY_CHARS)
            action = _review_one(answers, console, db, story, who, lookups)
            if action == "quit":
                _review_summary(done, len(queue))
                return
            if action != "changed":
                if action in done:
                    done[action] += 1
                break
            # Edited (or sent back and answered) while it was on the screen: shown again as
            # it is now, or passed over if it has left the queue.
            story = _still_waiting(db, story.id, lookups)
    _review_summary(done, len(queue))


def _still_waiting(db: Database, story_id: int, lookups: Lookups) -> StoryRecord | None:
    """The story as it is now, or None (said why) when it is no longer waiting for review:
    another coordinator may have decided or deleted it since the queue was read."""
    from knowvember.errors import NotFoundError
    from knowvember.stories import SUBMITTED, get_story, status_label

    console = err_console()
    try:
        story = get_story(db, story_id, lookups=lookups)
    except NotFoundError:
        console.print(f"Story {story_id} was deleted meanwhile; moving on.", markup=False,
                      style="yellow")
        return None
    if story.status != SUBMITTED:
        console.print(f"Story {story.id} was decided meanwhile (now "
                      f"{status_label(story.status)}); moving on.", markup=False,
                      style="yellow")
        return None
    return story


def _review_one(answers: TerminalAnswers | PipedAnswers, console: Console, db: Database,
                story: StoryRecord, who: str, lookups: Lookups) -> str:
    """Ask for one story's decision and make it: the action done, "skip", "quit",
    "conflict" (decided or deleted by someone else), or "changed" (edited since it was
    shown: the decision is not made, and the story is to be shown again)."""
    from knowvember.errors import ConflictError, NotFoundError
    from knowvember.stories import ACTIONS, StoryChanged, transition

    while True:
        console.print("\n[a]pprove  [r]eject  [c] request changes  [s]kip  [q]uit ",
                      markup=False, end="")
        key = answers.key()
        console.print(key, markup=False)
        action = KEYS[key]
        if action in ("quit", "skip"):
            return action
        note = None
        if ACTIONS[action].needs_note:
            note = answers.note()
            if note is None:  # Ctrl-C or Ctrl-D at the note: quit, as at the key
                return "quit"
            if not note.strip():
                console.print("A note is needed for that; choose again.", markup=False)
                continue
        try:
            transition(db, story.id, action, reviewer=who, note=note, lookups=lookups,
                       seen=story.version)
        except StoryChanged as exc:
            step = f" ({exc.step})" if exc.step else ""
            console.print(f"Story {story.id} changed while you were reading it{step}; not "
                          f"{ACTIONS[action].verb}. Here it is as it is now.", markup=False,
                          style="yellow")
            return "changed"
        except (ConflictError, NotFoundError) as exc:
            console.print(str(exc), markup=False, style="yellow")
            return "conflict"
        console.print(f"Story {story.id} {ACTIONS[action].verb}.", markup=False,
                      style="green")
        if action == "approve" and not story.consent:
            _not_published_note()
        return action


def _review_summary(done: dict[str, int], total: int) -> None:
    decided = done["approve"] + done["reject"] + done["request_changes"]
    err_console().print(
        f"Decided {decided} of {total}: {done['approve']} approved, {done['reject']} rejected, "
        f"{done['request_changes']} sent back for changes, {done['skip']} skipped.",
        markup=False,
    )


# -- export -------------------------------------------------------------------------------


@handled
def export(
    ctx: typer.Context,
    format: ExportFormat = typer.Option(ExportFormat.md, "--format", help="md, html or csv."),
    out: Path | None = typer.Option(None, "--out", help="Write to FILE (default: stdout)."),
    anonymous: bool = typer.Option(
        False, "--anonymous", help="Leave out submitters' names and roles."
    ),
    fragment: bool = typer.Option(
        False, "--fragment", help="HTML only: the stories section alone, to paste into a page."
    ),
) -> None:
    """Export the approved stories with consent to publish, grouped by technique.

    Email addresses never appear, not even ones written into a story's text.
    """
    from knowvember.stories import Lookups
    from reports.stories_export import export_stories
    from reports.story_trail import CSV_FILE_BOM

    app = state(ctx)
    settings = app.settings()
    text, count = export_stories(app.db(), settings, format.value, names=not anonymous,
                                 fragment=fragment, lookups=Lookups.load(settings))
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(out, CSV_FILE_BOM + text if format is ExportFormat.csv else text,
                         f"km-stories.{format.value}")
        _say(ctx, f"Wrote {count} stor{'y' if count == 1 else 'ies'} to {out}")



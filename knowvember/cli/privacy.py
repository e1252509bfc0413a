"""Personal data: `forget ACCOUNT` erases an account on request and keeps it erased."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled, state

if TYPE_CHECKING:
    from knowvember.privacy import ForgetReport


def register(app: typer.Typer) -> None:
    app.command("forget")(forget)


def _what(report: ForgetReport) -> str:
    parts = [
        f"{report.accounts} account profile(s)",
        f"{report.posts} post(s) ({report.hashtags} hashtag and {report.techniques} technique "
        "tag(s))",
        f"{report.reposts} repost(s) of them",
    ]
    if report.others_posts_redacted:
        parts.append(f"the account's handle, name and links to its posts from "
                     f"{report.others_posts_redacted} post(s) by others (their own words stay)")
    if report.raw_payloads_cleared:
        parts.append(f"the raw payload of {report.raw_payloads_cleared} post(s) by others "
                     "that embed the account")
    if report.payload_dictionaries_dropped:
        parts.append(f"{report.payload_dictionaries_dropped} compression dictionar(ies) "
                     "holding the account (the payloads they compressed are compressed again "
                     "without it)")
    if report.run_log_entries_redacted:
        parts.append(f"the handle in {report.run_log_entries_redacted} run log entr(ies)")
    return ", ".join(parts)


_LINKS = {"renamed": "its handle now", "moved": "the other end of a Mastodon move"}


def _who(report: ForgetReport) -> str:
    """The account named, and the same person's other accounts that go with it: a handle
    given from before a rename erases the account under its new one, and a Mastodon move
    links two. Said, so that nobody is surprised which profiles were erased."""
    named = f"{report.platform}:{report.handle}"
    if report.stored_as:  # the address names an account stored under another handle
        named = f"{', '.join(report.stored_as)} (named by {report.account})"
    if not report.same_person:
        return named
    others = ", ".join(f"{o['account']} ({_LINKS.get(o['link'], o['link'])})"
                       for o in report.same_person)
    return f"{named} and the same person's {others}"


@handled
def forget(
    ctx: typer.Context,
    account: str = typer.Argument(
        ..., metavar="ACCOUNT",
        help="platform:handle, e.g. x:@UHLLibraries, mastodon:@lib@nhs.social, "
        "bluesky:lib.bsky.social, or the profile's address (https://x.com/UHLLibraries)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be removed, and remove nothing."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Erase an account's posts, raw payloads and profile, and never collect it again (UK GDPR).

    Every campaign in the database is covered. Other people's posts keep their own words,
    but its handle, name and links to its posts become "[forgotten account]". Later
    collections and imports skip the account: only a one-way digest of its handle and id
    is kept, no personal data. --dry-run says what it would remove.
    Example: knowvember forget x:@someone --yes
    """
    import click

    from knowvember import privacy
    from knowvember.errors import InputError

    app = state(ctx)
    if ":" not in account and not account.strip().startswith("@") and "@" in account:
        # An erasure request from a story's submitter gives their email: `forget` covers
        # collected accounts only, and the message was just "not platform:handle".
        # (or a Mastodon address written without its platform, which looks the same)
        raise InputError(
            f"ACCOUNT: {account[:80]!r} looks like an email address; forget erases a social "
            "media account (platform:handle; a Mastodon address is written "
            f"mastodon:@{account.strip()[:80]}). To erase a story submitter's data, find their "
            "stories with `knowvember stories list --include-email` and erase each with "
            "`knowvember stories delete ID --yes`")
    privacy.parse_account(account)  # a clear usage error before anything else
    settings = app.settings()
    db = app.db()
    if dry_run:
        found = privacy.preview(db, account, settings)
        if format is TableOrJson.json:
            emit_json(found.to_json())
        else:
            typer.echo(f"Would forget {_who(found)}: would remove "
                       f"{_what(found)}. Nothing was changed.")
        _config_warnings(found, dry_run=True)
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("forget erases the account's data for good; add --yes to confirm")
        found = privacy.preview(db, account)
        question = (f"Erase {_what(found)} for {_who(found)}, and skip the "
                    "account in every later collection and import?")
        if not click.confirm(question, default=False, err=True):
            raise typer.Exit(1)
    report = privacy.forget(db, account, settings)
    if format is TableOrJson.json:
        emit_json(report.to_json())
    elif report.removed_anything:
        typer.echo(f"Forgot {_who(report)}: removed {_what(report)}.")
    else:
        typer.echo(f"Nothing stored for {report.platform}:{report.handle}; it is on the "
                   "forgotten list, so no later collection or import will store it.")
    if report.already_forgotten and not report.removed_anything:
        err_console().print("(It was already forgotten.)")
    _config_warnings(report)


def _config_warnings(report: ForgetReport, *, dry_run: bool = False) -> None:
    """Where campaign.toml and the report written before still name the account: forget
    edits neither."""
    from rich.markup import escape

    for place in report.still_in_config:
        err_console().print(f"[yellow]campaign.toml still names the account in "
                            f"{escape(place)}; remove it from the file.[/]")
    for folder in report.reports_written_before:
        when = ("shows the account and will after forget too" if dry_run else
                "was written before this and still shows the account")
        err_console().print(
            f"[yellow]The report in {escape(folder)} {when}: write it again (`knowvember "
            "report`) and replace the copies already shared. Backups made before hold it too: "
            "`knowvember db restore` of one erases it again, a pg_restore does not (run this "
            "forget again after one).[/]")

"""`orgs ...`, `classify` and `techniques ...`: organisations, attribution and techniques.

Thin over `knowvember.organisations` (the catalogue), `knowvember.attribution` (who belongs
where), `knowvember.techniques` (the taxonomy) and `knowvember.retag`. Profile text is
untrusted: tables show it through rich `Text`, never as markup.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled, state

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.organisations import Candidate, Catalogue, Organisation
    from knowvember.techniques import Taxonomy

FORMAT = typer.Option(TableOrJson.table, "--format", help="Output format.")


def register(app: typer.Typer) -> None:
    orgs_app = typer.Typer(
        help="Organisations: the catalogue, matching names, and attributing accounts.",
        no_args_is_help=True,
    )
    orgs_app.command("list")(orgs_list)
    orgs_app.command("show")(orgs_show)
    orgs_app.command("match")(orgs_match)
    orgs_app.command("unmatched")(orgs_unmatched)
    orgs_app.command("assign")(orgs_assign)
    orgs_app.command("unassign")(orgs_unassign)
    orgs_app.command("attribute")(orgs_attribute)
    app.add_typer(orgs_app, name="orgs")
    app.command("classify")(classify)
    techniques_app = typer.Typer(
        help="Knowledge mobilisation techniques: the taxonomy and re-tagging.",
        no_args_is_help=True,
    )
    techniques_app.command("list")(techniques_list)
    techniques_app.command("retag")(techniques_retag)
    app.add_typer(techniques_app, name="techniques")


# -- helpers -------------------------------------------------------------------------------


def _optional_settings(ctx: typer.Context) -> Settings | None:
    """The campaign's settings, or None when there is no campaign.toml to find.

    Commands that only read the catalogue or taxonomy (list, show, match, classify) work
    without a campaign, on the built-in data. A config that exists but is invalid is still
    an error.
    """
    from knowvember.config import CONFIG_FILENAME, ENV_CONFIG

    app = state(ctx)
    if (app.config_path is None and not os.environ.get(ENV_CONFIG)
            and not (Path.cwd() / CONFIG_FILENAME).is_file()):
        return None
    return app.settings()


def _catalogue(settings: Settings | None) -> Catalogue:
    from knowvember.organisations import Catalogue

    return Catalogue.load(settings)


def _text(value: object) -> Any:
    """A table cell: markup shown as written, control characters made visible (a display
    name from an API must not move the cursor or recolour the terminal)."""
    from rich.text import Text

    from knowvember.stories import printable

    return Text(printable("" if value is None else str(value), keep_newlines=False))


def _print(renderable: Any) -> None:
    from knowvember.cli.common import out_console

    out_console().print(renderable)


def _org_json(org: Organisation) -> dict[str, Any]:
    return {
        "code": org.code, "name": org.name, "region": org.region, "region_code": org.region_code,
        "kind": org.kind, "out_of_scope": org.out_of_scope, "opened": org.opened,
        "closed": org.closed, "successor_codes": list(org.successor_codes),
        "former_names": [{"name": n, "seen_in": s.split(";")} for n, s in org.former_names],
    }


def _candidates_table(candidates: list[Candidate], title: str) -> Any:
    from rich.table import Table

    table = Table(title=_text(title), title_justify="left")
    for column in ("code", "name", "region", "confidence", "auto", "matched"):
        table.add_column(column, justify="right" if column == "confidence" else "left")
    for c in candidates:
        table.add_row(_text(c.code), _text(c.name), _text(c.region or ""),
                      f"{c.confidence:.2f}", "yes" if c.auto else "no", _text(c.matched or ""))
    return table


def _parse_ref(ref: str) -> tuple[str, str]:
    from knowvember.errors import InputError
    from knowvember.records import parse_account_ref

    try:
        return parse_account_ref(ref)
    except ValueError as exc:
        raise InputError(str(exc)) from None


# -- orgs ----------------------------------------------------------------------------------


@handled
def orgs_list(
    ctx: typer.Context,
    region: str | None = typer.Option(None, "--region", help="Only this NHS England region "
                                      "(e.g. 'North West'; case does not matter)."),
    closed: bool = typer.Option(False, "--closed", help="Include trusts closed since 2017."),
    format: TableOrJson = FORMAT,
) -> None:
    """List the organisations catalogue: NHS trusts and campaign.toml additions."""
    from knowvember.errors import InputError

    catalogue = _catalogue(_optional_settings(ctx))
    orgs = [o for o in catalogue if closed or o.kind != "closed"]
    if region:
        from knowvember.organisations import region_key

        wanted = region_key(region)
        known = catalogue.regions()
        if wanted not in {region_key(r) for r in known}:
            raise InputError(f"unknown region {region!r}; regions are {', '.join(known)}")
        orgs = [o for o in orgs if region_key(o.region or "") == wanted]
    orgs.sort(key=lambda o: (o.region or "~", o.name.casefold()))
    if format is TableOrJson.json:
        emit_json([_org_json(o) for o in orgs])
        return
    from rich.table import Table

    table = Table(title=f"Organisations ({len(orgs)})", title_justify="left")
    for column in ("code", "name", "region", "kind"):
        table.add_column(column)
    for org in orgs:
        kind = org.kind + (", out of scope" if org.out_of_scope else "")
        table.add_row(_text(org.code), _text(org.name), _text(org.region or ""), _text(kind))
    _print(table)


@handled
def orgs_show(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="ODS code (e.g. RWE) or a code from campaign.toml."),
    format: TableOrJson = FORMAT,
) -> None:
    """Show one organisation: names over time, successor, aliases and its accounts."""
    import datetime as dt

    from knowvember.errors import NotFoundError

    settings = _optional_settings(ctx)
    catalogue = _catalogue(settings)
    org = catalogue.get(code)
    if org is None:
        raise NotFoundError(_not_found(catalogue, code))
    accounts: list[tuple[Any, int]] = []
    campaign_lines: list[str] = []
    reported: Organisation | None = None
    if settings is not None:
        accounts, reported, campaign_lines = _campaign_view(ctx, settings, catalogue, org)
    aliases = catalogue.aliases_of(org.code)
    successor = None
    if org.closed:
        successor = catalogue.current_code(org.code, dt.date.max)
    formed_from = sorted(o.code for o in catalogue if org.opened and o.closed
                         and org.code in o.successor_codes
                         and o.closed + dt.timedelta(days=1) == org.opened)
    data = {
        **_org_json(org),
        "config_aliases": list(org.aliases),
        "reported_as_after_closure": successor if successor != org.code else None,
        "reported_as": (None if reported is None
                        else {"code": reported.code, "name": reported.name}),
        "aliases": [{"alias": a.label, "confidence": a.confidence, "acronym": a.acronym}
                    for a in aliases],
        "accounts": [{"account": a.ref, "organisation_code": a.organisation_code,
                      "attribution": a.attribution,
                      "confidence": a.attribution_confidence, "posts": posts}
                     for a, posts in accounts],
    }
    if format is TableOrJson.json:
        emit_json(data)
        return
    lines = [
        f"{org.code}  {org.name}",
        f"Region:    {org.region or '(none)'}",
        f"Kind:      {org.kind}{' (out of scope)' if org.out_of_scope else ''}",
    ]
    for name, seen in org.former_names:
        lines.append(f"Earlier:   {name} (ODS copies {seen.replace(';', ', ')})")
    if org.opened:
        lines.append(f"Opened:    {org.opened}" + (f" (formed from {', '.join(formed_from)})"
                                                   if formed_from else ""))
    if org.closed:
        lines.append(f"Closed:    {org.closed}")
        if org.successor_codes:
            lines.append(f"Successor: {', '.join(org.successor_codes)}"
                         + (f" (reported as {successor})" if successor != org.code else
                            " (not in the catalogue: reported as itself)"))
    shown = dict.fromkeys(a.label for a in aliases if a.confidence >= 0.8)
    lines.append("Aliases:   " + (", ".join(list(shown)[:30]) or "(none)"))
    lines += campaign_lines
    typer.echo("\n".join(_safe(line) for line in lines))
    if settings is not None:
        from rich.table import Table

        table = Table(title=f"Accounts ({len(accounts)})", title_justify="left")
        merged = any(a.organisation_code != org.code for a, _posts in accounts)
        for column in ("account", *(("code",) if merged else ()), "attribution",
                       "confidence", "posts"):
            table.add_column(column)
        for account, posts in accounts:
            table.add_row(_text(account.ref),
                          *((_text(account.organisation_code or ""),) if merged else ()),
                          _text(account.attribution or ""),
                          "" if account.attribution_confidence is None
                          else f"{account.attribution_confidence:.2f}", str(posts))
        _print(table)


def _not_found(catalogue: Catalogue, code: str) -> str:
    """Why `code` is not shown, and what to do."""
    return catalogue.missing_successor(code) or (
        f"no organisation with code {code.strip()!r} (try `knowvember orgs match "
        f"{code.strip()!r}` to search by name)")


def _campaign_view(
    ctx: typer.Context, settings: Settings, catalogue: Catalogue, org: Organisation,
) -> tuple[list[tuple[Any, int]], Organisation | None, list[str]]:
    """The accounts whose posts count for `org` in this campaign, as its reports count them.

    Reports count a trust closed before the campaign under its successor, and name a
    renamed one as it was then. So in KNOWvember 2022 RM3's accounts include those stored
    as RW6 Pennine Acute (closed 2021), as `summary --org RM3` counts their posts; RW6's own
    accounts are listed with a line saying they count for RM3. Also the lines that say so.
    """
    from knowvember.attribution import accounts_of, opted_out
    from reports.period import Period

    # The posts summary, leaderboard and report count: the campaign's days, local time.
    c = settings.campaign
    window = Period(since=c.start, until=c.end, timezone=c.timezone).window_utc()
    codes = catalogue.counted_for(org.code, c.start) or [org.code]
    accounts = accounts_of(state(ctx).db(), codes, leave_out=opted_out(settings),
                           window=window)
    reported = catalogue.report_as(org.code, c.start)
    lines: list[str] = []
    if org.opened is not None and c.start < org.opened:
        lines.append(f"In {c.name}: not yet formed (opened {org.opened}); the trusts it "
                     f"was formed from count for themselves")
    if reported is not None and reported.code != org.code:
        lines.append(f"In {c.name}: counted for {reported.code} {reported.name}, as "
                     f"{org.code} had closed on {org.closed}")
    elif reported is not None:
        if reported.name != org.name:
            lines.append(f"In {c.name}: named {reported.name}")
        merged = [(code, catalogue.get(code)) for code in codes[1:]]
        if merged:
            lines.append(f"In {c.name}: also counts " + "; ".join(
                f"{code} {m.name} (closed on {m.closed})" if m and m.closed else code
                for code, m in merged))
    return accounts, reported, lines


def _safe(text: str) -> str:
    from knowvember.hashtags import strip_control

    return strip_control(text)


@handled
def orgs_match(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="A bio, display name or organisation name."),
    limit: int = typer.Option(5, "--limit", min=1, max=50, help="Candidates to show."),
    format: TableOrJson = FORMAT,
) -> None:
    """Which organisations a text names, best first (auto = applied without review)."""
    candidates = _catalogue(_optional_settings(ctx)).match(text, limit=limit)
    if format is TableOrJson.json:
        emit_json({"candidates": [c.to_json() for c in candidates]})
        return
    if not candidates:
        err_console().print("No organisation matches that text.")
        return
    _print(_candidates_table(candidates, "Candidates"))


@handled
def orgs_unmatched(
    ctx: typer.Context,
    limit: int | None = typer.Option(None, "--limit", min=1, help="Show at most N accounts."),
    all_: bool = typer.Option(False, "--all", help="Include accounts a coordinator "
                              "unassigned."),
    format: TableOrJson = FORMAT,
) -> None:
    """Active accounts without an organisation, most posts first, with suggestions."""
    from knowvember.attribution import (
        attribute_accounts,
        opted_out,
        unassigned_count,
        unmatched_accounts,
    )

    app = state(ctx)
    settings, db = app.settings(), app.db()
    catalogue = _catalogue(settings)
    attribute_accounts(db, settings, catalogue=catalogue)
    excluded = opted_out(settings)
    found = unmatched_accounts(db, catalogue, limit=limit, include_unassigned=all_,
                               exclude=excluded)
    if format is TableOrJson.json:
        emit_json({"accounts": [u.to_json() for u in found]})
        return
    left_out = 0 if all_ else unassigned_count(db, excluded)
    accounts = "1 account" if left_out == 1 else f"{left_out:,} accounts"
    note = (f"Not shown: {accounts} a coordinator marked as having no organisation (orgs "
            "unassign); `knowvember orgs unmatched --all` lists them too.") if left_out else ""
    if not found:
        err_console().print(
            "Every active account has an organisation." if not left_out else
            f"No active account is waiting for an organisation; {accounts} "
            f"{'has' if left_out == 1 else 'have'} none because a coordinator said so (orgs "
            "unassign): `knowvember orgs unmatched --all` lists them.")
        return
    from rich.table import Table

    table = Table(title=f"Accounts without an organisation ({len(found)})",
                  title_justify="left")
    for column in ("account", "posts", "name", "suggestions"):
        table.add_column(column)
    for item in found:
        suggestions = "; ".join(f"{c.code} {c.name} ({c.confidence:.2f})"
                                for c in item.suggestions)
        table.add_row(_text(item.account.ref), str(item.posts),
                      _text(item.account.display_name or ""), _text(suggestions or "-"))
    _print(table)
    err_console().print("Assign one with `knowvember orgs assign ACCOUNT CODE`.")
    if note:
        err_console().print(note)


@handled
def orgs_assign(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform:handle, e.g. x:@UHLLibraries."),
    code: str = typer.Argument(..., help="Organisation code, e.g. RWE."),
) -> None:
    """Attribute an account to an organisation by hand (kept over automatic matches)."""
    from knowvember.attribution import assign_account
    from knowvember.organisations import sync_organisations

    _parse_ref(account)
    app = state(ctx)
    settings, db = app.settings(), app.db()
    catalogue = _catalogue(settings)
    result = assign_account(db, catalogue, account, code)
    sync_organisations(db, catalogue)
    org = catalogue.get(result.organisation_code or "")
    err_console().print(f"Assigned {_safe(result.ref)} to {org.code} {_safe(org.name)}."
                        if org else f"Assigned {_safe(result.ref)}.", markup=False)
    if org is not None and settings is not None:
        # Reports count a closed trust under its successor and name a renamed one as it was
        # then: say so, or the coordinator looks for the account under the wrong name.
        start = settings.campaign.start
        shown = catalogue.report_as(org.code, start)
        if shown is not None and shown.code != org.code:
            closed = f" ({org.code} closed on {org.closed.isoformat()})" if org.closed else ""
            err_console().print(f"This campaign's reports count it under {shown.code} "
                                f"{_safe(shown.name)}{closed}.", markup=False)
        elif org.closed is not None and org.closed < start:
            # No successor to count it under (none recorded, or not in the catalogue): the
            # reports show a trust that no longer existed, so the coordinator should know.
            after = (f"its successor {', '.join(org.successor_codes)} is not in the catalogue "
                     "(add it under [[organisations]])" if org.successor_codes
                     else "ODS records no successor")
            err_console().print(f"Note: {org.code} closed on {org.closed.isoformat()}, before "
                                f"this campaign, and {after}: this campaign's reports count "
                                f"it as {org.code} itself.", markup=False)
        elif shown is not None and shown.name != org.name:
            err_console().print(f"This campaign's reports name it {_safe(shown.name)}, its "
                                f"name in {start.year}.", markup=False)


@handled
def orgs_unassign(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform:handle, e.g. x:@UHLLibraries."),
    auto: bool = typer.Option(False, "--auto", help="Hand the account back to automatic "
                              "matching instead of leaving it without an organisation."),
) -> None:
    """Take an account's organisation away (it then stays unattributed unless --auto)."""
    from knowvember.attribution import unassign_account

    _parse_ref(account)
    app = state(ctx)
    settings, db = app.settings(), app.db()
    catalogue = _catalogue(settings)
    result = unassign_account(db, catalogue, account, automatic_again=auto)
    if result.organisation_code:
        message = (f"{result.ref} is back on automatic matching: attributed to "
                   f"{result.organisation_code} ({result.attribution_confidence:.2f}).")
    elif auto:
        message = f"{result.ref} is back on automatic matching: no confident match."
    else:
        message = (f"{result.ref} now has no organisation; automatic matching will leave it "
                   "alone (use --auto to hand it back).")
    err_console().print(_safe(message), markup=False)


@handled
def orgs_attribute(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Match every profile again, even "
                               "unchanged ones."),
    format: TableOrJson = FORMAT,
) -> None:
    """Apply campaign.toml mappings and confident automatic matches to all accounts now."""
    from knowvember.attribution import attribute_accounts

    app = state(ctx)
    summary = attribute_accounts(app.db(), app.settings(), force=force)
    if format is TableOrJson.json:
        emit_json(summary.__dict__)
        return
    err_console().print(
        f"Checked {summary.checked} accounts: {summary.by_config} from campaign.toml, "
        f"{summary.manual} set by coordinators, {summary.auto} matched automatically, "
        f"{summary.queued} without an organisation ({summary.updated} changed)."
    )


# -- classify and techniques ---------------------------------------------------------------


@handled
def classify(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="A post, bio or story text to test the rules on."),
    format: TableOrJson = FORMAT,
) -> None:
    """Show the techniques, hashtags and organisation candidates a text would get."""
    from knowvember.hashtags import hashtags_in
    from knowvember.techniques import Taxonomy

    settings = _optional_settings(ctx)
    taxonomy = Taxonomy.load(settings)
    techniques = []
    for name in taxonomy.tag(text):
        technique = taxonomy.get(name)
        techniques.append({"name": name, "phase": list(technique.phases) if technique else []})
    hashtags = hashtags_in(text)
    candidates = _catalogue(settings).match(text)
    if format is TableOrJson.json:
        emit_json({"techniques": techniques, "hashtags": hashtags,
                   "organisations": [c.to_json() for c in candidates]})
        return
    lines = ["Techniques: " + (", ".join(f"{t['name']} ({', '.join(t['phase'])})"
                                         for t in techniques) or "(none)"),
             "Hashtags:   " + (" ".join("#" + h for h in hashtags) or "(none)")]
    typer.echo("\n".join(_safe(line) for line in lines))
    if candidates:
        _print(_candidates_table(candidates, "Organisations"))
    else:
        typer.echo("Organisations: (none)")


@handled
def techniques_list(ctx: typer.Context, format: TableOrJson = FORMAT) -> None:
    """Print the technique taxonomy: phases, synonyms and abbreviations."""
    from knowvember.techniques import PHASES, Taxonomy

    settings = _optional_settings(ctx)
    taxonomy = Taxonomy.load(settings)
    if settings is not None:
        _warn_if_tags_stale(ctx, settings, taxonomy)
    order = {p: n for n, p in enumerate(PHASES)}
    techniques = sorted(taxonomy, key=lambda t: (min(order.get(p, 9) for p in t.phases),
                                                 t.custom))
    if format is TableOrJson.json:
        emit_json([{"name": t.name, "phase": list(t.phases),
                    "synonyms": [s for s in t.synonyms if s.casefold() != t.name.casefold()],
                    "abbreviations": list(t.abbreviations), "custom": t.custom}
                   for t in techniques])
        return
    from rich.table import Table

    table = Table(title=f"Techniques ({len(techniques)})", title_justify="left")
    for column in ("technique", "phase", "also matches"):
        table.add_column(column)
    for t in techniques:
        also = [*t.abbreviations,
                *(s for s in t.synonyms if s.casefold() != t.name.casefold())]
        table.add_row(_text(t.name + (" (custom)" if t.custom else "")),
                      _text(", ".join(t.phases)), _text(", ".join(also)))
    _print(table)


def _warn_if_tags_stale(ctx: typer.Context, settings: Settings, taxonomy: Taxonomy) -> None:
    """`techniques list` of a campaign: say when its stored tags are not this taxonomy's.

    Only for a database that is there already: listing the taxonomy must not create a
    database file (sqlite). Listing does not need the database, so one that cannot be
    opened (a server that is down) only skips the check.
    """
    import logging

    from sqlalchemy.engine import make_url

    from knowvember.errors import DatabaseError
    from knowvember.retag import warn_if_stale

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and (
            not url.database or url.database == ":memory:" or not Path(url.database).is_file()):
        return
    try:
        db = state(ctx).db()
    except DatabaseError as exc:
        logging.getLogger(__name__).debug("Not checking the stored tags: %s", exc)
        return
    warn_if_stale(db, taxonomy)


@handled
def techniques_retag(ctx: typer.Context, format: TableOrJson = FORMAT) -> None:
    """Tag every post and story again (after the taxonomy or [techniques] changed)."""
    from knowvember.retag import retag
    from knowvember.techniques import Taxonomy

    app = state(ctx)
    settings = app.settings()
    summary = retag(app.db(), Taxonomy.load(settings))
    if format is TableOrJson.json:
        emit_json(summary.to_json())
        return
    err_console().print(
        f"Re-tagged {summary.posts} posts ({summary.posts_changed} changed: "
        f"+{summary.post_tags_added} -{summary.post_tags_removed} tags) and {summary.stories} "
        f"stories ({summary.stories_changed} changed) in {summary.seconds:.1f} s."
    )

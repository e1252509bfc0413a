"""Setting up: `init`, `config check`, `db upgrade`, `db backup`, `db restore`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled, state

if TYPE_CHECKING:
    from knowvember.config import Settings


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    config_app = typer.Typer(help="Check the campaign configuration.", no_args_is_help=True)
    config_app.command("check")(config_check)
    app.add_typer(config_app, name="config")
    db_app = typer.Typer(help="Database upgrades, backups and restores.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    db_app.command("backup")(db_backup)
    db_app.command("restore")(db_restore)
    app.add_typer(db_app, name="db")


@handled
def init(
    folder: Path = typer.Argument(Path("."), help="Folder for the new campaign.toml."),
    year: int | None = typer.Option(None, help="Campaign year (default: the coming November)."),
    force: bool = typer.Option(False, "--force",
                               help="Overwrite existing files (each kept as <name>.bak)."),
    carry_from: Path | None = typer.Option(
        None, "--from", metavar="CAMPAIGN_TOML",
        help="Last year's campaign.toml (or its folder): keep its settings (organisations, "
        "opt-outs, sources, form columns, database) and its forgotten accounts, with the "
        "new year's [campaign]."),
) -> None:
    """Write a commented starter campaign.toml and .env.example for a new campaign.

    For a new year, --from last year's campaign.toml keeps everything but its [campaign]
    table, and copies the accounts erased with `forget` into the new database when it is
    another one, so they are not collected again.
    Example: knowvember init knowvember2028 --from knowvember2027/campaign.toml
    """
    from knowvember.starter import carry_over, copy_forgotten, write_starter

    carried = carry_over(carry_from, folder, year) if carry_from is not None else None
    if carried is not None:
        year = carried.settings.campaign.start.year
        from knowvember.errors import InputError

        existing = [folder / name for name in ("campaign.toml", ".env.example")
                    if (folder / name).exists()]
        if existing and not force:
            raise InputError(f"{existing[0]} already exists; use --force to overwrite it")
        # Before the files: a forgotten list that cannot be copied leaves nothing written.
        carried.forgotten = copy_forgotten(carried)
    kept: list[tuple[Path, Path]] = []
    written = write_starter(folder, year=year, force=force, kept=kept,
                            campaign_text=carried.text if carried else None)
    for path, backup in kept:
        err_console().print(f"Kept the old {path.name} as {backup}", markup=False)
    for path in written:
        err_console().print(f"Wrote {path}", markup=False)
    if carried is not None:
        c = carried.settings.campaign
        err_console().print(
            f"{c.name} ({c.slug}, {c.start} to {c.end}) with the settings of "
            f"{carried.old.campaign.name}: " + (", ".join(carried.tables) or "no other tables")
            + ".",
            markup=False, highlight=False)
        if carried.forgotten:
            err_console().print(f"Copied {carried.forgotten} forgotten-list entr(ies) into the "
                                "new database: accounts erased with `forget` stay uncollected.",
                                markup=False)
    if force and any(folder.glob("*.db")):
        err_console().print("The database in this folder is kept as it was: the new campaign "
                            "is added to it beside the campaigns already there.")
    if folder.resolve() == Path.cwd().resolve():
        err_console().print("Next: edit campaign.toml, then run `knowvember config check`.")
    else:
        import shlex

        # Quoted for the shell: a folder named like "KNOWvember 2027" is usual, and the
        # unquoted line failed when pasted ("no campaign config at KNOWvember").
        err_console().print(f"Next: edit {written[0]}, then run `knowvember --config "
                            f"{shlex.quote(str(written[0]))} config check`.", markup=False)


@handled
def config_check(
    ctx: typer.Context,
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Validate campaign.toml and show the resolved settings (secrets masked)."""
    from knowvember.config import secret_status
    from knowvember.db import redact_url

    settings = state(ctx).settings()
    # What the other commands read from the file as they start, read here too: a clashing
    # [techniques] synonym or an [[organisations]] entry without a name was "valid" here and
    # then refused by classify, orgs and every report (exit 3).
    from knowvember.organisations import Catalogue
    from knowvember.techniques import Taxonomy

    Taxonomy.load(settings)
    Catalogue.load(settings)
    _check_sqlite_folder(settings)
    url = redact_url(settings.database_url)
    overridden = _database_override(settings)
    env = secret_status(settings)
    c = settings.campaign
    sources = {
        name: getattr(settings.sources, name).enabled for name in ("x", "mastodon", "bluesky")
    }
    data = {
        "config": str(settings.path),
        "campaign": {
            "name": c.name, "slug": c.slug, "hashtags": c.hashtags, "variants": c.variants,
            "start": c.start.isoformat(), "end": c.end.isoformat(), "timezone": c.timezone,
        },
        "database": url,
        "database_from": "environment" if overridden else "config",
        "sources": sources,
        "organisations": len(settings.organisations),
        "environment": {name: ("set" if ok else "not set") for name, ok in env.items()},
        "warnings": missing_secrets(settings, env),
    }
    status = database_status(settings.database_url)
    data["database_status"] = status
    if status["error"]:
        data["warnings"].append(  # type: ignore[attr-defined]
            f"the database cannot be reached: {status['error']}; every command that reads or "
            "writes it will fail (exit 5) until it can")
    elif _needs_shared_upgrade(status, settings.database_url):
        data["warnings"].append(  # type: ignore[attr-defined]
            f"the database is at schema revision {status['revision']}, older than "
            f"{status['latest']}, and on PostgreSQL only `knowvember db upgrade` upgrades it: "
            "every other command will fail (exit 5) until it is run (back the database up "
            "first; every machine sharing it then needs this release or a newer one)")
    if status["exists"] and not status["error"]:
        data["warnings"].extend(  # type: ignore[attr-defined]
            f"campaign.toml names an account erased with `knowvember forget` in {place}: "
            "remove it from the file (the person asked to be forgotten)"
            for place in _forgotten_in_config(settings))
    if format is TableOrJson.json:
        emit_json(data)
        return
    lines = [
        f"Config:     {settings.path}",
        f"Campaign:   {c.name} ({c.slug}), {c.start} to {c.end}, {c.timezone}",
        f"Hashtags:   {', '.join('#' + t for t in c.hashtags)}",
        f"Variants:   {', '.join('#' + t for t in c.variants) or '(none)'}",
        f"Database:   {url}" + (f" ({overridden})" if overridden else ""),
        f"Schema:     {_schema_line(status, settings.database_url)}",
        "Sources:    " + ", ".join(f"{k} {'on' if v else 'off'}" for k, v in sources.items()),
        f"Extra organisations: {len(settings.organisations)}",
        "Environment variables:",
        *[f"  {name}: {'set (****)' if ok else 'not set'}" for name, ok in env.items()],
    ]
    typer.echo("\n".join(lines))
    for warning in data["warnings"]:
        from rich.markup import escape

        err_console().print(f"[yellow]Warning:[/] {escape(warning)}", highlight=False)
    err_console().print("[green]Configuration is valid.[/]")


def database_status(url: str) -> dict[str, object]:
    """Whether the database answers, and at which schema revision (the newest beside it).

    `config check` said "Configuration is valid." with the PostgreSQL server down, the
    database not created or the password wrong; every scheduled run then failed (exit 5).
    A warning, not an error: the file is valid, and a laptop away from the server may check
    it. Nothing is created or upgraded here (a SQLite file that is not there stays so).
    """
    from sqlalchemy.engine import make_url

    from knowvember.db import create_db_engine, current_revision, head_revision
    from knowvember.errors import DatabaseError

    status: dict[str, object] = {"reachable": False, "exists": False, "revision": None,
                                 "latest": head_revision(), "error": None}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        status["reachable"] = True  # the first command that needs it creates it
        return status
    try:
        engine = create_db_engine(url)
        try:
            from knowvember.db import translate_errors

            with translate_errors(engine), engine.connect() as conn:
                status["revision"] = current_revision(conn)
        finally:
            engine.dispose()
    except DatabaseError as exc:
        status["error"] = str(exc)
        return status
    status["reachable"] = True
    status["exists"] = status["revision"] is not None
    return status


def _forgotten_in_config(settings: Settings) -> list[str]:
    """The entries of campaign.toml that name an account on the database's forgotten list
    (see `privacy.forgotten_in_config`); none when the list cannot be read."""
    from knowvember.db import create_db_engine, translate_errors
    from knowvember.errors import DatabaseError
    from knowvember.privacy import forgotten_digests, forgotten_in_config

    if not (settings.organisations or settings.leaderboard.exclude_accounts):
        return []
    try:
        engine = create_db_engine(settings.database_url)
        try:
            with translate_errors(engine), engine.connect() as conn:
                digests = forgotten_digests(conn)
        finally:
            engine.dispose()
    except DatabaseError:
        return []  # an older schema, or the server gone meanwhile: the warnings say so
    return forgotten_in_config(settings, digests)


def _needs_shared_upgrade(status: dict[str, object], url: str) -> bool:
    """A PostgreSQL schema older than this release's, which no command but `db upgrade`
    upgrades (knowvember.db._refuse_shared_upgrade)."""
    from knowvember.db import known_revisions

    return (not url.startswith("sqlite") and bool(status["exists"])
            and status["revision"] != status["latest"]
            and status["revision"] in known_revisions())


def _schema_line(status: dict[str, object], url: str) -> str:
    if status["error"]:
        return "(the database cannot be reached)"
    if not status["exists"]:
        return f"not created yet (the first command creates it at {status['latest']})"
    from knowvember.db import known_revisions

    if status["revision"] == status["latest"]:
        return f"up to date ({status['revision']})"
    if status["revision"] not in known_revisions():
        return (f"{status['revision']}, from a newer knowvember: upgrade knowvember here to "
                "use it")
    if _needs_shared_upgrade(status, url):
        return (f"{status['revision']}, older than {status['latest']}: every command refuses "
                "it until `knowvember db upgrade` (back it up first; older knowvember "
                "releases sharing it then refuse it)")
    return (f"{status['revision']}; the next command upgrades it to {status['latest']}, "
            "keeping a copy of the file beside it (or run `knowvember db upgrade`)")


def _database_override(settings: Settings) -> str:
    """How `$KNOWVEMBER_DATABASE_URL` replaces the file's database, or "" when it does not.

    `config check` run in the shell where the variable was exported showed the server's URL
    as if the file named it; cron and systemd do not see the shell's variables, so the
    scheduled runs then collected into the file's database (a new SQLite file) instead.
    """
    import os

    from knowvember.config import ENV_DATABASE_URL, resolve_sqlite_url
    from knowvember.db import redact_url

    if not (os.environ.get(ENV_DATABASE_URL) or "").strip():
        return ""
    own = redact_url(resolve_sqlite_url(settings.database.url, settings.base_dir))
    if own == redact_url(settings.database_url):
        return f"from ${ENV_DATABASE_URL}, the same as database.url"
    return (f"from ${ENV_DATABASE_URL}, set in this shell, instead of database.url {own}: "
            "cron and systemd use database.url unless the variable is set there too")


def _check_sqlite_folder(settings: Settings) -> None:
    """A SQLite database in a folder that does not exist, named by the key that put it there.

    `config check` said "Configuration is valid." and then every other command failed with
    "the database folder ... does not exist" (exit 5), naming neither the key nor the file.
    """
    import os

    from sqlalchemy.engine import make_url

    from knowvember.config import ENV_DATABASE_URL
    from knowvember.errors import ConfigError

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    folder = Path(url.database).parent
    if folder.is_dir():
        return
    where = (f"${ENV_DATABASE_URL}" if os.environ.get(ENV_DATABASE_URL)
             else f"{settings.path}: database.url")
    raise ConfigError(f"{where}: the folder {folder} for the SQLite database does not exist; "
                      "create it or change the URL")


def missing_secrets(settings: Settings, env: dict[str, bool]) -> list[str]:
    """An enabled source whose secret variable is not set, one line each.

    The file can be valid while `collect` is bound to fail: a new user runs `config check`
    in a shell where the token was never exported (or a crontab without it) and reads
    "Configuration is valid.", then every scheduled run fails. It is a warning, not an
    error, because a coordinator's laptop that only reports needs none of them.
    """
    sources = settings.sources
    needed = {
        "x": [sources.x.bearer_token_env],
        "bluesky": [sources.bluesky.handle_env, sources.bluesky.app_password_env],
    }
    warnings = []
    for source, names in needed.items():
        unset = [name for name in names if not env.get(name)]
        if getattr(sources, source).enabled and unset:
            variables = " and ".join(f"${name}" for name in unset)
            one = len(unset) == 1
            warnings.append(
                f"[sources.{source}] is enabled but {variables} {'is' if one else 'are'} not "
                f"set here, so `knowvember collect` will fail for {source}: set "
                f"{'it' if one else 'them'} in this shell, at the top of the crontab or in the "
                "systemd EnvironmentFile")
    return warnings


@handled
def db_upgrade(
    ctx: typer.Context,
    no_backup: bool = typer.Option(
        False, "--no-backup",
        help="SQLite: upgrade without first copying the database to a file beside it."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Create the database or bring its schema up to date (never loses data).

    A SQLite database at an older schema is first copied beside itself
    (knowvember-before-upgrade-REVISION.db), which the release before can still open. A
    PostgreSQL database is upgraded only by this command, for every machine sharing it:
    back it up first (`knowvember db backup FILE`).
    """
    from knowvember.db import create_db_engine, kept_copy_note, redact_url, upgrade_schema

    url = state(ctx).settings().database_url
    engine = create_db_engine(url)
    try:
        done = upgrade_schema(engine, keep_copy=not no_backup)
        shared = engine.dialect.name != "sqlite"
    finally:
        engine.dispose()
    if format is TableOrJson.json:
        emit_json({"database": redact_url(url), "before": done.before, "after": done.after,
                   "upgraded": done.changed, "backup": str(done.copy) if done.copy else None})
        return
    if not done.changed:
        err_console().print(f"The database is up to date (revision {done.after}).")
        return
    if done.before is None:
        err_console().print(f"Created the database at {redact_url(url)} (revision "
                            f"{done.after}).", markup=False, highlight=False)
        return
    err_console().print(f"Upgraded the database: {done.before} -> {done.after}"
                        f"{kept_copy_note(done)}.", markup=False, highlight=False)
    if shared:
        err_console().print("Every machine that uses this database needs this release of "
                            "knowvember (or a newer one) from now on: an older one refuses it.",
                            markup=False, highlight=False)


@handled
def db_backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the backup."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Write a consistent copy of the database, even while collection is running, and say
    what it holds (posts, stories and runs, the campaigns, the schema revision)."""
    from knowvember.backup import back_up

    settings = state(ctx).settings()
    report = back_up(settings.database_url, file, force=force)
    if format is TableOrJson.json:
        emit_json(report.to_json())
    else:
        err_console().print(report.describe(), markup=False, highlight=False)
    if settings.campaign.slug not in report.campaigns:
        # The database of another folder's campaign.toml, or a SQLite file cron made while
        # the campaign is on the server: a backup of the wrong database, found out on the
        # day it was needed.
        held = ", ".join(report.campaigns) or "no campaign"
        err_console().print(
            f"Warning: the database holds {held}, not {settings.campaign.slug!r} that "
            f"{settings.path.name} names: is this the campaign's database?",
            style="yellow", markup=False, highlight=False)
    if report.format == "pg_dump":
        # Whatever the name (the README's example is a .db), this is pg_dump's file: a
        # coordinator who restores it as SQLite's copy gets "file is not a database".
        err_console().print("It is a pg_dump file (custom format): restore it with pg_restore "
                            "(see docs/reliability.md), not `knowvember db restore`.")


@handled
def db_restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A SQLite backup (from `db backup`) or knowvember.db."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the posts and stories the database already holds."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """Copy a SQLite backup into the configured database, SQLite or PostgreSQL.

    Restores a backup without copying files over a database in use, and moves a campaign
    from SQLite to PostgreSQL (set KNOWVEMBER_DATABASE_URL to the server, then restore the
    campaign's knowvember.db). Stop schedule, cron and imports first: it refuses while a run
    is going. A database that holds posts or stories is replaced only with --replace; one
    transaction, so a failure changes nothing.
    Example: knowvember db restore backups/knowvember-2019-11-30.db --replace
    """
    from knowvember.backup import restore_database

    app = state(ctx)
    db = app.db()
    report = restore_database(file, db, replace=replace)
    slug = app.settings().campaign.slug
    if report.campaigns and slug not in report.campaigns:
        # Reports read the config's campaign only: restoring a 2019 backup under the 2027
        # campaign.toml showed an empty campaign with nothing said.
        err_console().print(
            f"[yellow]Warning: the backup holds the campaign(s) {', '.join(report.campaigns)}, "
            f"not {slug!r} that campaign.toml names: its summary and reports will be empty. "
            "Use the campaign.toml the backup was made with.[/]")
    if format is TableOrJson.json:
        emit_json(report.to_json())
    else:
        err_console().print(report.describe(), markup=False, highlight=False)
        if report.forgotten_again:
            err_console().print(f"{report.forgotten_again} account(s) erased with `forget` "
                                "after the backup was made are erased from it again.")
    left = _file_still_names_sqlite(app.settings()) if not db.is_sqlite else None
    if left is not None:
        err_console().print(
            f"Next: {app.settings().path.name} still names {left} in [database] url, and cron, "
            "systemd and any shell without $KNOWVEMBER_DATABASE_URL go on collecting into it: "
            "put the server's URL there (without its password), then stop using the SQLite "
            "file.", markup=False, highlight=False)


def _file_still_names_sqlite(settings: Settings) -> str | None:
    """The SQLite URL campaign.toml names while $KNOWVEMBER_DATABASE_URL points elsewhere.

    README moves a campaign to PostgreSQL with `KNOWVEMBER_DATABASE_URL=... db restore
    knowvember.db`; the restore said only what it copied, and the crontab went on collecting
    into the SQLite file the file still named, splitting the campaign between the two.
    """
    import os

    from sqlalchemy.engine import make_url

    from knowvember.config import ENV_DATABASE_URL, resolve_sqlite_url
    from knowvember.db import redact_url

    if not (os.environ.get(ENV_DATABASE_URL) or "").strip():
        return None
    own = resolve_sqlite_url(settings.database.url, settings.base_dir)
    return redact_url(own) if make_url(own).get_backend_name() == "sqlite" else None

"""`knowvember init`: a commented starter campaign.toml and .env.example for a new campaign."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from knowvember.errors import InputError

if TYPE_CHECKING:
    from knowvember.config import Settings

CAMPAIGN_TEMPLATE = '''\
# knowvember campaign configuration for {name}.
# Every key is described in the README ("Configuration"). Paths are relative to this file.
# Secrets (API tokens, passwords) are never written here: name the environment variable
# that holds them with the *_env keys, and set it in your shell, cron job or systemd unit.

[campaign]
name = "{name}"
slug = "{slug}"
# Campaign hashtags, without '#'. Case does not matter when matching posts.
hashtags = ["KNOWvember{year}", "KNOWvember{yy}", "KNOWvember"]
# Misspellings also accepted as campaign tags.
variants = ["Knowvmber{yy}", "Knovember{yy}"]
start = {year}-11-01
end = {year}-11-30
timezone = "Europe/London"

[database]
# SQLite file beside this config; for a shared server use
# url = "postgresql+psycopg://knowvember@dbhost/knowvember"
# or set KNOWVEMBER_DATABASE_URL.
url = "sqlite:///knowvember.db"

[sources.x]
enabled = false
bearer_token_env = "KNOWVEMBER_X_BEARER_TOKEN"
endpoint = "recent"                   # "all" needs full-archive access
api_base = "https://api.twitter.com"
max_posts_per_run = 10000
monthly_read_budget = 50000
price_per_read = 0.005                # US$ per post read

[sources.mastodon]
enabled = false
instances = ["https://mastodon.social", "https://med-mastodon.com"]
# access_token_env = "KNOWVEMBER_MASTODON_TOKEN"   # optional

[sources.bluesky]
enabled = false
service = "https://bsky.social"
handle_env = "KNOWVEMBER_BLUESKY_HANDLE"
app_password_env = "KNOWVEMBER_BLUESKY_APP_PASSWORD"

# Organisations beyond the built-in NHS trust catalogue, and accounts that belong to them.
# [[organisations]]
# code = "UNI-LIB"
# name = "University of Somewhere Health Library"
# region = "Midlands"
# aliases = ["UoS Health Library"]
# accounts = ["x:@UoSHealthLib", "bluesky:healthlib.example.ac.uk"]
# out_of_scope = false

[leaderboard]
# People who opted out: kept out of every leaderboard, report and export.
exclude_accounts = []

[stories.form_columns]
# story field = "column header in your Microsoft Forms / Google Forms export"
# title = "Title of your story"

[logging]
# file = "knowvember.log"
level = "INFO"
'''

# knowvember reads secrets only from the environment: nothing reads this file by itself (an
# earlier text said "Copy to .env", and a librarian who did so found every collection failing
# with "set $KNOWVEMBER_X_BEARER_TOKEN"). Its lines are valid shell, crontab and systemd
# EnvironmentFile lines alike, so the same filled-in copy serves all three.
ENV_TEMPLATE = """\
# The secrets knowvember reads from the environment (never from campaign.toml).
# knowvember does NOT read this file itself. Fill in a copy, e.g. secrets.env (chmod 600 it,
# never commit it or put it in a shared folder), then either:
#   in a shell:   set -a; . ./secrets.env; set +a
#   with systemd: EnvironmentFile=/etc/knowvember/secrets.env   (in the service)
#   with cron:    put the filled-in lines at the top of the crontab
# Leave a value empty for a source you do not use. Write values without spaces around '='.
KNOWVEMBER_X_BEARER_TOKEN=
KNOWVEMBER_MASTODON_TOKEN=
KNOWVEMBER_BLUESKY_HANDLE=
KNOWVEMBER_BLUESKY_APP_PASSWORD=
KNOWVEMBER_REVIEWER=
# Only for the web app (`knowvember serve`): 32 or more random characters.
KNOWVEMBER_SECRET_KEY=
# KNOWVEMBER_DATABASE_URL=postgresql+psycopg://knowvember@dbhost/knowvember
"""


def next_campaign_year(today: dt.date | None = None) -> int:
    """The coming November: this year until November is over, then next year."""
    today = today or dt.date.today()
    return today.year if today.month <= 11 else today.year + 1


def render_campaign(year: int) -> str:
    return CAMPAIGN_TEMPLATE.format(
        name=f"KNOWvember {year}", slug=f"knowvember{year % 100:02d}", year=year,
        yy=f"{year % 100:02d}",
    )


FIRST_YEAR, LAST_YEAR = 2000, 2999  # TOML dates need four-digit years


def write_starter(folder: Path, *, year: int | None = None, force: bool = False,
                  kept: list[tuple[Path, Path]] | None = None,
                  campaign_text: str | None = None) -> list[Path]:
    """Write campaign.toml (`campaign_text`, or the starter) and .env.example into `folder`;
    refuse to overwrite unless forced.

    A file replaced by --force is first renamed to `<name>.bak` (see `_free_backup_name`);
    each (file, its backup) is added to `kept` when given.
    """
    year = year or next_campaign_year()
    _check_year(year)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder: name a folder for the campaign "
                         "(a new one is made)")
    targets = {
        folder / "campaign.toml": campaign_text or render_campaign(year),
        folder / ".env.example": ENV_TEMPLATE,
    }
    return _write(targets, force=force, kept=kept)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        if 0 <= year < 100:
            # `--year 27` would write `start = 27-11-01`, which no TOML reader accepts.
            raise InputError(f"--year {year}: write the whole year, e.g. --year {2000 + year}")
        raise InputError(f"--year {year} is out of range: give a year from {FIRST_YEAR} to "
                         f"{LAST_YEAR}, e.g. --year {next_campaign_year()}")


def _write(targets: dict[Path, str], *, force: bool,
           kept: list[tuple[Path, Path]] | None) -> list[Path]:
    folder = next(iter(targets)).parent
    if not force:
        existing = [p for p in targets if p.exists()]
        if existing:
            raise InputError(
                f"{existing[0]} already exists; use --force to overwrite it"
            )
    kept = [] if kept is None else kept
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in targets.items():
            # --force over last year's folder replaced a campaign.toml edited for a month
            # (its organisations, accounts, form columns, PostgreSQL URL) with nothing left
            # of it; and an .env.example filled in, against its advice, with the tokens.
            if path.is_file() and path.read_bytes() != text.encode("utf-8"):
                backup = _free_backup_name(path)
                path.replace(backup)  # a rename: the old file's permissions go with it
                kept.append((path, backup))
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the campaign files in {folder}: "
                         f"{exc.strerror or exc}") from exc
    return list(targets)


def _free_backup_name(path: Path) -> Path:
    """`campaign.toml.bak`, or `.bak.2`, `.bak.3`... when an earlier one is there."""
    candidate, number = path.with_name(path.name + ".bak"), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.bak.{number}")
    return candidate


# A whole table header line ([sources.x], [[organisations]]), not a line of a multi-line array.
_HEADER = re.compile(r"^\s*\[\[?\s*([\w.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_CAMPAIGN_HEADER = re.compile(r"^\s*\[\s*campaign\s*\]\s*(#.*)?$")


@dataclass
class CarriedOver:
    """The new year's campaign.toml made from last year's, and what came with it."""

    text: str
    settings: Settings
    old: Settings
    tables: list[str] = field(default_factory=list)  # the old file's table headers, kept
    forgotten: int = 0  # forgotten-list entries copied into the new database


def carry_over(old_path: Path, new_folder: Path, year: int | None = None) -> CarriedOver:
    """Last year's campaign.toml for `year`: every table as written, [campaign] the new year's.

    `init` wrote a starter for the new year, so the organisations, their accounts, the
    opted-out `exclude_accounts`, the form columns, the enabled sources and the database
    URL had to be copied over by hand from the old file, and whatever was missed was lost
    without a word: people who had opted out were back in the leaderboard. The [campaign]
    table gets the new year's name, slug, hashtags and dates; its time zone and the tags
    without a year in them (`KNOWvember`, `NHSLibraries`) stay.
    """
    from knowvember.config import decode_config, load_settings_file, parse_settings

    old_path = old_path.expanduser().resolve()
    if old_path.is_dir():
        old_path = old_path / "campaign.toml"
    if not old_path.is_file():
        raise InputError(f"--from: there is no file {old_path} (name last year's "
                         "campaign.toml, or its folder)")
    old = load_settings_file(old_path)  # a ConfigError naming the old file and key
    year = year or max(next_campaign_year(), old.campaign.start.year + 1)
    _check_year(year)
    old_text = decode_config(old_path.read_bytes(), old_path).removeprefix("\ufeff")
    lines = old_text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _CAMPAIGN_HEADER.match(line)), None)
    if start is None:
        raise InputError(f"--from: {old_path} has no [campaign] table header to replace "
                         "(write its campaign keys under a [campaign] line)")
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])),
               len(lines))
    # Comments and blank lines just above the next header belong to that table.
    while end > start + 1 and (not lines[end - 1].strip()
                               or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    newline = "\r\n" if "\r\n" in old_text else "\n"  # the file's own line endings
    section = _campaign_section(year, old).replace("\n", newline)
    rest = "".join(lines[end:])
    if rest and not rest.startswith(("\n", "\r\n")):
        section += newline
    head = "".join(lines[:start]).replace(  # the starter's first line names the year
        f"configuration for {old.campaign.name}.", f"configuration for KNOWvember {year}.", 1)
    text = head + section + rest
    if not text.endswith("\n"):
        text += newline
    new_path = new_folder.expanduser().resolve() / "campaign.toml"
    settings = parse_settings(text, new_path)
    tables = list(dict.fromkeys(line.split("#", 1)[0].strip() for line in lines[:start] +
                                lines[end:] if _HEADER.match(line)))
    return CarriedOver(text=text, settings=settings, old=old, tables=tables)


def _campaign_section(year: int, old: Settings) -> str:
    """The [campaign] table of the starter for `year`, keeping the old time zone and the old
    tags that name no year."""
    template = render_campaign(year)
    lines = template.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if _CAMPAIGN_HEADER.match(line))
    end = next(i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i]))
    section = "".join(lines[start:end]).rstrip("\n") + "\n"
    yy = f"{year % 100:02d}"
    tags = _merged([f"KNOWvember{year}", f"KNOWvember{yy}", "KNOWvember"], old.campaign.hashtags)
    variants = _merged([f"Knowvmber{yy}", f"Knovember{yy}"], old.campaign.variants)
    section = re.sub(r"(?m)^hashtags = .*$", lambda _: f"hashtags = {json.dumps(tags)}",
                     section)
    section = re.sub(r"(?m)^variants = .*$", lambda _: f"variants = {json.dumps(variants)}",
                     section)
    return re.sub(r"(?m)^timezone = .*$",
                  lambda _: f"timezone = {json.dumps(old.campaign.timezone)}", section)


def _merged(new: list[str], old: list[str]) -> list[str]:
    """The new year's tags, then the old ones that name no year (case-insensitively new)."""
    merged = list(new)
    for tag in old:
        if not any(ch.isdigit() for ch in tag) and tag.casefold() not in {
                t.casefold() for t in merged}:
            merged.append(tag)
    return merged


def copy_forgotten(carried: CarriedOver) -> int:
    """Copy the old campaign's forgotten list into the new database, when it is another one.

    `forget` keeps an erased account out of every later collection by a digest in the
    database; a new year's folder began a new database without it, and the next November's
    collection stored the person again. The digests hold no personal data. The old
    database is only read (never created or upgraded); the new one is created.
    """
    import sqlalchemy as sa

    from knowvember.db import create_db_engine, open_database, redact_url, translate_errors
    from knowvember.models import ForgottenAccount

    old_url, new_url = carried.old.database_url, carried.settings.database_url
    if redact_url(old_url) == redact_url(new_url):
        return 0  # one database for both years: the list is there already
    parsed = sa.make_url(old_url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return 0
    table = ForgottenAccount.__table__
    engine = create_db_engine(old_url)
    try:
        with translate_errors(engine), engine.connect() as conn:
            if not sa.inspect(conn).has_table(table.name):
                return 0
            rows = [dict(row) for row in conn.execute(sa.select(table)).mappings()]
    finally:
        engine.dispose()
    if not rows:
        return 0
    Path(carried.settings.base_dir).mkdir(parents=True, exist_ok=True)
    db = open_database(carried.settings)
    try:
        with translate_errors(db.engine), db.engine.begin() as conn:
            there = set(conn.execute(sa.select(table.c.digest)).scalars())
            missing = [row for row in rows if row["digest"] not in there]
            if missing:
                conn.execute(table.insert(), missing)
    finally:
        db.dispose()
    return len(missing)

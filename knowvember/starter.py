"""`knowvember init`: a commented starter campaign.toml and .env.example for a new campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember.errors import InputError

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
                  kept: list[tuple[Path, Path]] | None = None) -> list[Path]:
    """Write campaign.toml and .env.example into `folder`; refuse to overwrite unless forced.

    A file replaced by --force is first renamed to `<name>.bak` (see `_free_backup_name`);
    each (file, its backup) is added to `kept` when given.
    """
    year = year or next_campaign_year()
    if not FIRST_YEAR <= year <= LAST_YEAR:
        if 0 <= year < 100:
            # `--year 27` would write `start = 27-11-01`, which no TOML reader accepts.
            raise InputError(f"--year {year}: write the whole year, e.g. --year {2000 + year}")
        raise InputError(f"--year {year} is out of range: give a year from {FIRST_YEAR} to "
                         f"{LAST_YEAR}, e.g. --year {next_campaign_year()}")
    targets = {
        folder / "campaign.toml": render_campaign(year),
        folder / ".env.example": ENV_TEMPLATE,
    }
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder: name a folder for the campaign "
                         "(a new one is made)")
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

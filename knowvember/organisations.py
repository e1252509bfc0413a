"""The organisations catalogue: NHS trusts (open, closed, former names) plus config entries.

The default catalogue is the three CSV files in `knowvember/data` (origin and licence in its
README): `nhs_trusts.csv` (trusts open in mid-2026), `nhs_trusts_closed.csv` (closed since
2017, with successors) and `nhs_trusts_former_names.csv` (earlier names of kept codes). All
three are used so that a post from an older campaign attributes to the organisation under the
code and name it had then: "Salford Royal" matches RM3 (now Northern Care Alliance), "Pennine
Acute" matches RW6, which reports show as RW6 for 2019 and as its successor after it closed.

`[[organisations]]` in campaign.toml adds organisations (a university library, an ICB, a
regional KM team) or overrides a trust (name, region, aliases, out of scope), and maps
accounts to them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.orgmatch import Alias, Matcher

log = logging.getLogger(__name__)

TRUSTS_FILE = "nhs_trusts.csv"
CLOSED_FILE = "nhs_trusts_closed.csv"
FORMER_FILE = "nhs_trusts_former_names.csv"

# The open trusts' names are as ODS had them in about July 2026 (see data/README.md).
SNAPSHOT = dt.date(2026, 7, 1)

# When each `seen_in` label of nhs_trusts_former_names.csv shows ODS, read from the README's
# "Copies used" table (latest open/close dates in each copy). The 2025-07 copy holds names
# older than the 2024 copy's, so the README says its content probably predates it: it is read
# as mid-2024. Other labels: YYYY-MM as the 1st of the month, YYYY as 1 July.
LABEL_DATES = {
    "2015": dt.date(2015, 10, 1),
    "2018-09": dt.date(2018, 9, 15),
    "2020-03": dt.date(2020, 3, 26),
    "2020": dt.date(2020, 10, 31),
    "2021": dt.date(2021, 10, 1),
    "2024": dt.date(2024, 12, 31),
    "2025-07": dt.date(2024, 7, 1),
    "2026-04": dt.date(2026, 4, 9),
}

REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    region: str | None
    region_code: str | None = None
    kind: str = "trust"  # trust | closed | custom
    aliases: tuple[str, ...] = ()  # from config (and an official name config replaced)
    former_names: tuple[tuple[str, str], ...] = ()  # (former name, seen_in)
    opened: dt.date | None = None
    closed: dt.date | None = None
    successor_codes: tuple[str, ...] = ()
    out_of_scope: bool = False


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    region: str | None
    confidence: float  # 0..1
    auto: bool  # confident enough to apply without review
    matched: str | None = None  # the alias (or similar words) that matched
    kind: str = "trust"

    def to_json(self) -> dict[str, Any]:
        """The contract's candidate object (`orgs match`, `classify`)."""
        return {
            "code": self.code, "name": self.name, "region": self.region,
            "confidence": round(self.confidence, 2), "auto": self.auto,
            "matched": self.matched, "kind": self.kind,
        }


def label_date(label: str) -> dt.date | None:
    """The date a `seen_in` label stands for (None when it is not a label)."""
    label = label.strip()
    if label in LABEL_DATES:
        return LABEL_DATES[label]
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return dt.date(int(label[:4]), int(label[5:]), 1)
    if re.fullmatch(r"\d{4}", label):
        return dt.date(int(label), 7, 1)
    return None


def region_key(name: str) -> str:
    """A region name as compared: any case, `-` or spaces between words, `&` for `and`."""
    return " ".join(name.replace("&", " and ").replace("-", " ").split()).casefold()


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _date(text: str) -> dt.date | None:
    text = (text or "").strip()
    return dt.date.fromisoformat(text) if text else None


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("knowvember").joinpath("data", name).open(
        encoding="utf-8", newline=""
    ) as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=1)
def builtin_organisations() -> tuple[Organisation, ...]:
    """The packaged catalogue: open trusts, then closed ones, with their former names."""
    former: dict[str, list[tuple[str, str]]] = {}
    for row in _read_csv(FORMER_FILE):
        former.setdefault(row["ods_code"].strip(), []).append(
            (row["former_name"].strip(), row["seen_in"].strip())
        )
    orgs = [
        Organisation(
            code=row["ods_code"].strip(), name=row["name"].strip(),
            region=row["region"].strip() or None, region_code=row["region_code"].strip() or None,
            kind="trust", former_names=tuple(former.get(row["ods_code"].strip(), ())),
        )
        for row in _read_csv(TRUSTS_FILE)
    ]
    orgs += [
        Organisation(
            code=row["ods_code"].strip(), name=row["name"].strip(),
            region=row["region"].strip() or None, region_code=row["region_code"].strip() or None,
            kind="closed", former_names=tuple(former.get(row["ods_code"].strip(), ())),
            opened=_date(row["opened"]), closed=_date(row["closed"]),
            successor_codes=tuple(c.strip() for c in row["successor_code"].split(";")
                                  if c.strip()),
        )
        for row in _read_csv(CLOSED_FILE)
    ]
    formed = merger_openings(orgs)
    return tuple(replace(o, opened=formed[o.code]) if o.code in formed and o.opened is None
                 else o for o in orgs)


def merger_openings(orgs: list[Organisation]) -> dict[str, dt.date]:
    """Open trusts formed by a merger -> the day they opened, derived from the closures.

    nhs_trusts.csv has no opening dates, so a trust formed by a merger (R0B South Tyneside
    and Sunderland, 1 April 2019) would count as open in KNOWvember 2018 beside the two
    trusts it replaced. The rule: an open trust that two or more trusts of
    nhs_trusts_closed.csv closed into on the same day, and that has no earlier name in
    nhs_trusts_former_names.csv, is a new trust made by that merger, opened the day after
    they closed (the successor file's effective date). The first such day counts (R0A: RM2
    and RW3 in 2017, before RW6 in 2021). A trust that took one trust over (REM, RQ6 in
    2019), or two on different days (RH5), existed before; so did one with an earlier name
    on record, which took two over on one day and was renamed (RAJ Southend, Mid and South
    Essex since 2020). This gives R0A 2017-10-01, R0B 2019-04-01, R0D 2020-10-01 and R1L
    2017-04-01, the days ODS and the trusts give. A trust that took two over on one day and
    kept its name would be given that day wrongly; none in the data does.
    """
    open_codes = {o.code for o in orgs if o.closed is None and o.kind == "trust"}
    renamed = {o.code for o in orgs if o.former_names}
    closures: dict[tuple[str, dt.date], int] = {}
    for org in orgs:
        if org.closed is None:
            continue
        for successor in org.successor_codes:
            key = (successor.strip().upper(), org.closed)
            closures[key] = closures.get(key, 0) + 1
    formed: dict[str, dt.date] = {}
    for (code, closed), merged in sorted(closures.items(), key=lambda kv: kv[0][1]):
        if merged >= 2 and code in open_codes and code not in renamed and code not in formed:
            formed[code] = closed + dt.timedelta(days=1)
    return formed


# A typed organisation answer of at most this many words may be an acronym in any case.
_SHORT_ANSWER_WORDS = 3


def _entry_namer(settings: Settings) -> Callable[..., str]:
    """`named(index)`: which [[organisations]] entry an error is in, as a config error from
    validation names it (counted from 1, code, name, line of its header); the file is read
    only when an error needs it. `organisations[2]` alone, counted from 0, sent people to
    the entry after the one meant."""
    from knowvember.config import decode_config, entry_named
    from knowvember.errors import ConfigError

    data = {"organisations": [{"code": e.code, "name": e.name or ""}
                              for e in settings.organisations]}
    text: list[str] = []

    def named(index: int, *, lead: str = "in ") -> str:
        if not text:
            try:
                said = decode_config(settings.path.read_bytes(), settings.path
                                     ) if settings.path else ""
            except (OSError, ConfigError):
                said = ""
            headers = re.findall(r"(?m)^\s*\[\[\s*organisations\s*\]\]", said)
            # (a file changed since it was read, or settings built from other text: no lines)
            text.append(said if len(headers) == len(settings.organisations) else "")
        return entry_named(("organisations", index), data, text[0], lead=lead)

    return named


class Catalogue:
    """Every organisation a post can be attributed to, and how to find one from text."""

    def __init__(
        self,
        organisations: list[Organisation],
        *,
        accounts: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self._by_code = {o.code.upper(): o for o in organisations}
        # (platform, normalised handle) -> code, from [[organisations]] accounts.
        self.accounts: dict[tuple[str, str], str] = dict(accounts or {})
        self._matcher: Matcher | None = None
        self._labels: list[tuple[str, dt.date]] | None = None
        self._mergers: dict[str, list[dt.date]] | None = None

    @classmethod
    def load(cls, settings: Settings | None = None) -> Catalogue:
        """The packaged trusts with the campaign's `[[organisations]]` applied."""
        orgs = {o.code: o for o in builtin_organisations()}
        if settings is None or not settings.organisations:
            return cls(list(orgs.values()))
        return cls._with_config(orgs, settings)

    @classmethod
    def _with_config(cls, orgs: dict[str, Organisation], settings: Settings) -> Catalogue:
        from knowvember.errors import ConfigError
        from knowvember.records import account_ref_names, parse_account_ref

        label = str(settings.path) if settings.path else "campaign.toml"
        regions = {region_key(name): (code, name) for code, name in REGIONS.items()}
        seen: dict[str, int] = {}
        accounts: dict[tuple[str, str], str] = {}
        mapped_in: dict[tuple[str, str], int] = {}  # account -> the entry that mapped it
        named = _entry_namer(settings)
        for index, entry in enumerate(settings.organisations):
            where = f"{label}: organisations[{index}]"
            code = entry.code.strip().upper()
            if not re.fullmatch(r"[A-Z0-9][A-Z0-9_.\-]*", code):
                raise ConfigError(f"{where}.code: {entry.code!r} is not a code (letters, "
                                  "digits, '-', '_' or '.', e.g. 'RWE' or 'UNI-LIB')")
            if code in seen:
                raise ConfigError(f"{where}.code: {code!r} is already configured in an "
                                  f"earlier entry{named(seen[code], lead='')}; put everything "
                                  f"in one entry{named(index)}")
            seen[code] = index
            region_code = None
            region = entry.region
            if region and region_key(region) in regions:
                region_code, region = regions[region_key(region)]
            existing = orgs.get(code)
            if existing is None:
                if not entry.name:
                    raise ConfigError(f"{where}.name: required for {code!r}, which is not an "
                                      f"NHS trust code in the catalogue{named(index)}")
                org = Organisation(code=code, name=entry.name, region=region,
                                   region_code=region_code, kind="custom",
                                   aliases=tuple(entry.aliases),
                                   out_of_scope=entry.out_of_scope)
            else:
                aliases = [*existing.aliases, *entry.aliases]
                if entry.name and entry.name != existing.name:
                    aliases.append(existing.name)
                org = replace(
                    existing,
                    name=entry.name or existing.name,
                    region=region or existing.region,
                    region_code=region_code if region else existing.region_code,
                    aliases=tuple(dict.fromkeys(aliases)),
                    out_of_scope=(entry.out_of_scope if "out_of_scope" in entry.model_fields_set
                                  else existing.out_of_scope),
                )
            orgs[code] = org
            for n, ref in enumerate(entry.accounts):
                try:
                    key = parse_account_ref(ref)
                except ValueError as exc:
                    raise ConfigError(f"{where}.accounts[{n}]: {exc}{named(index)}") from None
                if key in accounts and accounts[key] != code:
                    raise ConfigError(f"{where}.accounts[{n}]: {ref!r} is already mapped to "
                                      f"{accounts[key]!r}{named(mapped_in[key], lead='by ')}; "
                                      f"an account counts for one organisation{named(index)}")
                accounts[key] = code
                mapped_in.setdefault(key, index)
                # A Mastodon profile address also names the actor its server keys the
                # account by: the account itself when its handle is on another domain
                # (@lks@nhs.uk served by social.nhs.uk), which the handle read from the
                # address (@lks@social.nhs.uk) is not.
                platform, _handles, keys = account_ref_names(ref)
                for name in sorted(keys - {key[1]}):
                    accounts.setdefault((platform, name), code)
        return cls(list(orgs.values()), accounts=accounts)

    # -- lookups ------------------------------------------------------------------------

    def get(self, code: str) -> Organisation | None:
        return self._by_code.get(code.strip().upper())

    def missing_successor(self, code: str) -> str | None:
        """Why `code`, not in the catalogue, is no typing mistake, if ODS says so.

        A code that ODS names as a closed trust's successor but that the catalogue leaves out
        (G6V2S North London NHS FT, a five-character code): say whose successor it is and
        how to add it, so their posts are reported under it. None for any other code.
        """
        wanted = code.strip().upper()
        before = sorted((o for o in self if wanted in (c.upper() for c in o.successor_codes)),
                        key=lambda o: o.code)
        if not before or wanted in self._by_code:
            return None
        closed = "; ".join(f"{o.code} {o.name}" for o in before)
        return (f"{wanted} is not in the organisations catalogue, though ODS gives it as the "
                f"successor of {closed}; add it under [[organisations]] in campaign.toml "
                f"(code = \"{wanted}\" and its name) to report them under it")

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def regions(self) -> list[str]:
        return sorted({o.region for o in self if o.region})

    @property
    def matcher(self) -> Matcher:
        """The alias index, built on first use (a catalogue used only by code stays cheap)."""
        if self._matcher is None:
            from knowvember.orgmatch import Matcher

            self._matcher = Matcher(self._by_code.values())
        return self._matcher

    def aliases_of(self, code: str) -> list[Alias]:
        """Every alias that points at `code`, most confident first."""
        org = self.get(code)
        return self.matcher.aliases_of(org.code) if org else []

    def match(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Best candidates for a bio, display name or typed organisation name."""
        from knowvember.orgmatch import AUTO_THRESHOLD, RIVAL_THRESHOLD

        refs = self.matcher.match(text)[: max(limit, 2)]
        candidates = []
        for n, (code, confidence, matched) in enumerate(refs[:limit]):
            org = self._by_code[code.upper()]
            rival = refs[1][1] if n == 0 and len(refs) > 1 else 0.0
            auto = n == 0 and confidence >= AUTO_THRESHOLD and rival < RIVAL_THRESHOLD
            candidates.append(Candidate(org.code, org.name, org.region, confidence, auto,
                                        matched, org.kind))
        return candidates

    def resolve(self, text: str) -> Organisation | None:
        """An ODS code or a confidently matched name -> organisation, else None.

        `text` is a typed organisation name (a story form's "Organisation" answer), where a
        short answer is the name whatever its case: "ltht", "Gosh" or "uhl library" are
        read as written in capitals, as an acronym must be in a bio.
        """
        if not text or not text.strip():
            return None
        org = self.get(text)
        if org is not None:
            return org
        forms = [text]
        if len(text.split()) <= _SHORT_ANSWER_WORDS and text != text.upper():
            forms.append(text.upper())
        for form in forms:
            candidates = self.match(form, limit=2)
            if candidates and candidates[0].auto:
                return self.get(candidates[0].code)
        return None

    # -- history ------------------------------------------------------------------------

    def _copy_labels(self) -> list[tuple[str, dt.date]]:
        """Every ODS copy the former-names file was read from, as (label, date)."""
        if self._labels is None:
            labels: dict[str, dt.date] = {}
            for org in self:
                for _name, seen in org.former_names:
                    for item in seen.split(";"):
                        when = label_date(item)
                        if when is not None:
                            labels[item.strip()] = when
            self._labels = sorted(labels.items(), key=lambda kv: kv[1])
        return self._labels

    def _merger_dates(self) -> dict[str, list[dt.date]]:
        """Code -> the days after trusts closed into it (its successor): merger days."""
        if self._mergers is None:
            mergers: dict[str, list[dt.date]] = {}
            for org in self:
                if org.closed is not None:
                    for successor in org.successor_codes:
                        mergers.setdefault(successor.upper(), []).append(
                            org.closed + dt.timedelta(days=1))
            self._mergers = mergers
        return self._mergers

    def name_history(self, code: str) -> list[tuple[dt.date, str]]:
        """When each name of `code` is known to have been in use, oldest first.

        Former names are known at the copies their `seen_in` lists. The current (or, for a
        closed trust, last) name is known at the snapshot or the close date, and at every
        later copy that does not list a former name for the code: the file lists only names
        that differ from the current one, so such a copy showed the current name.

        A trust that took another over is renamed on the day of the merger (REM became
        Liverpool University Hospitals when RQ6 closed into it on 30 September 2019), so the
        name of the first copy after a merger also counts from the merger day: a campaign
        between the merger and that copy must not get a name the trust had already dropped.
        """
        org = self.get(code)
        if org is None:
            return []
        seen: list[tuple[dt.date, str]] = []
        labels_used: set[str] = set()
        for name, labels in org.former_names:
            for item in labels.split(";"):
                when = label_date(item)
                if when is not None:
                    seen.append((when, name))
                    labels_used.add(item.strip())
        last_known = org.closed or SNAPSHOT
        seen.append((last_known, org.name))
        if org.former_names and seen[:-1]:
            earliest = min(when for when, _ in seen[:-1])
            for label, when in self._copy_labels():
                if label not in labels_used and earliest <= when <= last_known:
                    seen.append((when, org.name))
        for merged in self._merger_dates().get(org.code.upper(), ()):
            later = [item for item in seen if item[0] >= merged]
            if later:
                seen.append((merged, min(later)[1]))
        return sorted(seen)

    def name_as_of(self, code: str, date: dt.date) -> str:
        """The organisation's name at `date` (former names for earlier campaigns).

        The name seen in the latest ODS copy on or before `date`; before the first copy, the
        oldest name known. Rename dates are not in the data, so a campaign between two copies
        gets the earlier copy's name.
        """
        org = self.get(code)
        if org is None:
            return code
        if not org.former_names:
            return org.name
        history = self.name_history(code)
        date = _as_date(date)
        earlier = [name for when, name in history if when <= date]
        return earlier[-1] if earlier else history[0][1]

    def current_code(self, code: str, date: dt.date) -> str:
        """The code to report under at `date`: successors replace trusts closed before it.

        Follows the chain (a successor that has closed too is followed on). Where ODS lists
        more than one successor (RW6 Pennine Acute: RM3 then R0A) the first is used, as the
        successor file orders them. A successor not in the catalogue (G6V2S, unless added in
        config) or none at all leaves the closed code as it is.
        """
        date = _as_date(date)
        org = self.get(code)
        if org is None:
            return code.strip().upper()
        seen = {org.code}
        while org.closed is not None and org.closed < date and org.successor_codes:
            successor = self.get(org.successor_codes[0])
            if successor is None or successor.code in seen:
                break
            seen.add(successor.code)
            org = successor
        return org.code

    def report_as(self, code: str, date: dt.date) -> Organisation | None:
        """The organisation a post at `date` counts for, named as it was then."""
        current = self.get(self.current_code(code, date))
        if current is None:
            return None
        name = self.name_as_of(current.code, date)
        return current if name == current.name else replace(current, name=name)

    def counted_for(self, code: str, date: dt.date) -> list[str]:
        """Every stored code whose posts count for `code` in a campaign at `date`.

        Itself (unless it had closed into a successor by then) and every trust that had
        closed into it: in KNOWvember 2022, RM3 counts RW6 Pennine Acute's accounts too.
        """
        target = self.current_code(code, date)
        if target != code.strip().upper():
            return []
        return [target, *sorted(o.code for o in self
                                if o.code != target and self.current_code(o.code, date) == target)]

    def as_of(self, date: dt.date) -> dict[str, Organisation]:
        """`report_as` for every code: what reports map stored codes through for a campaign."""
        result: dict[str, Organisation] = {}
        for org in self:
            shown = self.report_as(org.code, date)
            if shown is not None:
                result[org.code] = shown
        return result

    def fingerprint(self) -> str:
        """Changes whenever matching could give a different answer (config, data, rules)."""
        from knowvember import orgmatch, trust_aliases

        digest = hashlib.sha256()
        for org in sorted(self, key=lambda o: o.code):
            digest.update(repr((org.code, org.name, org.aliases, org.former_names,
                                org.successor_codes, org.closed)).encode())
        digest.update(repr((trust_aliases.CURATED, trust_aliases.WEAK,
                            trust_aliases.OUTSIDE_ENGLAND,
                            trust_aliases.OUTSIDE_ENGLAND_SUFFIXES)).encode())
        digest.update(repr((orgmatch.AUTO_THRESHOLD, orgmatch.MATCHER_VERSION)).encode())
        return digest.hexdigest()[:12]


@dataclass
class SyncSummary:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unknown_codes: list[str] = field(default_factory=list)  # used by accounts, not in catalogue


def organisation_row(org: Organisation) -> dict[str, Any]:
    return {
        "code": org.code, "name": org.name, "region": org.region,
        "region_code": org.region_code, "kind": org.kind, "aliases": list(org.aliases),
        "former_names": [list(f) for f in org.former_names], "opened": org.opened,
        "closed": org.closed, "successor_codes": list(org.successor_codes),
        "out_of_scope": bool(org.out_of_scope),
    }


def sync_organisations(db: Database, catalogue: Catalogue) -> SyncSummary:
    """Write the catalogue to the organisations table (so reports can join in SQL).

    An upsert: rows that changed are updated, new ones inserted, and rows no longer in the
    catalogue (an organisation removed from campaign.toml) deleted. Accounts keep their code
    either way; codes accounts use that are not in the catalogue are logged as a warning.
    """
    import sqlalchemy as sa

    from knowvember.models import Account
    from knowvember.models import Organisation as OrganisationRow

    table = OrganisationRow.__table__
    accounts = Account.__table__
    wanted = {org.code: organisation_row(org) for org in catalogue}
    summary = SyncSummary()
    with db.begin() as conn:
        existing = {row["code"]: dict(row) for row in conn.execute(sa.select(table)).mappings()}
        inserts = [row for code, row in wanted.items() if code not in existing]
        updates = [
            {"b_code": code, **{k: v for k, v in row.items() if k != "code"}}
            for code, row in wanted.items()
            if code in existing and _differs(existing[code], row)
        ]
        deletes = [code for code in existing if code not in wanted]
        if inserts:
            conn.execute(table.insert(), inserts)
        if updates:
            conn.execute(
                table.update().where(table.c.code == sa.bindparam("b_code")).values(
                    {k: sa.bindparam(k) for k in updates[0] if k != "b_code"}
                ),
                updates,
            )
        for start in range(0, len(deletes), 500):
            conn.execute(table.delete().where(table.c.code.in_(deletes[start:start + 500])))
        used = conn.execute(
            sa.select(accounts.c.organisation_code).distinct()
            .where(accounts.c.organisation_code.is_not(None))
        ).scalars().all()
        summary.unknown_codes = sorted(c for c in used if c not in wanted)
        mapped_elsewhere = _mapped_by_other_campaigns(conn, accounts, summary.unknown_codes)
    summary.inserted, summary.updated, summary.deleted = len(inserts), len(updates), len(deletes)
    for code, slugs in mapped_elsewhere.items():
        log.warning(
            "accounts are mapped to %s by the campaign.toml of %s, and this campaign.toml has "
            "no [[organisations]] entry for it: this campaign's reports show the bare code; "
            "add the entry here too to name it", code, ", ".join(slugs))
    others = [c for c in summary.unknown_codes if c not in mapped_elsewhere]
    if others:
        log.warning(
            "accounts are attributed to %s, which %s not in the organisations catalogue; add "
            "them under [[organisations]] or reassign the accounts",
            ", ".join(others), "is" if len(others) == 1 else "are",
        )
    return summary


def _mapped_by_other_campaigns(conn: Any, accounts: Any, codes: list[str]) -> dict[str, list[str]]:
    """Unknown code -> the campaigns whose campaign.toml mapped every account using it.

    A code another year's file configures (G6V2S in KNOWvember 2025's) is no mistake to
    fix by reassigning: `attribution` keeps that campaign's mapping (see
    `knowvember.attribution`), so the warning says where it comes from.
    """
    import sqlalchemy as sa

    if not codes:
        return {}
    rows = conn.execute(
        sa.select(accounts.c.organisation_code, accounts.c.attribution,
                  accounts.c.attribution_input)
        .where(accounts.c.organisation_code.in_(codes))
    ).all()
    found: dict[str, set[str]] = {}
    plain: set[str] = set()
    for code, attribution, stamp in rows:
        if attribution == "config" and (stamp or "").startswith("config:"):
            found.setdefault(code, set()).add(stamp[len("config:"):])
        else:
            plain.add(code)
    return {code: sorted(slugs) for code, slugs in found.items() if code not in plain}


def _differs(stored: dict[str, Any], row: dict[str, Any]) -> bool:
    for key, value in row.items():
        current = stored.get(key)
        if key in ("aliases", "former_names", "successor_codes"):
            current = [list(v) if isinstance(v, list | tuple) else v for v in current or []]
            value = [list(v) if isinstance(v, list | tuple) else v for v in value]
        if key == "out_of_scope":
            current = bool(current)
        if current != value:
            return True
    return False


def account_text(display_name: str | None, bio: str | None, handle: str | None) -> str:
    """The profile text automatic attribution reads: display name, bio and handle.

    The handle is written with an `@` (Bluesky handles have none) so it is read as a handle:
    split where a library team's handle runs words together (`mftlib.bsky.social`).
    """
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    return "\n".join(part for part in (display_name, bio, handle) if part)


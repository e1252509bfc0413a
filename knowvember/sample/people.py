"""Who takes part: trusts' library teams and their staff, a few accounts nobody can place,
the national team that runs KNOWvember, and a law firm's KM team borrowing the hashtag.

Organisations come from the trust catalogue (`knowvember/data/nhs_trusts.csv`, read with csv
directly so the sample does not depend on the matching code it is meant to exercise). Bios are
written the way library staff write them: full names, short names, acronyms, "@ MFT".
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from importlib import resources

from knowvember.sample.campaign import COLLECTED_INSTANCES, HOME_INSTANCES, Campaign
from knowvember.sample.ids import X_EPOCH_MS, did_plc, x_snowflake

# How people actually abbreviate some trusts (the rest get initials, or nothing).
KNOWN_SHORT = {
    "R0A": "MFT", "RWE": "UHL", "RR8": "LTHT", "RTD": "NUTH", "RJ1": "GSTT", "RRK": "UHB",
    "RHQ": "STH", "RTH": "OUH", "RGT": "CUH", "RX1": "NUH", "RYJ": "Imperial", "RP4": "GOSH",
    "RRV": "UCLH", "RAL": "Royal Free", "RBV": "The Christie", "RPY": "Royal Marsden",
    "REM": "LUHFT", "RTF": "Northumbria", "RXN": "LTHTr", "RKB": "UHCW", "RJE": "UHNM",
    "RTG": "UHDB", "RTX": "UHMBT", "RK9": "UHP", "RHM": "UHS", "RWA": "HUTH", "RXF": "MYTT",
    "RX7": "NWAS", "RRU": "LAS", "RYA": "WMAS", "RX9": "EMAS", "RX8": "YAS", "RM3": "NCA",
    "RV5": "SLaM", "RWK": "ELFT", "RXV": "GMMH", "RWY": "CHFT", "RM1": "NNUH", "RD1": "RUH",
    "REF": "RCHT", "RL4": "RWT", "RXK": "SWBH", "RQ3": "BWC", "RVV": "EKHUFT", "RWF": "MTW",
    "RXC": "ESHT", "RN5": "HHFT", "RTK": "ASPH", "RHW": "RBFT", "RGP": "JPUH", "RDE": "ESNEFT",
    "R1L": "EPUT", "RBQ": "LHCH", "REP": "LWH", "RBL": "WUTH", "RJR": "COCH", "RN3": "GWH",
    "R0D": "UHD", "RVN": "AWP", "RX2": "SPFT", "RGD": "LYPFT", "RY6": "LCH", "RWG": "WHTH",
    "RFR": "TRFT", "RP5": "DBTH", "TAH": "SHSC", "TAD": "BDCFT", "RXP": "CDDFT",
    "RVW": "NTHFT", "R0B": "STSFT", "RX6": "NEAS", "RBS": "Alder Hey", "RJZ": "KCH",
    "RAE": "BTHFT", "RCB": "YSTHFT", "RH8": "RDUH", "RNA": "DGFT", "RA2": "RSFT",
}
# Trusts every sample includes, so the README's examples always have someone to point at.
ANCHORS = ("RWE", "RR8", "R0A", "RTD", "RJ1", "RBS")

FIRST = ("Sarah", "Emma", "Claire", "Helen", "Rachel", "Louise", "Joanne", "Kate", "Lisa",
         "Nicola", "Gemma", "Laura", "Anna", "Victoria", "Jenny", "Ruth", "Alison", "Fiona",
         "Hannah", "Lucy", "Amy", "Beth", "Sophie", "Priya", "Aisha", "Fatima", "Mei", "Siobhan",
         "Ngozi", "Chidi", "James", "David", "Mark", "Paul", "Tom", "Ben", "Matt", "Chris",
         "Dan", "Andy", "Rob", "Steve", "Sam", "Alex", "Jo", "Raj", "Imran", "Tariq", "Owen",
         "Rhys", "Gareth", "Zoë", "Anaïs", "Kirsty", "Deborah", "Marie", "Tracey", "Jas")
LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
        "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Ahmed", "Hussain", "Begum",
        "Okafor", "Adeyemi", "Chen", "Wong", "Murphy", "O'Brien", "Kelly", "Hughes", "Edwards",
        "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Harrison",
        "Morgan", "Lewis", "Scott", "Young", "Mitchell", "Shaw", "Lloyd", "McDonald", "Kaur")
ROLES = ("Clinical Librarian", "Outreach Librarian", "Knowledge Specialist",
         "Library Services Manager", "Head of Library and Knowledge Services",
         "Library Assistant", "Senior Information Specialist", "Knowledge Manager",
         "Evidence Specialist", "Learning Resources Manager", "Embedded Librarian",
         "Patient Information Librarian", "Library Apprentice", "Knowledge Mobilisation Lead",
         "Assistant Librarian", "Library & Knowledge Services Manager")
SERVICES = ("Library & Knowledge Service", "Library and Knowledge Services",
            "Knowledge and Library Services", "Library and Knowledge Service", "Health Library",
            "Healthcare Library", "Library & Information Service", "Knowledge & Evidence Service",
            "Library and Evidence Service")
_STOP = {"of", "and", "the", "upon", "for", "in", "on", "at", "with", "to", "&", "nhs"}


@dataclass(frozen=True)
class Org:
    code: str
    name: str  # the catalogue's official name
    region: str
    short: str  # "Leeds Teaching Hospitals"
    acronym: str | None  # "LTHT", or None when nobody abbreviates it
    kind: str = "trust"  # trust | national | other

    @property
    def handle_stem(self) -> str:
        stem = self.acronym or "".join(w[0] for w in self.short.split() if w.lower() not in _STOP)
        return "".join(c for c in stem if c.isalnum())


@dataclass
class Account:
    """One person or team, with an identity on each platform it uses."""

    idx: int
    voice: str  # team | staff | anon | national | other
    org: Org | None
    display_name: str
    bio: str
    person: str | None  # a person's name (staff, and who writes stories for a team)
    role: str | None
    created: dt.datetime
    followers: int
    following: int
    activity: float  # relative posting rate
    x_id: str | None = None
    x_username: str | None = None
    mastodon_user: str | None = None
    mastodon_home: str | None = None
    bluesky_did: str | None = None
    bluesky_handle: str | None = None
    avatar: str = ""
    opted_out: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def on(self, platform: str) -> bool:
        if platform == "x":
            return self.x_username is not None
        if platform == "mastodon":
            return self.mastodon_user is not None
        return self.bluesky_handle is not None

    def handle(self, platform: str) -> str:
        """The handle as the database writes it (`x:@name`, `mastodon:@user@host`, ...)."""
        if platform == "x":
            return f"@{self.x_username}".lower()
        if platform == "mastodon":
            return f"@{self.mastodon_user}@{self.mastodon_home}".lower()
        return (self.bluesky_handle or "").lower()

    @property
    def email(self) -> str:
        name = (self.person or "library team").lower().replace("'", "").replace(" ", ".")
        name = name.replace("ë", "e").replace("ï", "i")
        return f"{name}@nhs.net"


def load_trusts() -> list[dict[str, str]]:
    """The trust catalogue rows (ods_code, name, region), in file order."""
    path = resources.files("knowvember") / "data" / "nhs_trusts.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row.get("ods_code")]


def short_name(name: str) -> str:
    short = name.replace(",", "")
    for suffix in (" NHS Foundation Trust", " NHS Trust"):
        if short.endswith(suffix):
            short = short[: -len(suffix)]
            break
    if short.startswith("The "):
        short = short[4:]
    return short.strip()


def make_org(row: dict[str, str], rng: random.Random) -> Org:
    name = row["name"].strip()
    short = short_name(name)
    acronym = KNOWN_SHORT.get(row["ods_code"])
    if acronym is None and rng.random() < 0.5:
        initials = "".join(w[0] for w in short.split() if w.lower() not in _STOP)
        if 2 <= len(initials) <= 5:
            acronym = initials.upper() + ("T" if name.endswith("NHS Trust") else "FT")
    return Org(row["ods_code"], name, row.get("region") or "", short, acronym)


def national_org(campaign: Campaign) -> Org:
    if campaign.year >= 2023:
        return Org("NHSE-KLS", "NHS England Knowledge and Library Services", "National",
                   "NHS England Knowledge and Library Services", "NHSE KLS", "national")
    return Org("HEE-LKS", "Health Education England Library and Knowledge Services", "National",
               "Health Education England Library and Knowledge Services", "HEE LKS", "national")


OTHER_ORG = Org("HVLLP", "Harbour & Vale LLP", "", "Harbour & Vale", "H&V", "other")


@dataclass
class People:
    orgs: list[Org]
    accounts: list[Account]
    national: Account
    other: Account

    def on(self, platform: str) -> list[Account]:
        return [a for a in self.accounts if a.on(platform)]


def sizes(posts: int) -> tuple[int, int]:
    """(organisations, accounts) for a sample of `posts`: dozens for a demo, 200 / 5,000 at
    a million, like a national campaign."""
    orgs = max(30, round(math.sqrt(max(posts, 1)) * 0.75))
    accounts = max(80, min(5000, posts // 200))
    return orgs, accounts


def build_people(campaign: Campaign, posts: int, rng: random.Random,
                 platforms: tuple[str, ...] = ("x", "mastodon", "bluesky")) -> People:
    """Everyone in the sample, with identities on the `platforms` it uses."""
    trusts = load_trusts()
    n_orgs, n_accounts = sizes(posts)
    n_orgs = min(n_orgs, len(trusts))
    by_code = {row["ods_code"]: row for row in trusts}
    chosen = [by_code[c] for c in ANCHORS if c in by_code]
    rest = [row for row in trusts if row["ods_code"] not in ANCHORS]
    chosen += rng.sample(rest, max(0, n_orgs - len(chosen)))
    orgs = [make_org(row, rng) for row in chosen]
    maker = _AccountMaker(campaign, rng, platforms)
    accounts: list[Account] = []
    national = maker.national(len(accounts), national_org(campaign))
    accounts.append(national)
    other = maker.other(len(accounts))
    accounts.append(other)
    for org in orgs:
        accounts.append(maker.team(len(accounts), org))
    n_anon = max(4, n_accounts * 3 // 100)
    for _ in range(n_anon):
        accounts.append(maker.anon(len(accounts)))
    # Staff cluster in the keen trusts: a few teams have many voices, most have one or two.
    org_weights = [1.0 / (i + 1) ** 0.6 for i in range(len(orgs))]
    cumulative = list(_accumulate(org_weights))
    while len(accounts) < n_accounts:
        org = orgs[_pick(rng, cumulative)]
        accounts.append(maker.staff(len(accounts), org))
    # One person asked to be left out of the leaderboards (exclude_accounts in the config).
    for account in accounts:
        if account.voice == "staff" and account.x_username:
            account.opted_out = True
            break
    return People(orgs, accounts, national, other)


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]),
               len(cumulative) - 1)


class _AccountMaker:
    """Makes accounts with unique handles on each platform."""

    def __init__(self, campaign: Campaign, rng: random.Random, platforms: tuple[str, ...]
                 ) -> None:
        self.campaign = campaign
        self.rng = rng
        self.x_names: set[str] = set()
        self.m_names: set[str] = set()
        self.b_names: set[str] = set()
        self.x = "x" in platforms
        self.mastodon = "mastodon" in platforms
        self.bluesky = "bluesky" in platforms

    # -- voices -------------------------------------------------------------------------

    def national(self, idx: int, org: Org) -> Account:
        c = self.campaign
        bio = (f"Knowledge and library services for the NHS in England. Home of #KNOWvember: "
               f"a month of sharing knowledge mobilisation techniques. Follow #KNOWvember{c.yy}")
        if org.code == "HEE-LKS":
            bio = ("Health Education England Library and Knowledge Services: supporting NHS "
                   "library teams across England. #KNOWvember is our knowledge mobilisation "
                   "month.")
        account = Account(idx, "national", org, org.name, bio, "Campaign team", "Coordinator",
                          self._created(2011, 2013), 24_000, 2100, 30.0)
        stem = "NHSE_KLS" if org.code == "NHSE-KLS" else "HEE_LKS"
        return self._identities(account, stem, always=True)

    def other(self, idx: int) -> Account:
        account = Account(
            idx, "other", OTHER_ORG, "Harbour & Vale Knowledge Team",
            "Knowledge management and know-how at Harbour & Vale LLP, commercial lawyers. We "
            "love a good #KNOWvember and a well-kept precedent bank.",
            "Know-how team", "Knowledge Lawyer", self._created(2012, 2018), 1800, 900, 2.0)
        return self._identities(account, "HarbourValeKM", always=True)

    def team(self, idx: int, org: Org) -> Account:
        rng = self.rng
        service = rng.choice(SERVICES)
        acr = org.acronym
        names = [f"{org.short} Library", f"{org.short} Libraries",
                 f"{org.short} Knowledge & Library Services", f"{org.short} Healthcare Library"]
        if acr:
            names += [f"{acr} Library & Knowledge Service", f"{acr} Libraries",
                      f"{acr} Library"]
        display = rng.choice(names)[:50]
        bios = [
            f"{service}, {org.name}",
            f"Knowledge and Library Services at {org.short} | #KNOWvember",
            f"Supporting staff, students and patients at {org.name} with evidence, training "
            "and knowledge. Tweets by the library team.",
            f"The {service} for {org.short}. Literature searches, current awareness, training "
            "and more. Staffed Mon-Fri 8:30-17:00.",
            f"Official account of the {service.lower()} at {org.short}. RTs are not "
            "endorsements.",
        ]
        if acr:
            bios.append(f"Your {service} at {acr} 📚 Evidence, knowledge and learning for "
                        "everyone who works here.")
        account = Account(idx, "team", org, display, rng.choice(bios), self._person(),
                          "Library team", self._created(2010, 2017),
                          self._count(900, 0.8, 60, 12_000), self._count(700, 0.6),
                          self._lognormal(3.0, 0.9, 0.3, 40))
        stem = org.handle_stem + rng.choice(("Library", "Libraries", "_LKS", "KLS", "Lib",
                                             "Knowledge", "_Library"))
        return self._identities(account, stem, x_share=1.0, m_share=0.25, b_share=0.45)

    def staff(self, idx: int, org: Org) -> Account:
        rng = self.rng
        person = self._person()
        role = rng.choice(ROLES)
        acr = org.acronym
        service = rng.choice(SERVICES)
        bios = [
            f"{role}, {org.name}. Views my own.",
            f"{role} at {org.short} | knowledge mobilisation | evidence | "
            f"{rng.choice(('she/her', 'he/him', 'they/them'))}",
            f"{role} in the {service}, {org.short}. Tweets are my own.",
            f"{role} | {org.short} | #ukmedlibs | opinions my own",
        ]
        if acr:
            bios += [f"Clinical librarian @ {acr}", f"Librarian. {role} for {acr}. Tea, "
                     "running, evidence.", f"{role} @ {acr} 📚 #KNOWvember"]
        account = Account(idx, "staff", org, person, rng.choice(bios), person, role,
                          self._created(2009, 2021), self._count(350, 0.9, 5, 9000),
                          self._count(400, 0.7), self._lognormal(1.0, 1.1, 0.05, 30))
        first, _, last = person.partition(" ")
        stem = rng.choice((first + last, first[0] + last, first + "_" + last,
                           first + last[0] + "Lib", first + "Librarian"))
        return self._identities(account, stem, x_share=0.85, m_share=0.25, b_share=0.4)

    def anon(self, idx: int) -> Account:
        rng = self.rng
        bio, display = rng.choice((
            ("Health librarian. Books, evidence, cats. Views my own.", None),
            ("Knowledge manager somewhere in the north. #KNOWvember fan.", None),
            ("Library assistant in the NHS 📚 | he/him", None),
            ("Information professional. Previously NHS, now freelance.", None),
            ("Evidence nerd | coffee | KM", None),
            ("", None),
            ("Librarian at a hospital trust in the Midlands. Views own.", None),
            ("Clinical librarian @ UH", None),
            ("Library & Knowledge Service, University Hospitals", "The Library Team"),
            ("Knowledge is for sharing. Retweets are not endorsements.", "KM Thoughts"),
        ))
        person = self._person()
        account = Account(idx, "anon", None, display or person, bio, person, None,
                          self._created(2009, 2022), self._count(200, 1.0, 3, 4000),
                          self._count(300, 0.8), self._lognormal(0.6, 0.9, 0.05, 10))
        first, _, last = person.partition(" ")
        stem = rng.choice((first + last + "Lib", first + "Reads", "KM" + first, first + last))
        return self._identities(account, stem, x_share=0.8, m_share=0.35, b_share=0.35)

    # -- helpers ------------------------------------------------------------------------

    def _person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def _created(self, first_year: int, last_year: int) -> dt.datetime:
        last_year = min(last_year, self.campaign.year)
        first_year = min(first_year, last_year)
        start = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
        end = dt.datetime(last_year, 10, 1, tzinfo=dt.UTC)
        seconds = int((end - start).total_seconds() * self.rng.random())
        return start + dt.timedelta(seconds=seconds)

    def _lognormal(self, median: float, sigma: float, low: float = 1, high: float = 1e9
                   ) -> float:
        """Heavy-tailed, as follower counts and posting rates are."""
        return min(max(median * math.exp(self.rng.gauss(0.0, sigma)), low), high)

    def _count(self, median: float, sigma: float, low: float = 1, high: float = 1e9) -> int:
        return int(self._lognormal(median, sigma, low, high))

    def _identities(self, account: Account, stem: str, *, always: bool = False,
                    x_share: float = 1.0, m_share: float = 0.0, b_share: float = 0.0
                    ) -> Account:
        rng = self.rng
        clean = "".join(c for c in stem if c.isascii() and (c.isalnum() or c == "_"))
        if self.x and (always or rng.random() < x_share):
            account.x_username = _unique(clean[:15], self.x_names, 15)
            account.x_id = _x_user_id(account.created, rng)
        if self.mastodon and (always or rng.random() < m_share):
            account.mastodon_user = _unique(clean.lower()[:30], self.m_names, 30)
            if account.voice == "national":
                account.mastodon_home = "mastodonapp.uk"
            else:
                account.mastodon_home = rng.choice(HOME_INSTANCES)
        if self.bluesky and (always or rng.random() < b_share):
            name = clean.lower().replace("_", "")[:18] or "library"
            account.bluesky_handle = _unique(name, self.b_names, 18) + ".bsky.social"
            account.bluesky_did = did_plc(rng)
        if not (account.x_username or account.mastodon_user or account.bluesky_handle):
            self._identities(account, stem, always=True)  # everyone is somewhere
        account.avatar = f"{rng.getrandbits(60):x}"
        return account


def _unique(name: str, taken: set[str], limit: int) -> str:
    name = name or "library"
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        suffix = str(n)
        candidate = name[: limit - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _x_user_id(created: dt.datetime, rng: random.Random) -> str:
    """Accounts made before late 2013 have short sequential ids; later ones are snowflakes."""
    if created.year < 2014:
        days = (created - dt.datetime(2006, 7, 1, tzinfo=dt.UTC)).days
        return str(20_000_000 + days * 1_020_000 + rng.randrange(1_000_000))
    ms = int(created.timestamp() * 1000)
    return str(x_snowflake(max(ms, X_EPOCH_MS), rng.randrange(1024), rng.randrange(4096)))


__all__ = ["COLLECTED_INSTANCES", "Account", "Org", "People", "build_people"]

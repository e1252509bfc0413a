"""The story form export: a Microsoft Forms response sheet saved as CSV UTF-8.

Columns are the form's: `ID`, `Start time`, `Completion time`, `Email`, `Name`, then one per
question, headed by the question as the form asked it (the sample's campaign.toml maps them
with `[stories.form_columns]`). Multi-choice answers are `;`-separated with the trailing `;`
Forms writes; times are UK day-first without leading zeros (`3/11/2025 10:15:22`).
Each story comes with the review it is meant to get, so a demo can exercise every status.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from knowvember.sample import texts
from knowvember.sample.campaign import Campaign
from knowvember.sample.people import Account, People

QUESTIONS = {
    "role": "Your role",
    "title": "Title of your story",
    "body": "What did you do? Tell us what happened",
    "outcome": "What difference did it make?",
    "techniques": "Which knowledge mobilisation techniques did you use?",
    "organisation": "Which organisation do you work for?",
    "links": "Links to find out more (optional)",
    "consent": "Can we publish your story on the KNOWvember stories page?",
}
HEADER = ["ID", "Start time", "Completion time", "Email", "Name", *QUESTIONS.values()]

TITLES = (
    "How our team ran {techs} for {dept}",
    "Our {nth} round of {techs}",
    "{a_tech} before the new EPR go-live",
    "{tech} with the {dept}",
    "What we learned from {a_tech} on the ward",
    "Starting {a_tech} for {dept} in our trust",
    "Bringing {techs} to {dept}",
)
BODIES = (
    "We invited the {dept} to {a_tech} in {place}. {n} people came, and we used the "
    "{tech} format the KNOWvember toolkit describes: {blurb}. The library team facilitated "
    "and wrote up the actions afterwards.",
    "Our {tech} started as a small pilot with the {dept}. We booked a room, kept it to an "
    "hour, and asked everyone the same three questions. People said it was the first time "
    "they had stopped to reflect since the summer.",
    "After a difficult project we wanted to learn properly before the next one. We ran "
    "{a_tech} with the {dept}, recorded the lessons, and shared them on the intranet.",
    "{n} colleagues signed up for our {techs} this KNOWvember. We matched them across "
    "departments, sent a short guide and a voucher for the coffee shop, and asked for a "
    "sentence of feedback each.",
    "Inspired by another trust's post, we tried {a_tech} with the {dept} and a facilitator "
    "from the library. We also tried {a_tech2}, which worked better for the night shift.",
)
OUTCOMES = (
    "Three changes to how the {dept} hand over, and they have asked for another session "
    "in the spring.",
    "The team now runs {techs} themselves; the library is on hand to support.",
    "{n} new connections across the trust, and two joint projects have already started.",
    "We saved a repeat of last year's mistakes: the lessons log is now part of project "
    "start-up.",
    "Staff rated it 4.6 out of 5 and the {dept} want it built into induction.",
)
REJECT_NOTES = (
    "This is a general library promotion rather than a knowledge mobilisation story.",
    "A duplicate of a story the same team sent earlier in the month.",
    "The story is about a research study, not a KM technique; happy to talk it through.",
)
CHANGES_NOTES = (
    "Please add what difference it made (the outcome) before we publish.",
    "Could you say which technique you used and how you ran it?",
    "Please remove the patient details in paragraph two.",
)


@dataclass(frozen=True)
class StoryPlan:
    """One form response and the review decision the demo applies to it."""

    response_id: str
    title: str
    email: str
    organisation: str
    techniques: tuple[str, ...]
    consent: bool
    decision: str  # approve | reject | request_changes | none (stays submitted)
    note: str | None


def _fill(template: str, rng: random.Random, tech: texts.Technique,
          tech2: texts.Technique) -> str:
    form = tech.forms[0]
    values = {
        "tech": tech.noun(form), "a_tech": tech.article(form), "techs": tech.plural,
        "a_tech2": tech2.article(tech2.forms[0]), "blurb": tech.blurb,
        "dept": rng.choice(texts.DEPARTMENTS), "place": rng.choice(texts.PLACES),
        "nth": rng.choice(texts.ORDINALS), "n": str(rng.randrange(6, 45)),
    }
    text = template.format(**values)
    return text[0].upper() + text[1:]


def _organisation_answer(account: Account, rng: random.Random) -> str:
    """How people fill in 'which organisation': the full name, a short form, or the code."""
    org = account.org
    if org is None:
        return rng.choice(("NHS", "Hospital library", "Not sure"))
    if org.kind != "trust":
        return org.name
    choice = rng.random()
    if choice < 0.5:
        return org.name
    if choice < 0.75:
        return org.short
    if choice < 0.9 and org.acronym:
        return org.acronym
    return org.code


def _ms_forms_time(moment: dt.datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M:%S}"


def write_stories(path: Path, campaign: Campaign, people: People, count: int, seed: int
                  ) -> list[StoryPlan]:
    """Write the export and return each response's planned review."""
    rng = random.Random(f"{seed}:stories")
    tz = campaign.tz
    writers = [a for a in people.accounts if a.voice in ("team", "staff", "national")
               and a.org is not None and a.org.kind != "national"] or people.accounts
    start = dt.datetime.combine(campaign.start, dt.time(8), tz)
    span = ((campaign.end - campaign.start).days + 5) * 86400
    moments = sorted(rng.random() * span for _ in range(count))
    weights = list(texts.TECHNIQUE_WEIGHTS)
    plans: list[StoryPlan] = []
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for number, offset in enumerate(moments, start=1):
            account = rng.choice(writers)
            person = account.person or "Library Team"
            if account.voice == "team":
                person = f"{rng.choice(('Sarah', 'Claire', 'Tom', 'Priya', 'Gareth'))} " \
                         f"{rng.choice(('Hughes', 'Patel', 'Okafor', 'Wright', 'Chen'))}"
            email = person.lower().replace("'", "").replace(" ", ".") + "@nhs.net"
            tech, tech2 = rng.choices(texts.TECHNIQUES, weights, k=2)
            if tech2 is tech:
                tech2 = texts.TECHNIQUES[(texts.TECHNIQUES.index(tech) + 1)
                                         % len(texts.TECHNIQUES)]
            title = _fill(rng.choice(TITLES), rng, tech, tech2)
            body = _fill(rng.choice(BODIES), rng, tech, tech2)
            outcome = _fill(rng.choice(OUTCOMES), rng, tech, tech2)
            chosen = [tech.name] + ([tech2.name] if rng.random() < 0.4 else [])
            answer = "".join(f"{name};" for name in chosen)
            organisation = _organisation_answer(account, rng)
            consent = rng.random() < 0.85
            links = ""
            if rng.random() < 0.3:
                links = (f"https://kmlibrarians.wordpress.com/{campaign.year}/11/"
                         f"story-{number}/")
            finished = start + dt.timedelta(seconds=offset)
            begun = finished - dt.timedelta(seconds=rng.randrange(180, 1800))
            role = account.role if account.voice == "staff" else rng.choice(
                ("Library Services Manager", "Clinical Librarian", "Knowledge Specialist"))
            decision, note = _decision(rng, number)
            out.writerow([
                number, _ms_forms_time(begun), _ms_forms_time(finished), email, person,
                role, title, body, outcome, answer, organisation, links,
                "Yes" if consent else "No",
            ])
            plans.append(StoryPlan(str(number), title, email, organisation, tuple(chosen),
                                   consent, decision, note))
    return plans


FIRST_DECISIONS = ("approve", "request_changes", "reject", "none")


def _decision(rng: random.Random, number: int) -> tuple[str, str | None]:
    """Mostly approvals; the first four responses cover every status whatever the count."""
    r = rng.random()
    if number <= len(FIRST_DECISIONS):
        r = {"approve": 0.0, "reject": 0.6, "request_changes": 0.7, "none": 0.9}[
            FIRST_DECISIONS[number - 1]]
    if r < 0.55:
        return "approve", None
    if r < 0.65:
        return "reject", rng.choice(REJECT_NOTES)
    if r < 0.78:
        return "request_changes", rng.choice(CHANGES_NOTES)
    return "none", None

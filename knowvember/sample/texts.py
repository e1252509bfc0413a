"""What people write: campaign posts about knowledge mobilisation techniques, replies, chat
answers, and the off-campaign posts a broad collection also catches.

A post is built as parts (literal text, hashtags, mentions, links) so that each platform's
writer can render it its own way: X entities in code points on escaped text, Mastodon HTML,
Bluesky facets in UTF-8 bytes. Texts are fixed per template; only the slots vary.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# Parts: a str is literal text; (HASHTAG, tag), (MENTION, account index), (LINK, url).
HASHTAG, MENTION, LINK = 1, 2, 3
Part = str | tuple[int, str] | tuple[int, int]


@dataclass(frozen=True)
class Technique:
    name: str  # the taxonomy's canonical name
    forms: tuple[str, ...]  # how people write it, singular
    plural: str
    hashtag: str
    blurb: str  # one line on what it is
    mass: bool = False  # "storytelling": said as "a storytelling session"

    def noun(self, form: str) -> str:
        return form + " session" if self.mass else form

    def article(self, form: str) -> str:
        noun = self.noun(form)
        return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


TECHNIQUES = (
    Technique("Peer Assist", ("Peer Assist", "peer assist", "Peer-Assist"), "Peer Assists",
              "PeerAssist", "learn from people who have done it before you start"),
    Technique("Before Action Review", ("Before Action Review", "BAR", "before action review"),
              "Before Action Reviews", "BeforeActionReview",
              "four questions to agree what success looks like before you begin"),
    Technique("Appreciative Inquiry", ("Appreciative Inquiry", "appreciative inquiry"),
              "Appreciative Inquiry sessions", "AppreciativeInquiry",
              "build on what already works well", mass=True),
    Technique("After Action Review", ("After Action Review", "AAR", "after action review"),
              "After Action Reviews", "AAR",
              "what did we plan, what happened, why, and what will we do next time"),
    Technique("Knowledge Café", ("Knowledge Café", "knowledge cafe", "Knowledge Cafe"),
              "Knowledge Cafés", "KnowledgeCafe",
              "an open conversation in small groups around one good question"),
    Technique("Randomised Coffee Trial", ("Randomised Coffee Trial", "randomized coffee trial",
                                          "Randomised Coffee Trial"),
              "Randomised Coffee Trials", "RandomisedCoffeeTrial",
              "pairing colleagues at random for a coffee and a chat"),
    Technique("Community of Practice", ("Community of Practice", "CoP",
                                        "community of practice"),
              "Communities of Practice", "CommunityOfPractice",
              "people who share a practice, learning from each other over time"),
    Technique("Action Learning Set", ("Action Learning Set", "action learning set"),
              "Action Learning Sets", "ActionLearning",
              "a small group working through real problems with questions, not advice"),
    Technique("Knowledge Asset", ("Knowledge Asset", "knowledge asset"), "Knowledge Assets",
              "KnowledgeAsset", "the lessons of a project packaged for the next team"),
    Technique("Fishbowl", ("Fishbowl", "fishbowl conversation", "goldfish bowl"),
              "Fishbowls", "Fishbowl", "an inner circle talks while the outer circle listens"),
    Technique("Knowledge Harvesting", ("Knowledge Harvesting", "knowledge harvesting"),
              "Knowledge Harvesting sessions", "KnowledgeHarvesting",
              "capturing what experts know before it walks out of the door", mass=True),
    Technique("Retrospect", ("Retrospect", "retrospect"), "Retrospects", "Retrospect",
              "a facilitated look back at the end of a project"),
    Technique("Lessons Log", ("lessons log", "lessons learned log"), "lessons logs",
              "LessonsLearned", "writing lessons down where the next project will find them"),
    Technique("Knowledge Capture Interview", ("knowledge capture interview",
                                              "knowledge elicitation interview"),
              "knowledge capture interviews", "KnowledgeCapture",
              "a structured conversation to record what someone knows"),
    Technique("Exit Interview", ("exit interview", "knowledge exit interview"),
              "exit interviews", "ExitInterview",
              "asking leavers what they know that nobody else does"),
    Technique("Storytelling", ("storytelling", "Storytelling"), "storytelling sessions",
              "Storytelling", "sharing experience as stories people remember", mass=True),
    Technique("Self-assessment tool", ("KM self-assessment tool",
                                       "knowledge mobilisation self-assessment tool"),
              "self-assessments", "KMSelfAssessment",
              "checking how well your team learns before, during and after"),
)
# Weights: RCTs, Peer Assists and AARs are the campaign's staples.
TECHNIQUE_WEIGHTS = (14, 4, 3, 12, 9, 13, 8, 3, 3, 5, 3, 5, 4, 3, 3, 6, 2)

DEPARTMENTS = ("F1 doctors", "maternity team", "ward managers", "pharmacy team",
               "discharge team", "preceptorship nurses", "estates team", "IT project team",
               "ICU nurses", "A&E team", "quality improvement team", "health visitors",
               "physio team", "paediatric registrars", "governance team", "midwives",
               "infection prevention team", "radiographers", "finance team", "HR team")
PLACES = ("the library", "the Education Centre", "Seminar Room 2", "the staff canteen",
          "Teams", "the Postgraduate Centre", "the Clinical Skills Lab")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
TIMES = ("10am", "12:30", "1pm", "2pm", "3pm", "11am", "9:30")
ORDINALS = ("second", "third", "fourth", "fifth")
EMOJI = ("📚", "☕", "🎉", "👏", "💡", "🙌", "✨", "👇", "🤝", "😊")
COMMUNITY_TAGS = ("ukmedlibs", "NHSLibraries", "HealthLibraries", "KnowledgeMobilisation",
                  "KMChat", "uklibchat")

# Slots: {tag} campaign hashtag; {tag2} a community hashtag; {tech}/{a_tech}/{techs} the
# technique; {tech_tag} its hashtag; {m}/{m2} mentions; {org} the author's organisation;
# {dept} {place} {weekday} {time} {nth} {day} {emoji} {link}; {chat} the chat's hashtag.
ORIGINALS = (
    "Our first {tech} of {tag} this morning with the {dept} - brilliant conversations {emoji}",
    "Day {day} of {tag}: what is {a_tech}? In short: {blurb}. {link}",
    "Join us for {a_tech} on {weekday} at {time} in {place}. All welcome! {tag}",
    "Thanks {m} for sharing how you run {techs}! Stealing this idea for {org} {tag}",
    "It's {tag}! All month we're sharing ways to learn before, during and after. Today: "
    "{techs} {emoji}",
    "Our {nth} round of {techs} has just matched 40 colleagues across {org} {emoji} {tag}",
    "Ran {a_tech} with the {dept} today. Three things we'll do differently next time. {tag} "
    "{tech_tag}",
    "Have you used {a_tech}? Tell us your story for the KNOWvember stories page: {link} {tag}",
    "Great to see so many teams trying {techs} this month. Keep them coming! {tag} {tag2}",
    "{emoji} {tech} tip for {tag}: {blurb}. Ask your library team to help you set one up.",
    "We asked the {dept} what they'd learned this year. The {tech} gave us pages of ideas. "
    "{tag}",
    "Lovely {tech} with {m} and the {dept} this afternoon {emoji} {tag}",
    "Knowledge mobilisation isn't just for librarians: the {dept} led today's {tech}. {tag}",
    "Our {tech} is now a {tech_tag} habit: after every big project, before the next. {tag}",
    "{tag} week {week}: {techs} and {techs2}. Which have you tried? {link}",
    "New on the blog: how we used {a_tech} to improve handover for the {dept} {link} {tag}",
    "Places left for our {tech} next week: sign up by Friday {emoji} {tag} {tech_tag}",
    "Proud of the {dept} for running their own {tech} without us! {tag} {tag2}",
    "If you only try one thing this {tag}, make it {a_tech}: {blurb}.",
    "Brilliant session from {m} on {techs} at the regional network today {emoji} {tag}",
)
CHAT_QUESTIONS = (
    "Q1: Which knowledge mobilisation technique has made the biggest difference to your "
    "team? {tag} {chat}",
    "Q2: How do you persuade busy clinical teams to stop and reflect? {tag} {chat}",
    "Q3: What's the best lesson you've captured this year, and where does it live now? "
    "{tag} {chat}",
    "Q4: What will you try before next KNOWvember? {tag} {chat}",
)
CHAT_ANSWERS = (
    "A{q}: {techs}, without a doubt. The {dept} now ask for them {tag} {chat}",
    "A{q}: we run {a_tech} after every project, even the small ones {tag} {chat}",
    "A{q} Honestly? Cake. And {a_tech} while they're eating it {emoji} {tag} {chat}",
    "A{q}: our {tech} with the {dept} changed how they plan rotas {tag} {chat}",
    "A{q}: starting {a_tech} in January with {m} {emoji} {tag} {chat}",
)
REPLIES = (
    "Great idea! Would love to try this at {org} {emoji}",
    "Thanks for sharing {emoji} How long did your {tech} take?",
    "We did something similar with our {dept}: happy to compare notes {tag}",
    "Love this! Did you use a template for the {tech}?",
    "This is brilliant. Can we borrow your sign-up form? {tag}",
    "So good to see {techs} spreading {emoji} {tag}",
    "Yes! Our {dept} said exactly the same after their {tech}.",
    "Congratulations to everyone involved {emoji}",
)
QUOTES = (
    "This is a great example of {a_tech} {emoji} {tag}",
    "Love this from {m} {tag}",
    "Exactly why we're running {techs} this month {tag} {tech_tag}",
    "Worth a read if you're planning {a_tech} {emoji} {tag}",
    "Inspiring stuff. Adding this to our {tag} ideas list",
)
LAW_FIRM = (
    "Our know-how lawyers ran {a_tech} on the new precedent bank this week. {tag}",
    "Borrowing {tag} from our NHS library friends: {techs} for the disputes team {emoji}",
    "Matter close-out {tech} done. Lessons into the knowledge bank before the next deal. {tag}",
)
# Off-campaign: caught by a broad search (the word "KNOWvember" without a hashtag, the
# community tags) but not campaign posts. Nothing here may contain a campaign hashtag.
NOISE = (
    "Our library is closed on Friday for staff training. Back Monday! {tag2}",
    "New on the library blog: searching for grey literature {link} {tag2}",
    "Journal club this week: an RCT of statins in older adults. All welcome {tag2}",
    "Planning our KNOWvember activities for next year already {emoji}",
    "Anyone got a good retrospective study design guide for our researchers? {tag2}",
    "Reminder: the current awareness bulletin is out today {link} {tag2}",
    "Great peer review session with the research team this morning {tag2}",
    "What a month KNOWvember has been. Thank you all, more in the new year",
    "Health Information Week is coming: book your stand now {tag2}",
    "We're recruiting! Assistant Librarian, band 4 {link} {tag2}",
)


@dataclass(slots=True)
class Slots:
    """The values a template's slots take for one post."""

    tag: str
    tag2: str
    technique: Technique
    technique2: Technique
    org: str
    mentions: tuple[int, ...]
    link: str
    day: int
    week: int
    chat: str = "KNOWvemberChat"
    question: int = 1


_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    parts: tuple[tuple[bool, str], ...]  # (is_slot, literal text or slot name)
    needs: frozenset[str]  # the slots it uses


def _compile(template: str) -> Template:
    parts: list[tuple[bool, str]] = []
    pos = 0
    for match in _SLOT.finditer(template):
        if match.start() > pos:
            parts.append((False, template[pos : match.start()]))
        parts.append((True, match.group(1)))
        pos = match.end()
    if pos < len(template):
        parts.append((False, template[pos:]))
    return Template(tuple(parts), frozenset(name for slot, name in parts if slot))


COMPILED = {
    name: tuple(_compile(t) for t in group)
    for name, group in (("original", ORIGINALS), ("chat_q", CHAT_QUESTIONS),
                        ("chat_a", CHAT_ANSWERS), ("reply", REPLIES), ("quote", QUOTES),
                        ("law", LAW_FIRM), ("noise", NOISE))
}


def render(template: Template, slots: Slots, rng: random.Random
           ) -> tuple[list[Part], list[str]]:
    """Fill a template: (parts, canonical technique names the text names)."""
    parts: list[Part] = []
    named: list[str] = []
    buffer = ""
    mentions = iter(slots.mentions)
    for is_slot, value in template.parts:
        if not is_slot:
            buffer += value
            continue
        tech = slots.technique
        text: str | None = None
        tagged: tuple[int, str] | tuple[int, int] | None = None
        if value == "tag":
            tagged = (HASHTAG, slots.tag)
        elif value == "tag2":
            tagged = (HASHTAG, slots.tag2)
        elif value == "chat":
            tagged = (HASHTAG, slots.chat)
        elif value == "tech_tag":
            tagged = (HASHTAG, tech.hashtag)
            named.append(tech.name)
        elif value in ("m", "m2"):
            account = next(mentions, None)
            if account is None:
                text = "the team"
            else:
                tagged = (MENTION, account)
        elif value == "link":
            tagged = (LINK, slots.link)
        elif value in ("tech", "a_tech", "techs", "techs2"):
            t = slots.technique2 if value == "techs2" else tech
            form = t.forms[int(rng.random() * len(t.forms))]
            text = (t.article(form) if value == "a_tech" else
                    t.plural if value in ("techs", "techs2") else t.noun(form))
            named.append(t.name)
        elif value == "blurb":
            text = tech.blurb
        elif value == "org":
            text = slots.org
        elif value == "dept":
            text = DEPARTMENTS[int(rng.random() * len(DEPARTMENTS))]
        elif value == "place":
            text = PLACES[int(rng.random() * len(PLACES))]
        elif value == "weekday":
            text = WEEKDAYS[int(rng.random() * len(WEEKDAYS))]
        elif value == "time":
            text = TIMES[int(rng.random() * len(TIMES))]
        elif value == "nth":
            text = ORDINALS[int(rng.random() * len(ORDINALS))]
        elif value == "emoji":
            text = EMOJI[int(rng.random() * len(EMOJI))]
        elif value == "day":
            text = str(slots.day)
        elif value == "week":
            text = str(slots.week)
        elif value == "q":
            text = str(slots.question)
        else:  # pragma: no cover - a template typo
            raise KeyError(value)
        if text is not None:
            buffer += text
        else:
            if buffer:
                parts.append(buffer)
                buffer = ""
            parts.append(tagged)  # type: ignore[arg-type]
    if buffer:
        parts.append(buffer)
    return parts, list(dict.fromkeys(named))


def plain_text(parts: list[Part], handles: dict[int, str]) -> str:
    """A rendering without markup, for tests and stories: '@handle', '#tag', the URL."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == HASHTAG:
            out.append("#" + str(part[1]))
        elif part[0] == MENTION:
            out.append("@" + handles.get(int(part[1]), "someone"))
        else:
            out.append(str(part[1]))
    return "".join(out)

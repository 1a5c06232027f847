"""The demo's idea box: colleagues in four departments and four monthly campaigns of ideas.

The campaigns are the current month and the three before it, so the campaign page of a
fresh demo always has this month's figures. One idea walks the whole path: given by the
demo staff member, taken into the call-centre pilot as a suggestion, adopted by its
fourth iteration.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from testbed.auth.models import User
from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.ideas import services
from testbed.ideas.models import Idea
from testbed.pilots.models import Pilot
from testbed.suggestions import services as suggestions
from testbed.timeutil import utcnow

# Colleagues who sign in only to give ideas (name, department); each has the staff role.
COLLEAGUES = (
    ("Chloé Martin", "Customer Service"),
    ("Karim Haddad", "Customer Service"),
    ("Lena Vogel", "Customer Service"),
    ("Tom Baker", "Customer Service"),
    ("Priya Shah", "Sales"),
    ("Marco Rossi", "Sales"),
    ("Jade Dupont", "Sales"),
    ("Owen Price", "Operations"),
    ("Aiko Tanaka", "Operations"),
    ("Nadia Benali", "Operations"),
    ("Felix Braun", "Supply Chain"),
    ("Rosa Lima", "Supply Chain"),
)
# (months before now, author, title, text, outcome): outcome is "", "under_review",
# "declined: reason" or "pilot:slug" (attached to that pilot as a suggestion).
IDEAS = (
    (
        3,
        "Chloé Martin",
        "Call back instead of holding",
        "Offer a call-back slot when the queue is over five minutes; fewer abandoned calls.",
        "under_review",
    ),
    (
        3,
        "Priya Shah",
        "Share the renewal date on every invoice",
        "Customers ask us for it by phone; print it where they look.",
        "declined: already planned in the billing upgrade",
    ),
    (
        3,
        "Owen Price",
        "Label parcels with the depot's phone number",
        "Drivers get calls meant for the depot; a label sends them to the right place.",
        "",
    ),
    (
        2,
        "Sam Staff",
        "Let agents pick a short break after a hard call",
        "Two minutes off the queue after an escalation, chosen by the agent; occupancy stays "
        "under 80 % and fewer people leave.",
        "pilot:callcentre-occupancy",
    ),
    (
        2,
        "Karim Haddad",
        "Answer the top ten questions in the IVR",
        "A third of calls ask the same ten things; the phone menu can answer them.",
        "",
    ),
    (
        2,
        "Aiko Tanaka",
        "One form for address changes",
        "Three teams keep their own address form; one form ends the rework.",
        "under_review",
    ),
    (
        1,
        "Lena Vogel",
        "A glossary for new agents",
        "New agents learn our product names slowly; a one-page glossary on day one.",
        "",
    ),
    (
        1,
        "Marco Rossi",
        "Ask why on every cancellation",
        "One question when a customer cancels, so that finance can count the lost revenue.",
        "under_review",
    ),
    (
        1,
        "Felix Braun",
        "Text the delivery window the evening before",
        "Missed deliveries are rework; a text the evening before lets people be there.",
        "",
    ),
    (
        0,
        "Tom Baker",
        "Show the knowledge-base article the caller read",
        "When a caller has already read an article, the agent should see which one.",
        "",
    ),
    (
        0,
        "Jade Dupont",
        "Quote in the customer's currency",
        "Partners abroad convert our quotes by hand and call to check them.",
        "",
    ),
    (
        0,
        "Nadia Benali",
        "A daily five-minute huddle per shift",
        "What went wrong yesterday, told in five minutes; fixes spread faster.",
        "",
    ),
)
PASSWORD = "demo-password"  # noqa: S105  (the demo accounts' printed password)


def add_demo_ideas(innovation: User) -> None:
    """Add the colleagues and the ideas; ``innovation`` makes the team's decisions."""
    people = {user.name: user for user in db.session.scalars(select(User))}
    for name, department in COLLEAGUES:
        email = name.split()[0].lower().replace("é", "e") + "@demo.testbed"
        people[name] = create_user(
            email, "staff", PASSWORD, name=name, department=department_named(department)
        )
    for months_back, author, title, text, outcome in IDEAS:
        idea = services.submit_idea(title, text, author=people[author])
        _date(idea, months_back)
        _decide(idea, outcome, innovation)


def _date(idea: Idea, months_back: int) -> None:
    """Move an idea to the 10th of its month, so it counts for that month's campaign."""
    now = utcnow()
    year, month = now.year, now.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    day = datetime(year, month, min(10, now.day) if months_back == 0 else 10, 9)
    idea.created_at = day
    idea.campaign = services.campaign_of(day.date())


def _decide(idea: Idea, outcome: str, innovation: User) -> None:
    _take_decision(idea, outcome, innovation)
    # Each decision came a week after the one before, not on the day the demo was built.
    steps = idea.steps + (idea.suggestion.steps if idea.suggestion else [])
    for weeks, step in enumerate(steps, 1):
        step.at = min(idea.created_at + timedelta(weeks=weeks), utcnow())
    if idea.suggestion is not None:
        idea.suggestion.proposed_on = idea.steps[0].at.date()


def _take_decision(idea: Idea, outcome: str, innovation: User) -> None:
    if outcome == "under_review":
        services.move(idea, "under_review", by=innovation)
    elif outcome.startswith("declined: "):
        services.move(idea, "declined", by=innovation, reason=outcome.removeprefix("declined: "))
    elif outcome.startswith("pilot:"):
        pilot = db.session.scalar(select(Pilot).where(Pilot.slug == outcome.removeprefix("pilot:")))
        suggestion = services.attach_to_pilot(idea, pilot, by=innovation)
        who = {"actor": suggestions.display_name(innovation), "user_id": innovation.id}
        suggestions.move(suggestion, "accepted", **who)
        last = max(pilot.iterations, key=lambda iteration: iteration.number)
        suggestions.move(suggestion, "incorporated", iteration=last, **who)

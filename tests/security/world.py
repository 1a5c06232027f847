"""The world the access proofs run in: a pilot with a financial case, one person per role
with a personal API token, and objects made afresh for each request that uses one up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from testbed.api.auth import create_token
from testbed.auth.models import Department, User
from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison, poor_service
from testbed.finance import services as finance
from testbed.finance.models import Benefit, CostItem, PoorServiceClaim, PoorServiceLine, Programme
from testbed.pilots.models import Hypothesis, Pilot
from testbed.results import services as results
from testbed.store import upload
from testbed.store.models import ImportBatch
from testbed.suggestions import services as suggestions

ROLES = ("anonymous", "innovation", "department_head", "finance", "admin", "staff")
PASSWORD = "a long password"  # noqa: S105  (the test accounts' password)
# Signing in checks the hash once per request; the production scrypt cost would dominate the
# run, and how the hash is made is no part of who may do what.
QUICK_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
ACTOR = {"actor": "setup@example.org"}


@dataclass
class World:
    """The objects every request can address, and the people who send them."""

    app: object
    pilot: Pilot
    people: dict[str, User]
    tokens: dict[str, str]
    someone_else: User
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next(self) -> int:
        return next(self.serial)

    @property
    def slug(self) -> str:
        return self.pilot.slug

    @property
    def version(self) -> str:
        db.session.refresh(self.pilot)
        return str(self.pilot.version)

    def hypothesis(self, key: str = "H1") -> Hypothesis:
        return db.session.scalar(select(Hypothesis).where(Hypothesis.key == key))

    def batch(self) -> ImportBatch:
        return db.session.scalar(select(ImportBatch).limit(1))

    def department(self) -> Department:
        return department_named("Operations")

    def suggestion(self):
        """A new suggestion by someone else, so each decision starts from 'new'."""
        made = suggestions.add_suggestion(
            self.pilot, f"Idea {self.next()}", author=self.someone_else, department=None
        )
        db.session.commit()
        return made

    def idea(self):
        """A new idea by someone else, still submitted, so each decision starts afresh."""
        from testbed.ideas import services as ideas

        made = ideas.submit_idea(f"Idea {self.next()}", "Call back.", author=self.someone_else)
        db.session.commit()
        return made

    def cost(self) -> CostItem:
        made = finance.add_cost(
            self.pilot, item="Printing", amount=10, year=0, recurring=False, **ACTOR
        )
        db.session.commit()
        return made

    def benefit(self) -> Benefit:
        return db.session.scalar(select(Benefit).limit(1))

    def spare_benefit(self) -> Benefit:
        """A benefit line on the failure-to-attend metric, which FINANCE_TOML leaves free."""
        self.free_metric()
        made = finance.add_benefit(
            self.pilot,
            metric=self.pilot.metric("fta"),
            value_per_unit=5,
            volume_per_year=100,
            description="",
            **ACTOR,
        )
        db.session.commit()
        return made

    def free_metric(self) -> None:
        for benefit in db.session.scalars(select(Benefit).where(Benefit.metric_id == self.fta_id)):
            finance.delete_benefit(benefit, **ACTOR)
        claims = select(PoorServiceClaim).where(PoorServiceClaim.metric_id == self.fta_id)
        for claim in db.session.scalars(claims):
            finance.delete_claim(claim, **ACTOR)
        db.session.commit()

    def poor_service_line(self) -> PoorServiceLine:
        """A new, unclaimed line of the cost of poor service."""
        made = poor_service.add_line(**poor_service_line_fields(self.next()), **ACTOR)
        db.session.commit()
        return made

    def claim(self) -> PoorServiceClaim:
        """A new claim on a new line through the failure-to-attend metric, freed first."""
        self.free_metric()
        made = finance.add_claim(
            self.pilot,
            line=self.poor_service_line(),
            metric=self.pilot.metric("fta"),
            share=0.5,
            description="",
            **ACTOR,
        )
        db.session.commit()
        return made

    @property
    def fta_id(self) -> int:
        return self.pilot.metric("fta").id

    def programme(self) -> Programme:
        made = finance.add_programme(name=f"Programme {self.next()}", roi=0.1, **ACTOR)
        db.session.commit()
        return made

    def account(self, active: bool = True) -> User:
        made = person("innovation", f"spare{self.next()}@example.org")
        made.active = active
        db.session.commit()
        return made

    def token_id(self, owner: User) -> int:
        token, _ = create_token(owner, f"system {self.next()}")
        db.session.commit()
        return token.id

    def pending_upload(self, owner: User) -> str:
        # Each upload differs from the others, or it would be refused as a duplicate.
        rows = "metric,group,value,iteration\n" + f"wait,pilot,{self.next()},1\n" * 2
        with self.app.test_request_context():
            # One waiting at a time, as a person would: walks make more than the cap allows.
            for earlier in upload.pending_uploads_of(owner):
                upload.discard(earlier)
            return upload.store_upload(self.pilot, rows.encode(), "more.csv", by=owner).token


def poor_service_line_fields(number: int) -> dict:
    return {
        "key": f"healthcare-missed-{number}",
        "segment": "healthcare",
        "kind": "rework",
        "name": f"Missed appointments {number}",
        "currency": "EUR",
        "volume": 1000.0,
        "unit_cost": 80.0,
        "source": "Booking system",
        "period": "2024",
    }


def build_world(app, pilot_folder, monkeypatch, tmp_path) -> World:
    """Load the pilot of ``pilot_folder`` and make the people; caches and files stay the test's."""
    # Reports are cached by pilot id and version, which repeat from one test database to the next.
    monkeypatch.setattr(results, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})
    app.instance_path = str(tmp_path / "instance")
    load_path(pilot_folder)
    people = {role: person(role, f"{role}@example.org") for role in ROLES[1:]}
    tokens = {role: create_token(user, "matrix")[1] for role, user in people.items()}
    someone_else = person("innovation", "someone-else@example.org")
    db.session.commit()
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == pilot_folder.name))
    return World(app, pilot, people, tokens, someone_else)


def person(role: str, email: str) -> User:
    user = User(email=email, role=role, name=role.title(), password_hash=QUICK_HASH)
    db.session.add(user)
    db.session.flush()
    return user


def signed_in(app, user: User | None) -> FlaskClient:
    """A new browser, signed in through the sign-in form unless ``user`` is None."""
    # The tests run inside one application context, which every request shares: forget the
    # user the previous request loaded, or it would answer for this one.
    g.pop("_login_user", None)
    client = app.test_client()
    if user is not None:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, f"{user.email} could not sign in"
    return client


def row_counts() -> dict[str, int]:
    """Rows in every table the application knows."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }

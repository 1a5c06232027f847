"""The whole record travels: export, load into a fresh database, export again, same bytes.

Amendments, a suggestion's steps, its comments and votes go with the pilot,
and the pages read the same after the journey.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.export import export_pilot
from testbed.files.loader import load_path
from testbed.files.poor_service import export_model
from testbed.finance.models import PoorServiceLine
from testbed.models import Pilot, Suggestion, SuggestionComment, SuggestionStep, SuggestionVote
from testbed.pilots import services as pilots
from testbed.suggestions import services as suggestions
from tests.conftest import MINIMAL_TOML
from tests.files.test_loader import table_counts

EXPERIMENTS = PROJECT_ROOT / "experiments"
PEOPLE = (  # e-mail, role, name
    ("ines@example.org", "innovation", "Ines Innovation"),
    ("dario@example.org", "department_head", "Dario Head"),
)
VIEWER = "finance@example.org"


def create_people() -> dict:
    people = {
        email: create_user(email, role, "a long password", name=name)
        for email, role, name in PEOPLE
    }
    db.session.commit()
    return people


def add_a_record(pilot: Pilot, people: dict) -> None:
    """What people add on the pages: an amendment, moves, comments and votes."""
    ines, dario = people["ines@example.org"], people["dario@example.org"]
    hypothesis = next(h for h in pilot.hypotheses if h.locked_at is not None)
    fields = pilots.HypothesisFields(
        statement=hypothesis.statement,
        metric=hypothesis.metric,
        role=hypothesis.role,
        design=hypothesis.design,
        method=hypothesis.method,
        alpha=0.1 if hypothesis.alpha != 0.1 else 0.05,
        minimum_effect=hypothesis.minimum_effect,
        planned_sample_size=hypothesis.planned_sample_size,
        predictor=hypothesis.predictor,
        quantiles=hypothesis.quantiles,
    )
    pilots.update_hypothesis(hypothesis, fields, by=ines, reason="Finance reviews at 10%.")
    idea = suggestions.add_suggestion(
        pilot, "Ask the partner's staff what they would change.", author=dario, department=None
    )
    suggestions.move(idea, "under_review", actor="Ines Innovation", user_id=ines.id)
    suggestions.move(
        idea, "declined", actor="Ines Innovation", user_id=ines.id, reason="Asked already."
    )
    suggestions.add_comment(pilot, idea, dario, "We asked them in March.")
    suggestions.add_comment(pilot, idea, ines, "Then we'll read those notes first.")
    suggestions.toggle_vote(pilot, idea, dario)
    suggestions.toggle_vote(pilot, idea, ines)
    # A suggestion from the folder moves on too, with a step recorded here.
    open_one = next(
        (s for s in suggestions.pilot_suggestions(pilot) if s.status in ("new", "under_review")),
        None,
    )
    if open_one is not None:
        suggestions.move(open_one, "accepted", actor="Ines Innovation", user_id=ines.id)
        suggestions.toggle_vote(pilot, open_one, dario)
    db.session.commit()


def main_text(html: str, *, leave_out: str | None = None) -> str:
    """The words a person reads in the page's main part."""
    main = html[html.index("<main") : html.index("</main>")]
    if leave_out:
        # Which import brought the rows in, and when: a load is a new import.
        main = re.sub(leave_out, "", main, flags=re.S)
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def pages(client, slug: str) -> dict[str, str]:
    """The pilot's pages, and each suggestion's, by what they show."""
    batches = r'<h2 id="observations">.*?</table>'
    found = {
        "pilot": main_text(client.get(f"/pilots/{slug}").get_data(as_text=True), leave_out=batches),
        "results": main_text(client.get(f"/pilots/{slug}/results").get_data(as_text=True)),
        "suggestions": main_text(client.get(f"/pilots/{slug}/suggestions").get_data(as_text=True)),
    }
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    for suggestion in suggestions.pilot_suggestions(pilot):
        page = client.get(f"/suggestions/{suggestion.id}").get_data(as_text=True)
        found[f"suggestion: {suggestion.text}"] = main_text(page)
    return found


def export_all(folder: Path) -> dict[str, bytes]:
    for pilot in db.session.scalars(select(Pilot).order_by(Pilot.slug)):
        export_pilot(pilot, folder / pilot.slug)
    # The pilots' claims name lines of the company's cost of poor service: it travels too.
    if db.session.scalar(select(PoorServiceLine.id).limit(1)) is not None:
        export_model(folder / "company" / "poor-service.toml")
    return {
        str(file.relative_to(folder)): file.read_bytes()
        for file in sorted(folder.rglob("*"))
        if file.is_file()
    }


def start_afresh() -> None:
    """A database as a new installation has it: no pilots, no people."""
    db.session.remove()
    db.drop_all()
    db.create_all()


def test_every_demo_pilot_travels_whole_and_reads_the_same(app, client, login, tmp_path):
    load_path(EXPERIMENTS)
    db.session.commit()
    people = create_people()
    slugs = db.session.scalars(select(Pilot.slug).order_by(Pilot.slug)).all()
    for slug in slugs:
        add_a_record(db.session.scalar(select(Pilot).where(Pilot.slug == slug)), people)
    login("finance", email=VIEWER)
    before = {slug: pages(client, slug) for slug in slugs}
    first = export_all(tmp_path / "first")
    for slug in slugs:
        text = first[f"{slug}/pilot.toml"].decode()
        assert "[[hypotheses.amendments]]" in text, slug
        assert 'reason = "Finance reviews at 10%."' in text, slug
        assert 'by = "dario@example.org"' in text, slug
        assert "We asked them in March." in text, slug
        assert 'reason = "Asked already."' in text, slug

    start_afresh()
    create_people()
    load_path(tmp_path / "first")
    db.session.commit()
    assert export_all(tmp_path / "second") == first
    assert "company/poor-service.toml" in first

    login("finance", email=VIEWER)
    after = {slug: pages(client, slug) for slug in slugs}
    for slug in slugs:
        assert after[slug].keys() == before[slug].keys(), slug
        for page, text in before[slug].items():
            assert after[slug][page] == text, f"{slug}: {page}"
    assert "Finance reviews at 10%." in after["dental-reminders"]["results"]
    declined = after["dental-reminders"][
        "suggestion: Ask the partner's staff what they would change."
    ]
    assert "Declined: Asked already. on" in declined
    assert "We asked them in March." in declined
    assert "Dario Head, Ines Innovation" in declined


def test_reloading_an_exported_pilot_adds_nothing_twice(app, tmp_path):
    load_path(EXPERIMENTS / "dental-reminders")
    db.session.commit()
    people = create_people()
    add_a_record(db.session.scalar(select(Pilot)), people)
    export_pilot(db.session.scalar(select(Pilot)), tmp_path / "dental-reminders")
    start_afresh()
    create_people()
    load_path(tmp_path / "dental-reminders")
    db.session.commit()
    counts = table_counts()
    (tmp_path / "dental-reminders" / "summary.csv").write_text(
        (tmp_path / "dental-reminders" / "summary.csv").read_text() + "\n", encoding="utf-8"
    )
    (outcome,) = load_path(tmp_path / "dental-reminders")
    db.session.commit()
    assert outcome.action == "updated"
    for model in (SuggestionStep, SuggestionComment, SuggestionVote, Suggestion):
        assert counts[model.__table__.name] == table_counts()[model.__table__.name]
    assert counts["hypothesis_amendment"] == table_counts()["hypothesis_amendment"] == 1


def test_loading_an_export_back_into_its_own_database_adds_nothing_twice(app, tmp_path):
    load_path(EXPERIMENTS / "callcentre-occupancy")
    db.session.commit()
    add_a_record(db.session.scalar(select(Pilot)), create_people())
    counts = table_counts()
    first = export_all(tmp_path / "first")
    (outcome,) = load_path(tmp_path / "first")
    db.session.commit()
    assert outcome.action == "updated"
    for name in ("suggestion", "suggestion_step", "suggestion_comment", "suggestion_vote"):
        assert table_counts()[name] == counts[name], name
    assert table_counts()["hypothesis_amendment"] == counts["hypothesis_amendment"] == 1
    assert export_all(tmp_path / "second") == first


def test_a_comment_by_someone_without_an_account_here_stops_the_load(app, tmp_path):
    load_path(EXPERIMENTS / "dental-reminders")
    db.session.commit()
    add_a_record(db.session.scalar(select(Pilot)), create_people())
    folder = tmp_path / "dental-reminders"
    export_pilot(db.session.scalar(select(Pilot)), folder)
    start_afresh()
    create_user("ines@example.org", "innovation", "a long password", name="Ines Innovation")
    db.session.commit()
    before = table_counts()
    text = (folder / "pilot.toml").read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "dario@example.org" in t)
    place = rf"pilot\.toml:{line}:\d+ \(suggestions\[\d+\]\.\w+\[1\]\.by\)"
    with pytest.raises(LoadError, match=place + ": no account has the e-mail dario@example"):
        load_path(folder)
    db.session.rollback()
    assert table_counts() == before


STEPS = """
    [[suggestions]]
    author = "Sam Sales"
    text = "Remind patients by phone too."
    status = "accepted"

    [[suggestions.steps]]
    from = "new"
    status = "under_review"
    actor = "Ines Innovation"

    [[suggestions.steps]]
    from = "{second}"
    status = "{last}"
    actor = "Ines Innovation"
    """


@pytest.mark.parametrize(
    ("second", "last", "message"),
    [
        ("new", "accepted", r"\(suggestions\[1\]\.steps\[2\]\.from\): the step before left"),
        ("under_review", "declined", r"\(suggestions\[1\]\.steps\[2\]\.status\): the last step"),
    ],
)
def test_a_suggestion_path_that_does_not_join_up_is_refused(
    app, write_pilot, second, last, message
):
    toml = MINIMAL_TOML + STEPS.format(second=second, last=last)
    with pytest.raises(LoadError, match=message):
        load_path(write_pilot(pilot__toml=toml))


def test_a_hand_written_path_comment_and_vote_load(app, write_pilot):
    create_people()
    extra = (
        STEPS.format(second="under_review", last="accepted")
        + """
    [[suggestions.comments]]
    by = "dario@example.org"
    text = "Sales would like that."

    [[suggestions.votes]]
    by = "ines@example.org"
    """
    )
    load_path(write_pilot(pilot__toml=MINIMAL_TOML + extra))
    db.session.commit()
    suggestion = db.session.scalar(select(Suggestion))
    assert [(s.from_status, s.status) for s in suggestion.steps] == [
        ("new", "under_review"),
        ("under_review", "accepted"),
    ]
    (comment,) = suggestions.comments_on(suggestion)
    assert (comment.user.email, comment.text) == ("dario@example.org", "Sales would like that.")
    assert [u.email for u in suggestions.voters_of(suggestion)] == ["ines@example.org"]

    # Reloaded, what the folder gives without a time keeps the time of its first load.
    times = record_times(suggestion)
    renamed = (MINIMAL_TOML + extra).replace("Reminder pilot", "Renamed pilot")
    load_path(write_pilot(pilot__toml=renamed))
    db.session.commit()
    assert record_times(db.session.scalar(select(Suggestion))) == times


def record_times(suggestion: Suggestion) -> list:
    db.session.expire_all()
    return [
        *(step.at for step in suggestion.steps),
        *(c.created_at for c in suggestions.comments_on(suggestion)),
        *db.session.scalars(
            select(SuggestionVote.created_at).where(SuggestionVote.suggestion_id == suggestion.id)
        ),
    ]


def observation_count(pilot: Pilot) -> int:
    from sqlalchemy import func

    from testbed.store.models import ImportBatch, Observation

    joined = select(func.count()).select_from(Observation).join(ImportBatch)
    return db.session.scalar(joined.where(ImportBatch.pilot_id == pilot.id))


def test_loading_an_export_back_replaces_the_uploads_it_carries_instead_of_adding_them(
    app, loaded_pilot, tmp_path
):
    from testbed.store import upload

    ines = create_people()["ines@example.org"]
    rows = b"metric,group,value,iteration\nwait,pilot,8.5,1\nwait,pilot,9.0,1\n"
    with app.test_request_context():
        pending = upload.store_upload(loaded_pilot, rows, "more.csv", by=ines)
        upload.import_upload(pending, loaded_pilot, by=ines)
    db.session.commit()
    before = observation_count(loaded_pilot)
    assert before == 10  # eight from the folder, two uploaded

    export_pilot(loaded_pilot, tmp_path / "exported" / loaded_pilot.slug)
    assert (
        "carries_batches" in (tmp_path / "exported" / loaded_pilot.slug / "pilot.toml").read_text()
    )
    load_path(tmp_path / "exported" / loaded_pilot.slug)
    db.session.commit()
    assert observation_count(loaded_pilot) == before
    # Exported again, the folder carries no upload: its rows are the folder's own now.
    export_pilot(loaded_pilot, tmp_path / "again" / loaded_pilot.slug)
    again = (tmp_path / "again" / loaded_pilot.slug / "observations.csv").read_text()
    assert again.count("\n") == before + 1
    assert (
        "carries_batches" not in (tmp_path / "again" / loaded_pilot.slug / "pilot.toml").read_text()
    )

"""A locked hypothesis changes through a load only with an amendment, as on the pages."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.loader import load_path
from testbed.models import AuditEvent, Hypothesis, HypothesisAmendment
from tests.conftest import MINIMAL_OBSERVATIONS, MINIMAL_TOML
from tests.files.test_loader import load, table_counts

REASON = "Finance accepts a 20% risk of a false alarm for a pilot this small."
H1_ROLE = '    role = "primary"\n'


def with_alpha(extra: str = "") -> str:
    """The minimal pilot with H1's alpha raised to 0.2, and ``extra`` after H1's keys."""
    return MINIMAL_TOML.replace(H1_ROLE, f"{H1_ROLE}    alpha = 0.2\n{extra}")


AMENDMENT = f"""
    [[hypotheses.amendments]]
    reason = "{REASON}"

"""


def h1() -> Hypothesis:
    db.session.expire_all()
    return db.session.scalar(select(Hypothesis).where(Hypothesis.key == "H1"))


def audit(action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def line_of(text: str, start: str) -> int:
    """The line number of the first line of the dedented ``text`` that starts with ``start``."""
    lines = [line.strip() for line in text.splitlines()]
    return next(number for number, line in enumerate(lines, 1) if line.startswith(start))


def test_a_changed_locked_alpha_without_an_amendment_fails_the_whole_load(app, write_pilot):
    load(write_pilot())
    assert h1().locked_at is not None
    before = table_counts()
    toml = with_alpha()
    # Another change in the same folder must not land either.
    changed = write_pilot(
        pilot__toml=toml.replace("Reminder pilot", "Renamed pilot"),
        observations__csv=MINIMAL_OBSERVATIONS + "    wait,pilot,10.0,1\n",
    )
    with pytest.raises(LoadError) as caught:
        load_path(changed)
    db.session.rollback()
    line = line_of(toml, "alpha = 0.2")
    where = re.escape(f"{changed / 'pilot.toml'}:{line}:1 (hypotheses[1].alpha): ")
    assert re.match(where + "the hypothesis H1 is locked", str(caught.value))
    assert "alpha: 0.05 → 0.2" in str(caught.value)
    assert "[[hypotheses.amendments]]" in str(caught.value)
    assert table_counts() == before
    assert h1().alpha == 0.05
    assert h1().pilot.name == "Reminder pilot"


def test_the_command_fails_naming_the_place_and_loads_nothing(app, runner, write_pilot):
    load(write_pilot())
    before = table_counts()
    result = runner.invoke(args=["load", str(write_pilot(pilot__toml=with_alpha()))])
    assert result.exit_code != 0
    assert "nothing was loaded" in result.output
    assert "(hypotheses[1].alpha): the hypothesis H1 is locked" in result.output
    assert table_counts() == before


def test_with_an_amendment_the_change_is_kept_shown_and_logged(app, client, login, write_pilot):
    load(write_pilot())
    (outcome,) = load(write_pilot(pilot__toml=with_alpha(AMENDMENT)))
    assert outcome.action == "updated"
    hypothesis = h1()
    assert hypothesis.alpha == 0.2
    assert [(a.reason, a.changes, a.actor) for a in hypothesis.amendments] == [
        (REASON, "alpha: 0.05 → 0.2", "cli")
    ]
    (event,) = audit("amended")
    assert (event.entity, event.pilot_id) == ("hypothesis", hypothesis.pilot_id)
    assert event.summary == f"H1: alpha: 0.05 → 0.2 (reason: {REASON})"

    login("finance")
    results = client.get("/pilots/reminders/results").get_data(as_text=True)
    card = results[results.index('class="amendments"') :]
    assert REASON in card
    assert "alpha: 0.05 → 0.2" in card
    activity = client.get("/pilots/reminders/activity").get_data(as_text=True)
    assert f"amended hypothesis: H1: alpha: 0.05 → 0.2 (reason: {REASON})" in activity


def test_a_recorded_amendment_is_not_recorded_again_on_reload(app, write_pilot):
    load(write_pilot())
    amended = with_alpha(AMENDMENT)
    load(write_pilot(pilot__toml=amended))
    more = MINIMAL_OBSERVATIONS + "    wait,pilot,10.0,1\n"
    (outcome,) = load(write_pilot(pilot__toml=amended, observations__csv=more))
    assert outcome.action == "updated"
    assert len(h1().amendments) == 1
    assert len(audit("amended")) == 1


def test_an_amendment_names_its_author_by_account(app, write_pilot):
    user = create_user("fiona@example.org", "finance", "a long password", name="Fiona")
    db.session.commit()
    load(write_pilot())
    entry = AMENDMENT.replace("reason =", 'by = "Fiona@Example.org"\n    reason =')
    load(write_pilot(pilot__toml=with_alpha(entry)))
    (amendment,) = h1().amendments
    assert (amendment.actor, amendment.user_id) == ("Fiona", user.id)
    # The log names who ran the load.
    assert (audit("amended")[0].actor, audit("amended")[0].user_id) == ("cli", None)


def test_an_amendment_by_an_unknown_account_fails_at_its_line(app, write_pilot):
    load(write_pilot())
    before = table_counts()
    entry = AMENDMENT.replace("reason =", 'by = "nobody@example.org"\n    reason =')
    toml = with_alpha(entry)
    bad = write_pilot(pilot__toml=toml)
    line = line_of(toml, "by = ")
    place = rf"pilot\.toml:{line}:1 \(hypotheses\[1\]\.amendments\[1\]\.by\)"
    with pytest.raises(LoadError, match=place + ": no account has the e-mail nobody@example"):
        load_path(bad)
    db.session.rollback()
    assert table_counts() == before


def test_an_amendment_that_goes_with_no_change_is_refused(app, write_pilot):
    load(write_pilot())
    toml = MINIMAL_TOML.replace(H1_ROLE, H1_ROLE + AMENDMENT)
    place = r"\(hypotheses\[1\]\.amendments\[1\]\.reason\)"
    with pytest.raises(LoadError, match=place + ": .*changes nothing"):
        load_path(write_pilot(pilot__toml=toml))
    db.session.rollback()
    assert db.session.scalar(select(HypothesisAmendment)) is None


def test_a_load_cannot_remove_a_locked_hypothesis(app, write_pilot):
    load(write_pilot())
    before = table_counts()
    start, end = MINIMAL_TOML.index("    [[hypotheses]]"), MINIMAL_TOML.index("    [[iterations]]")
    toml = MINIMAL_TOML[:start] + MINIMAL_TOML[end:]
    with pytest.raises(LoadError, match=r"\(hypotheses\): the hypothesis H1 is locked"):
        load_path(write_pilot(pilot__toml=toml))
    db.session.rollback()
    assert table_counts() == before


def test_an_open_hypothesis_changes_freely_and_the_log_says_how(app, write_pilot):
    no_data = write_pilot(observations__csv=None)
    load(no_data)
    assert h1().locked_at is None
    load(write_pilot(pilot__toml=with_alpha(), observations__csv=None))
    assert (h1().alpha, h1().amendments) == (0.2, [])
    assert [e.summary for e in audit("updated") if e.entity == "hypothesis"] == [
        "H1: alpha: 0.05 → 0.2"
    ]


def test_an_amendment_of_the_second_hypothesis_is_found_at_its_own_line(app, write_pilot):
    second = """
    [[hypotheses]]
    key = "H2"
    statement = "Waiting gets no worse."
    metric = "wait"
    role = "secondary"

    [[hypotheses.amendments]]
    reason = "Another reason"
    by = "ghost@example.org"

"""
    toml = MINIMAL_TOML.replace("    [[iterations]]", second + "    [[iterations]]")
    toml = toml.replace(H1_ROLE, H1_ROLE + AMENDMENT)
    line = line_of(toml, 'by = "ghost')
    with pytest.raises(LoadError, match=rf":{line}:1 \(hypotheses\[2\]\.amendments\[1\]\.by\)"):
        load_path(write_pilot(pilot__toml=toml))


def test_a_folder_keeps_the_day_a_hypothesis_locked_and_cannot_move_it(app, write_pilot):
    locked = MINIMAL_TOML.replace(H1_ROLE, f"{H1_ROLE}    locked_at = 2025-02-01T08:30:00\n")
    load(write_pilot(pilot__toml=locked))
    assert h1().locked_at == datetime(2025, 2, 1, 8, 30)
    later = locked.replace("2025-02-01T08:30:00", "2025-06-01T08:30:00")
    load(write_pilot(pilot__toml=later.replace("Reminder pilot", "Renamed")))
    assert h1().locked_at == datetime(2025, 2, 1, 8, 30)

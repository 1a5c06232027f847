"""Property-based run of the served OpenAPI document: no server errors, answers as documented.

Each operation gets generated requests, valid ones and invalid ones, sent to the
app through WSGI with an admin's token, on a database holding one small pilot.
The pilot's slug and, half the time, the id of a real object in it are fixed, so
requests reach the services instead of stopping at 404.

Hypothesis drives schemathesis' strategies directly: its pytest loader
(``schemathesis.pytest.from_fixture``) renames test nodes in a way pytest 9.2 no
longer allows.
"""

from functools import cache

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from testbed.api.auth import create_token
from testbed.api.endpoint import OPERATIONS
from testbed.api.views import blueprint  # noqa: F401  (declaring the views registers them)
from testbed.auth.models import User
from testbed.extensions import db
from testbed.pilots.models import Hypothesis, Iteration, Metric
from testbed.store.models import ImportBatch
from testbed.suggestions.models import Suggestion
from testbed.suggestions.services import add_suggestion

# Bounded so the whole run (25 operations) takes about a minute on a two-core
# machine, and derandomized so every run sends the same requests.
MAX_EXAMPLES = 40
ID_MODELS = {
    "metric_id": Metric,
    "hypothesis_id": Hypothesis,
    "iteration_id": Iteration,
    "suggestion_id": Suggestion,
    "batch_id": ImportBatch,
}


@pytest.fixture
def api_schema(app, loaded_pilot):
    admin = User(email="admin@example.org", role="admin", name="Admin", password_hash="!")
    db.session.add(admin)
    add_suggestion(loaded_pilot, "Send the reminder a day earlier.", author=admin, department=None)
    _, token = create_token(admin, "property run")
    db.session.commit()
    # The run sends hundreds of requests with a wrong token on purpose; the limit on
    # those (tests/security/test_login_throttle.py) would turn its 401s into 429s.
    app.config["FAILED_TOKENS_PER_ADDRESS"] = "100000 per minute"
    config = SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"token": {"bearer": token}}},
            # Schema-valid requests may still break a pilot's rules (an unknown metric key, a
            # key account without a reason): those 422s are documented, not failures.
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@pytest.mark.parametrize("declared", OPERATIONS, ids=[f"{o.method} {o.rule}" for o in OPERATIONS])
def test_operation_answers_as_documented(api_schema, loaded_pilot, declared):
    operation = api_schema[openapi_path(declared.rule)][declared.method]
    choices = [
        (paths, if_match)
        for paths in path_choices(declared, loaded_pilot)
        for if_match in ((None, "*") if declared.if_match else (None,))
    ]

    @cache
    def cases(choice):
        paths, if_match = choice
        fixed = {"path_parameters": dict(paths)}
        if if_match:
            fixed["headers"] = {"If-Match": if_match}
        return st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, **fixed),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, **fixed),
        )

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.sampled_from(choices).flatmap(cases))
    def run(case):
        case.call_and_validate()

    run()


def path_choices(declared, pilot) -> list[tuple]:
    """Fixed path parameters: the pilot's slug, and an id that exists or one left to chance."""
    fixed = {"slug": pilot.slug} if declared.on_pilot else {}
    names = [name for name, _ in declared.path_parameters if name in ID_MODELS]
    if not names:
        return [tuple(fixed.items())]
    model = ID_MODELS[names[0]]
    first = db.session.scalar(select(model.id).where(model.pilot_id == pilot.id))
    return [tuple(fixed.items()), tuple({**fixed, names[0]: first}.items())]


def openapi_path(rule: str) -> str:
    for old, new in (("<int:", "{"), ("<", "{"), (">", "}")):
        rule = rule.replace(old, new)
    return rule

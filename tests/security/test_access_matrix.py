"""Who may do what: every route and method of the app and the API, for every role, with the
status each one gets; and, where an object belongs to a person, someone else's object too.

The HTML requests are sent with CSRF checks off (the ``app`` fixture's setting): access is the
point here, and test_state_changes.py proves the CSRF refusals with them on. Each request that
a role may make is a valid one, so "allowed" shows as the success status, not as a form error.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.api.models import ApiToken
from testbed.extensions import db
from testbed.store import upload
from testbed.store.models import ImportBatch
from tests.security.calls import REQUESTS, deliver, prepare
from tests.security.world import ROLES, World, signed_in

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Routes that redirect a stranger somewhere other than the sign-in page: signing in itself,
# and the language switch, which the sign-in page has too.
OPEN_TO_ALL = {"auth.login", "language.choose"}

# Expected status per role, in the order of ROLES. For routes whose object belongs to a person
# (tokens, pending uploads), the object is the requester's own here; OTHERS_OBJECTS below has
# the same routes on someone else's object.
# fmt: off
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    #  endpoint                          method     anon  innov  head   fin  admin staff
    ("health.healthz",                   "GET"):    (200,  200,  200,  200,  200,  200),
    ("auth.login",                       "GET"):    (200,  302,  302,  302,  302,  302),
    ("auth.login",                       "POST"):   (200,  302,  302,  302,  302,  302),
    ("auth.logout",                      "POST"):   (302,  302,  302,  302,  302,  302),
    ("auth.change_password",             "GET"):    (302,  200,  200,  200,  200,  200),
    ("auth.change_password",             "POST"):   (302,  302,  302,  302,  302,  302),
    ("language.choose",                  "POST"):   (302,  302,  302,  302,  302,  302),
    ("pilots.portfolio",                 "GET"):    (302,  200,  200,  200,  200,  200),
    ("pilots.new_pilot",                 "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.new_pilot",                 "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.pilot",                     "GET"):    (302,  200,  200,  200,  200,  200),
    ("pilots.activity",                  "GET"):    (302,  200,  200,  200,  200,  200),
    ("pilots.edit_pilot",                "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.edit_pilot",                "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.new_hypothesis",            "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.new_hypothesis",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.edit_hypothesis",           "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.edit_hypothesis",           "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.new_iteration",             "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.new_iteration",             "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.upload",                    "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.upload",                    "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.upload_preview",            "GET"):    (302,  200,  403,  403,  200,  403),
    ("pilots.confirm_upload",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.discard_upload",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("results.results",                  "GET"):    (302,  200,  200,  200,  200,  200),
    ("results.chart",                    "GET"):    (302,  200,  200,  200,  200,  200),
    ("results.planning",                 "GET"):    (302,  200,  200,  200,  200,  200),
    ("reports.summary",                  "GET"):    (302,  200,  200,  200,  200,  200),
    ("reports.summary_pdf",              "GET"):    (302,  200,  200,  200,  200,  200),
    ("reports.pilot_workbook",           "GET"):    (302,  200,  200,  200,  200,  200),
    ("reports.portfolio_workbook",       "GET"):    (302,  200,  200,  200,  200,  403),
    ("suggestions.pilot_suggestions",    "GET"):    (302,  200,  200,  200,  200,  200),
    ("suggestions.add",                  "POST"):   (302,  302,  302,  302,  302,  403),
    ("suggestions.suggestion",           "GET"):    (302,  200,  200,  200,  200,  200),
    ("suggestions.comment",              "POST"):   (302,  302,  302,  302,  302,  403),
    ("suggestions.vote",                 "POST"):   (302,  302,  302,  302,  302,  403),
    ("suggestions.decide",               "POST"):   (302,  302,  403,  403,  302,  403),
    ("suggestions.departments",          "GET"):    (302,  200,  200,  200,  200,  403),
    ("suggestions.department",           "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.portfolio",                "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.portfolio_csv",            "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.pilot_finance",            "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.pilot_csv",                "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.edit_plan",                "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_plan",                "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.add_cost",                 "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.add_cost",                 "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.edit_cost",                "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_cost",                "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.delete_cost",              "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.add_benefit",              "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.add_benefit",              "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.edit_benefit",             "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_benefit",             "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.delete_benefit",           "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.programmes",               "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.programmes",               "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.edit_programme",           "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_programme",           "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.delete_programme",         "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.poor_service_page",        "GET"):    (302,  200,  200,  200,  200,  403),
    ("finance.add_poor_service_line",    "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.add_poor_service_line",    "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.edit_poor_service_line",   "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_poor_service_line",   "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.delete_poor_service_line", "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.add_claim",                "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.add_claim",                "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.edit_claim",               "GET"):    (302,  403,  403,  200,  200,  403),
    ("finance.edit_claim",               "POST"):   (302,  403,  403,  302,  302,  403),
    ("finance.delete_claim",             "POST"):   (302,  403,  403,  302,  302,  403),
    # The scorecard: everyone reads; innovation and admins change it. A department head
    # measures only indicators their own department owns: the world's head has no
    # department, so is refused (tests/scorecard shows one who does).
    ("scorecard.scorecard",              "GET"):    (302,  200,  200,  200,  200,  403),
    ("scorecard.new_indicator",          "GET"):    (302,  200,  403,  403,  200,  403),
    ("scorecard.new_indicator",          "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.indicator",              "GET"):    (302,  200,  200,  200,  200,  403),
    ("scorecard.edit_indicator",         "GET"):    (302,  200,  403,  403,  200,  403),
    ("scorecard.edit_indicator",         "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.add_measurement",        "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.delete_measurement",     "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.upload_measurements",    "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.strategy_map",           "GET"):    (302,  200,  200,  200,  200,  403),
    ("scorecard.add_link",               "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.delete_link",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("scorecard.progress",               "GET"):    (302,  200,  200,  200,  200,  403),
    ("scorecard.pilot_indicators",       "GET"):    (302,  200,  403,  403,  200,  403),
    ("scorecard.pilot_indicators",       "POST"):   (302,  302,  403,  403,  302,  403),
    ("admin.users",                      "GET"):    (302,  403,  403,  403,  200,  403),
    ("admin.users",                      "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.user",                       "GET"):    (302,  403,  403,  403,  200,  403),
    ("admin.user",                       "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.reset_password",             "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.deactivate",                 "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.reactivate",                 "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.departments",                "GET"):    (302,  403,  403,  403,  200,  403),
    ("admin.departments",                "POST"):   (302,  403,  403,  403,  302,  403),
    ("admin.department",                 "GET"):    (302,  403,  403,  403,  200,  403),
    ("admin.department",                 "POST"):   (302,  403,  403,  403,  302,  403),
    # The idea box: everyone, staff included, reads, gives and votes; the innovation team
    # and admins decide.
    ("ideas.ideas",                      "GET"):    (302,  200,  200,  200,  200,  200),
    ("ideas.submit",                     "POST"):   (302,  302,  302,  302,  302,  302),
    ("ideas.idea",                       "GET"):    (302,  200,  200,  200,  200,  200),
    ("ideas.vote",                       "POST"):   (302,  302,  302,  302,  302,  302),
    ("ideas.move",                       "POST"):   (302,  302,  403,  403,  302,  403),
    ("ideas.attach",                     "POST"):   (302,  302,  403,  403,  302,  403),
    ("ideas.campaigns",                  "GET"):    (302,  200,  200,  200,  200,  200),
    ("notify.inbox",                     "GET"):    (302,  200,  200,  200,  200,  200),
    ("notify.mark_read",                 "POST"):   (302,  302,  302,  302,  302,  302),
    ("notify.mark_all_read",             "POST"):   (302,  302,  302,  302,  302,  302),
    ("notify.preferences",               "GET"):    (302,  200,  200,  200,  200,  200),
    ("notify.preferences",               "POST"):   (302,  302,  302,  302,  302,  302),
    ("notify.watch",                     "POST"):   (302,  302,  302,  302,  302,  302),
    # An e-mail's unsubscribe link needs no sign-in: its signed token names the person.
    ("notify.unsubscribe_page",          "GET"):    (200,  200,  200,  200,  200,  200),
    ("notify.unsubscribe",               "POST"):   (200,  200,  200,  200,  200,  200),
    ("notify.webhooks_page",             "GET"):    (302,  403,  403,  403,  200,  403),
    ("notify.webhooks_page",             "POST"):   (302,  403,  403,  403,  200,  403),
    ("notify.webhook_page",              "GET"):    (302,  403,  403,  403,  200,  403),
    ("notify.remove_webhook",            "POST"):   (302,  403,  403,  403,  302,  403),
    ("sources.sources",                  "GET"):    (302,  403,  403,  403,  200,  403),
    ("sources.sources",                  "POST"):   (302,  403,  403,  403,  302,  403),
    ("sources.source",                   "GET"):    (302,  403,  403,  403,  200,  403),
    ("sources.source",                   "POST"):   (302,  403,  403,  403,  302,  403),
    ("sources.test_source",              "POST"):   (302,  403,  403,  403,  302,  403),
    ("sources.pilot_sources",            "GET"):    (302,  200,  403,  403,  200,  403),
    ("sources.metric_query",             "POST"):   (302,  302,  403,  403,  302,  403),
    ("sources.refresh",                  "POST"):   (302,  302,  403,  403,  302,  403),
    ("api_pages.tokens",                 "GET"):    (302,  200,  200,  200,  200,  403),
    ("api_pages.create_token",           "POST"):   (302,  200,  200,  200,  200,  403),
    ("api_pages.revoke_token",           "POST"):   (302,  302,  302,  302,  302,  403),
    ("api_pages.documentation",          "GET"):    (302,  200,  200,  200,  200,  403),
    # The JSON API: a token in the Authorization header, 401 without one.
    ("api.index",                        "GET"):    (200,  200,  200,  200,  200,  200),
    ("api.openapi",                      "GET"):    (200,  200,  200,  200,  200,  200),
    ("api.get_me",                       "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.list_pilots",                  "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_pilot",                 "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.get_pilot",                    "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.update_pilot",                 "PATCH"):  (401,  200,  403,  403,  200,  403),
    ("api.list_metrics",                 "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_metric",                "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.get_metric",                   "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.list_hypotheses",              "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_hypothesis",            "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.get_hypothesis",               "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.update_hypothesis",            "PATCH"):  (401,  200,  403,  403,  200,  403),
    ("api.list_iterations",              "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_iteration",             "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.get_iteration",                "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.list_suggestions",             "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_suggestion",            "POST"):   (401,  201,  201,  201,  201,  403),
    ("api.get_suggestion",               "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.move_suggestion",              "POST"):   (401,  200,  403,  403,  200,  403),
    ("api.push_observations",            "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.refresh_pilot_sources",        "POST"):   (401,  200,  403,  403,  200,  403),
    ("api.push_summaries",               "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.list_batches",                 "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.get_batch",                    "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.get_results",                  "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.get_returns",                  "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.list_returns",                 "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.get_poor_service",             "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.list_indicators",              "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.get_indicator",                "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.create_indicator",             "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.push_measurements",            "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.list_links",                   "GET"):    (401,  200,  200,  200,  200,  403),
    ("api.create_link",                  "POST"):   (401,  201,  403,  403,  201,  403),
    ("api.get_pilot_indicators",         "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.put_pilot_indicators",         "PUT"):    (401,  200,  403,  403,  200,  403),
    ("api.list_notifications",           "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.mark_notification_read",       "POST"):   (401,  200,  200,  200,  200,  200),
    ("api.mark_all_notifications_read",  "POST"):   (401,  200,  200,  200,  200,  200),
    ("api.list_watches",                 "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.watch_pilot",                  "POST"):   (401,  201,  201,  201,  201,  201),
    ("api.unwatch_pilot",                "DELETE"): (401,  200,  200,  200,  200,  200),
    ("api.list_ideas",                   "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.create_idea",                  "POST"):   (401,  201,  201,  201,  201,  201),
    ("api.get_idea",                     "GET"):    (401,  200,  200,  200,  200,  200),
    ("api.get_campaign",                 "GET"):    (401,  200,  200,  200,  200,  200),
    # Addresses and methods the API does not have: answered before any token is read, 404
    # for an unknown address, 405 for a method the address lacks (PUT and DELETE below).
    ("api.unknown",                      "GET"):    (404,  404,  404,  404,  404,  404),
    ("api.unknown",                      "POST"):   (404,  404,  404,  404,  404,  404),
    ("api.unknown",                      "PUT"):    (405,  405,  405,  405,  405,  405),
    ("api.unknown",                      "PATCH"):  (404,  404,  404,  404,  404,  404),
    ("api.unknown",                      "DELETE"): (405,  405,  405,  405,  405,  405),
}

# The same routes on an object that belongs to someone else. A token or a notification is looked
# up among the requester's own only (404); someone else's pending upload is treated as gone: the
# browser is sent back to the upload form and nothing is imported or discarded (see the tests
# below).
OTHERS_OBJECTS: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("api_pages.revoke_token",           "POST"):   (302,  404,  404,  404,  404,  403),
    ("pilots.upload_preview",            "GET"):    (302,  302,  403,  403,  302,  403),
    ("pilots.confirm_upload",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("pilots.discard_upload",            "POST"):   (302,  302,  403,  403,  302,  403),
    ("notify.mark_read",                 "POST"):   (302,  404,  404,  404,  404,  404),
    ("api.mark_notification_read",       "POST"):   (401,  404,  404,  404,  404,  404),
}
# fmt: on


def routes_of(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
    }


def send(w: World, key: tuple[str, str], role: str, owner_of_object):
    client, call = prepare(w, key, role, owner_of_object(w.people.get(role)))
    return deliver(client, key[1], call)


def statuses(w: World, key: tuple[str, str], owner_of_object) -> dict[str, int]:
    answers = {}
    for role in ROLES:
        response = send(w, key, role, owner_of_object)
        answers[role] = response.status_code
        if role == "anonymous" and response.status_code == 302 and key[0] not in OPEN_TO_ALL:
            assert response.headers["Location"].startswith("/login"), key
        db.session.rollback()
    return answers


def test_the_matrix_names_every_route_and_method_exactly(app):
    routes = routes_of(app)
    missing = sorted(routes - MATRIX.keys())
    gone = sorted(MATRIX.keys() - routes)
    assert (missing, gone) == ([], []), f"add to MATRIX: {missing}; remove from MATRIX: {gone}"
    assert REQUESTS.keys() == MATRIX.keys()
    assert OTHERS_OBJECTS.keys() <= MATRIX.keys()


@pytest.mark.parametrize("key", sorted(MATRIX), ids="{0[0]}-{0[1]}".format)
def test_each_role_gets_the_status_the_matrix_gives(world, key):
    got = statuses(world, key, owner_of_object=lambda actor: actor or world.someone_else)
    assert got == dict(zip(ROLES, MATRIX[key], strict=True))


@pytest.mark.parametrize("key", sorted(OTHERS_OBJECTS), ids="{0[0]}-{0[1]}".format)
def test_someone_elses_object_gets_the_status_the_matrix_gives(world, key):
    got = statuses(world, key, owner_of_object=lambda actor: world.someone_else)
    assert got == dict(zip(ROLES, OTHERS_OBJECTS[key], strict=True))


def test_someone_elses_token_stays_active(world):
    token_id = world.token_id(world.someone_else)
    for role in ROLES[1:]:
        signed_in(world.app, world.people[role]).post(f"/account/tokens/{token_id}/revoke")
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).active


def test_someone_elses_upload_is_neither_imported_nor_discarded(world):
    token = world.pending_upload(world.someone_else)
    address = f"/pilots/{world.slug}/observations/upload/{token}"
    batches = len(db.session.scalars(select(ImportBatch)).all())
    for role in ("innovation", "admin"):
        client = signed_in(world.app, world.people[role])
        assert client.post(address, data={"version": world.version}).status_code == 302
        assert client.post(address + "/discard").status_code == 302
    assert len(db.session.scalars(select(ImportBatch)).all()) == batches
    with world.app.test_request_context():
        assert upload.pending_upload(token, world.pilot, world.someone_else) is not None


def test_someone_elses_notification_stays_unread_and_out_of_sight(world):
    from testbed.notify.models import Notification
    from tests.security.calls import notification_of

    notification_id = notification_of(world, world.someone_else)
    for role in ROLES[1:]:
        client = signed_in(world.app, world.people[role])
        client.post(f"/notifications/{notification_id}/read")
        client.post("/notifications/read")
        assert "Moved" not in client.get("/notifications").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, notification_id).read_at is None

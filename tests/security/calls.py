"""How to make each request of the access matrix: a valid one, on real objects, made afresh
where a request uses one up (a suggestion moved on, a cost deleted, an account deactivated)."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from testbed.extensions import db
from tests.security.world import PASSWORD, World, signed_in


@dataclass
class Call:
    path: str
    data: dict | None = None
    json: object = None
    headers: dict = field(default_factory=dict)
    content_type: str | None = None


def observations_csv(w: World) -> Call:
    rows = "metric,group,value,iteration\n" + f"wait,baseline,{w.next()},1\n" * 2
    return Call(f"/api/v1/pilots/{w.slug}/observations", data=rows, content_type="text/csv")


def summaries_csv(w: World) -> Call:
    rows = f"metric,group,n,mean,sd\nwait,pilot,{w.next() + 1},9.5,2.5\n"
    return Call(f"/api/v1/pilots/{w.slug}/summaries", data=rows, content_type="text/csv")


def upload_file(w: World) -> Call:
    rows = f"metric,group,value,iteration\nwait,pilot,{w.next()},1\n"
    data = {"version": w.version, "file": (io.BytesIO(rows.encode()), "more.csv")}
    return Call(
        f"/pilots/{w.slug}/observations/upload", data=data, content_type="multipart/form-data"
    )


def source_url() -> str:
    """An empty SQLite file as a data source: its connection test passes."""
    path = Path(tempfile.gettempdir()) / f"testbed-access-source-{os.getpid()}.sqlite"
    return f"sqlite:///{path}"


def data_source(w: World):
    from testbed.sources.services import register_source, source_named

    source = source_named("Access warehouse")
    if source is None:
        source = register_source("Access warehouse", source_url(), actor="test")
        db.session.commit()
    return source


def pilot_form(w: World) -> dict:
    return {
        "version": w.version,
        "name": w.pilot.name,
        "partner": str(w.pilot.partner_id),
        "status": w.pilot.status,
        "summary": f"Summary {w.next()}",
        "departments": [str(w.department().id)],
    }


def hypothesis_form(w: World, key: str, **fields) -> dict:
    return {
        "version": w.version,
        "key": key,
        "statement": "Reminders shorten the wait.",
        "metric": "pilot:wait",
        "role": "secondary",
        "design": "concurrent",
        "method": "fixed",
        "alpha": "0.05",
        "predictor": "",
        "metric_kind": "mean",
        "metric_direction": "decrease",
        "metric_indicator": "lagging",
        "metric_perspective": "customer",
        **fields,
    }


def finance_form(w: World, **fields) -> dict:
    return {"version": w.version, **fields}


def cost_fields(w: World) -> dict:
    return finance_form(w, item=f"Cost {w.next()}", amount="100", year="1")


def benefit_fields(w: World) -> dict:
    return finance_form(w, metric=str(w.fta_id), value_per_unit="5", volume_per_year="100")


def new_benefit(w: World) -> Call:
    w.free_metric()
    return Call(on_pilot(w, "/finance/benefits/new"), data=benefit_fields(w))


def line_fields(w: World) -> dict:
    number = w.next()
    return {
        "key": f"line-{number}",
        "segment": "healthcare",
        "kind": "complaints",
        "name": f"Complaints {number}",
        "currency": "EUR",
        "volume": "100",
        "unit_cost": "40",
        "source": "Complaints register",
        "period": "2024",
    }


def claim_fields(w: World) -> dict:
    line = w.poor_service_line()
    w.free_metric()
    return finance_form(w, line=str(line.id), metric=str(w.fta_id), share_percent="50")


def indicator(w: World):
    """The scorecard's indicator the requests address, made once, owned by Operations."""
    from testbed.scorecard import services
    from testbed.scorecard.services import IndicatorFields

    found = services.indicator_named("nps")
    if found is None:
        found = services.create_indicator(
            IndicatorFields("nps", "Net Promoter Score", "customer", "increase", target=40.0,
                            department=w.department()),
            actor="setup",
        )  # fmt: skip
        db.session.commit()
    return found


def measurement_id(w: World) -> int:
    """A new measurement of the indicator, for a request that removes one."""
    from testbed.scorecard import services
    from testbed.scorecard.services import MeasurementRow

    period = f"{2000 + w.next()}-01"
    services.store_measurements(
        [MeasurementRow(indicator(w), None, period, 10.0)], source="web", actor="setup"
    )
    db.session.commit()
    return next(m.id for m in indicator(w).measurements if m.period == period)


def link_id(w: World) -> int:
    """A new link into the indicator, for a request that removes one."""
    from testbed.scorecard import services
    from testbed.scorecard.services import IndicatorFields

    leading = services.create_indicator(
        IndicatorFields(f"lead{w.next()}", "Leading", "internal", "increase"), actor="setup"
    )
    link = services.add_link(leading, indicator(w), actor="setup")
    db.session.commit()
    return link.id


def link_leading(w: World) -> int:
    """A new indicator not yet linked to the one the requests address."""
    from testbed.scorecard import services
    from testbed.scorecard.services import IndicatorFields

    indicator(w)
    made = services.create_indicator(
        IndicatorFields(f"lead{w.next()}", "Leading", "internal", "increase"), actor="setup"
    )
    db.session.commit()
    return made.id


def services_key(indicator_id: int) -> str:
    from testbed.scorecard.models import Indicator

    return db.session.get(Indicator, indicator_id).key


def indicator_form(w: World) -> dict:
    return {"key": "nps", "name": f"NPS {w.next()}", "perspective": "customer",
            "direction": "increase", "cadence": "monthly", "target": "40",
            "department": "0"}  # fmt: skip


def measurements_file(w: World) -> Call:
    indicator(w)
    rows = f"indicator,period,value\nnps,{2000 + w.next()}-02,12\n"
    return Call(
        "/scorecard/measurements",
        data={"file": (io.BytesIO(rows.encode()), "survey.csv")},
        content_type="multipart/form-data",
    )


def notification_of(w: World, owner) -> int:
    """A new notification in ``owner``'s inbox."""
    from testbed.notify.models import Notification
    from testbed.notify.services import record_event

    event = record_event(
        "pilot_status", pilot=w.pilot, title=f"Moved {w.next()}", link="/", recipients=[owner]
    )
    db.session.commit()
    return db.session.scalar(select(Notification.id).where(Notification.event_id == event.id))


def unsubscribe_link(w: World, owner) -> str:
    from testbed.notify.delivery import unsubscribe_token

    with w.app.test_request_context():
        return f"/notifications/unsubscribe/{unsubscribe_token(owner, 'pilot_status')}"


def webhook_id(w: World) -> int:
    from testbed.notify.webhooks import register

    hook, _ = register(
        "http://127.0.0.1:9/hook", ["pilot_status"], allow_private=False, by=w.people["admin"]
    )
    db.session.commit()
    return hook.id


def preference_fields() -> dict:
    from testbed.notify.models import EVENT_KINDS

    return {kind: "in_app" for kind in EVENT_KINDS}


def watched_by(w: World, owner) -> str:
    from testbed.notify.services import watch_pilot

    watch_pilot(owner, w.pilot)
    db.session.commit()
    return in_api(w, "/watch")


def if_match(w: World) -> dict:
    return {"If-Match": f'"{w.version}"'}


def on_pilot(w: World, rest: str = "") -> str:
    return f"/pilots/{w.slug}{rest}"


def in_api(w: World, rest: str = "") -> str:
    return f"/api/v1/pilots/{w.slug}{rest}"


# How to make each request: ``w`` is the world, ``owner`` whose object it addresses.
# fmt: off
REQUESTS = {
    ("health.healthz", "GET"): lambda w, owner: Call("/healthz"),
    ("auth.login", "GET"): lambda w, owner: Call("/login"),
    ("auth.login", "POST"): lambda w, owner: Call(
        "/login", data={"email": "nobody@example.org", "password": "wrong password"}),
    ("auth.logout", "POST"): lambda w, owner: Call("/logout"),
    ("auth.change_password", "GET"): lambda w, owner: Call("/account/password"),
    ("auth.change_password", "POST"): lambda w, owner: Call("/account/password", data={
        "current": PASSWORD, "password": "another long password",
        "confirm": "another long password"}),
    ("language.choose", "POST"): lambda w, owner: Call(
        "/language", data={"language": "en", "next": "/"}),
    ("pilots.portfolio", "GET"): lambda w, owner: Call("/"),
    ("pilots.new_pilot", "GET"): lambda w, owner: Call("/pilots/new"),
    ("pilots.new_pilot", "POST"): lambda w, owner: Call("/pilots/new", data={
        "name": f"Phone reminders {w.next()}", "partner": str(w.pilot.partner_id),
        "status": "draft"}),
    ("pilots.pilot", "GET"): lambda w, owner: Call(on_pilot(w)),
    ("pilots.activity", "GET"): lambda w, owner: Call(on_pilot(w, "/activity")),
    ("pilots.edit_pilot", "GET"): lambda w, owner: Call(on_pilot(w, "/edit")),
    ("pilots.edit_pilot", "POST"): lambda w, owner: Call(
        on_pilot(w, "/edit"), data=pilot_form(w)),
    ("pilots.new_hypothesis", "GET"): lambda w, owner: Call(on_pilot(w, "/hypotheses/new")),
    ("pilots.new_hypothesis", "POST"): lambda w, owner: Call(
        on_pilot(w, "/hypotheses/new"), data=hypothesis_form(w, f"H{w.next() + 2}")),
    ("pilots.edit_hypothesis", "GET"): lambda w, owner: Call(on_pilot(w, "/hypotheses/H2/edit")),
    ("pilots.edit_hypothesis", "POST"): lambda w, owner: Call(
        on_pilot(w, "/hypotheses/H2/edit"),
        data=hypothesis_form(w, "H2", alpha=f"0.0{w.next()}", reason="Stricter, say finance.")),
    ("pilots.new_iteration", "GET"): lambda w, owner: Call(on_pilot(w, "/iterations/new")),
    ("pilots.new_iteration", "POST"): lambda w, owner: Call(
        on_pilot(w, "/iterations/new"),
        data={"version": w.version, "number": str(w.next() + 1), "title": "Next"}),
    ("pilots.upload", "GET"): lambda w, owner: Call(on_pilot(w, "/observations/upload")),
    ("pilots.upload", "POST"): lambda w, owner: upload_file(w),
    ("pilots.upload_preview", "GET"): lambda w, owner: Call(
        on_pilot(w, f"/observations/upload/{w.pending_upload(owner)}")),
    ("pilots.confirm_upload", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/observations/upload/{w.pending_upload(owner)}"),
        data={"version": w.version}),
    ("pilots.discard_upload", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/observations/upload/{w.pending_upload(owner)}/discard")),
    ("results.results", "GET"): lambda w, owner: Call(on_pilot(w, "/results")),
    ("results.chart", "GET"): lambda w, owner: Call(on_pilot(w, "/charts/forest.svg")),
    ("reports.summary", "GET"): lambda w, owner: Call(on_pilot(w, "/summary")),
    ("reports.summary_pdf", "GET"): lambda w, owner: Call(on_pilot(w, "/summary.pdf")),
    ("reports.pilot_workbook", "GET"): lambda w, owner: Call(on_pilot(w, "/results.xlsx")),
    ("reports.portfolio_workbook", "GET"): lambda w, owner: Call("/finance/portfolio.xlsx"),
    ("results.planning", "GET"): lambda w, owner: Call(
        on_pilot(w, "/planning?minimum_effect=2&sd=5&weekly_per_group=30")),
    ("suggestions.pilot_suggestions", "GET"): lambda w, owner: Call(on_pilot(w, "/suggestions")),
    ("suggestions.add", "POST"): lambda w, owner: Call(
        on_pilot(w, "/suggestions"), data={"text": "Call the day before.", "department": "0"}),
    ("suggestions.suggestion", "GET"): lambda w, owner: Call(f"/suggestions/{w.suggestion().id}"),
    ("suggestions.comment", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/suggestions/{w.suggestion().id}/comments"), data={"text": "Agreed."}),
    ("suggestions.vote", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/suggestions/{w.suggestion().id}/vote"), data={}),
    ("suggestions.decide", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/suggestions/{w.suggestion().id}/decision"),
        data={"status": "under_review", "version": w.version}),
    ("suggestions.departments", "GET"): lambda w, owner: Call("/departments"),
    ("suggestions.department", "GET"): lambda w, owner: Call(
        f"/departments/{w.department().id}"),
    ("finance.portfolio", "GET"): lambda w, owner: Call("/finance"),
    ("finance.portfolio_csv", "GET"): lambda w, owner: Call("/finance/export.csv"),
    ("finance.pilot_finance", "GET"): lambda w, owner: Call(on_pilot(w, "/finance")),
    ("finance.pilot_csv", "GET"): lambda w, owner: Call(on_pilot(w, "/finance.csv")),
    ("finance.edit_plan", "GET"): lambda w, owner: Call(on_pilot(w, "/finance/plan")),
    ("finance.edit_plan", "POST"): lambda w, owner: Call(
        on_pilot(w, "/finance/plan"), data=finance_form(
            w, currency="EUR", discount_rate=str(w.next()), horizon_years="3")),
    ("finance.add_cost", "GET"): lambda w, owner: Call(on_pilot(w, "/finance/costs/new")),
    ("finance.add_cost", "POST"): lambda w, owner: Call(
        on_pilot(w, "/finance/costs/new"), data=cost_fields(w)),
    ("finance.edit_cost", "GET"): lambda w, owner: Call(
        on_pilot(w, f"/finance/costs/{w.cost().id}")),
    ("finance.edit_cost", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/finance/costs/{w.cost().id}"), data=cost_fields(w)),
    ("finance.delete_cost", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/finance/costs/{w.cost().id}/delete"), data=finance_form(w)),
    ("finance.add_benefit", "GET"): lambda w, owner: Call(on_pilot(w, "/finance/benefits/new")),
    ("finance.add_benefit", "POST"): lambda w, owner: new_benefit(w),
    ("finance.edit_benefit", "GET"): lambda w, owner: Call(
        on_pilot(w, f"/finance/benefits/{w.benefit().id}")),
    ("finance.edit_benefit", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/finance/benefits/{w.spare_benefit().id}"), data=benefit_fields(w)),
    ("finance.delete_benefit", "POST"): lambda w, owner: Call(
        on_pilot(w, f"/finance/benefits/{w.spare_benefit().id}/delete"), data=finance_form(w)),
    ("finance.programmes", "GET"): lambda w, owner: Call("/finance/programmes"),
    ("finance.programmes", "POST"): lambda w, owner: Call(
        "/finance/programmes", data={"name": f"Programme {w.next()}", "roi_percent": "12"}),
    ("finance.edit_programme", "GET"): lambda w, owner: Call(
        f"/finance/programmes/{w.programme().id}"),
    ("finance.edit_programme", "POST"): lambda w, owner: Call(
        f"/finance/programmes/{w.programme().id}",
        data={"name": f"Programme {w.next()}", "roi_percent": "15"}),
    ("finance.delete_programme", "POST"): lambda w, owner: Call(
        f"/finance/programmes/{w.programme().id}/delete"),
    ("finance.poor_service_page", "GET"): lambda w, owner: Call("/finance/poor-service"),
    ("finance.add_poor_service_line", "GET"): lambda w, owner: Call("/finance/poor-service/new"),
    ("finance.add_poor_service_line", "POST"): lambda w, owner: Call(
        "/finance/poor-service/new", data=line_fields(w)),
    ("finance.edit_poor_service_line", "GET"): lambda w, owner: Call(
        f"/finance/poor-service/{w.poor_service_line().id}"),
    ("finance.edit_poor_service_line", "POST"): lambda w, owner: Call(
        f"/finance/poor-service/{w.poor_service_line().id}", data=line_fields(w)),
    ("finance.delete_poor_service_line", "POST"): lambda w, owner: Call(
        f"/finance/poor-service/{w.poor_service_line().id}/delete"),
    ("finance.add_claim", "GET"): lambda w, owner: Call(on_pilot(w, "/finance/claims/new")),
    ("finance.add_claim", "POST"): lambda w, owner: Call(
        on_pilot(w, "/finance/claims/new"), data=claim_fields(w)),
    ("finance.edit_claim", "GET"): lambda w, owner: Call(
        on_pilot(w, f"/finance/claims/{w.claim().id}")),
    ("finance.edit_claim", "POST"): lambda w, owner: (lambda claim: Call(
        on_pilot(w, f"/finance/claims/{claim.id}"),
        data=finance_form(w, line=str(claim.line_id), metric=str(w.fta_id), share_percent="40"),
    ))(w.claim()),
    ("finance.delete_claim", "POST"): lambda w, owner: (lambda claim: Call(
        on_pilot(w, f"/finance/claims/{claim.id}/delete"), data=finance_form(w)))(w.claim()),
    ("scorecard.scorecard", "GET"): lambda w, owner: Call("/scorecard"),
    ("scorecard.new_indicator", "GET"): lambda w, owner: Call("/scorecard/indicators/new"),
    ("scorecard.new_indicator", "POST"): lambda w, owner: Call(
        "/scorecard/indicators/new", data=indicator_form(w) | {"key": f"k{w.next()}"}),
    ("scorecard.indicator", "GET"): lambda w, owner: Call(
        f"/scorecard/indicators/{indicator(w).key}"),
    ("scorecard.edit_indicator", "GET"): lambda w, owner: Call(
        f"/scorecard/indicators/{indicator(w).key}/edit"),
    ("scorecard.edit_indicator", "POST"): lambda w, owner: Call(
        f"/scorecard/indicators/{indicator(w).key}/edit", data=indicator_form(w)),
    ("scorecard.add_measurement", "POST"): lambda w, owner: Call(
        f"/scorecard/indicators/{indicator(w).key}/measurements",
        data={"period": f"{2000 + w.next()}-03", "department": "0", "value": "12"}),
    ("scorecard.delete_measurement", "POST"): lambda w, owner: Call(
        f"/scorecard/indicators/{indicator(w).key}/measurements/{measurement_id(w)}/delete"),
    ("scorecard.upload_measurements", "POST"): lambda w, owner: measurements_file(w),
    ("scorecard.strategy_map", "GET"): lambda w, owner: Call("/scorecard/map"),
    ("scorecard.add_link", "POST"): lambda w, owner: Call("/scorecard/links", data={
        "leading": str(link_leading(w)), "lagging": str(indicator(w).id)}),
    ("scorecard.delete_link", "POST"): lambda w, owner: Call(
        f"/scorecard/links/{link_id(w)}/delete"),
    ("scorecard.progress", "GET"): lambda w, owner: Call(
        f"/scorecard/progress?indicator={indicator(w).key}"),
    ("scorecard.pilot_indicators", "GET"): lambda w, owner: Call(on_pilot(w, "/indicators")),
    ("scorecard.pilot_indicators", "POST"): lambda w, owner: Call(
        on_pilot(w, "/indicators"), data={"indicators": [indicator(w).key]}),
    ("admin.users", "GET"): lambda w, owner: Call("/admin/users"),
    ("admin.users", "POST"): lambda w, owner: Call("/admin/users", data={
        "email": f"new{w.next()}@example.org", "role": "finance", "department": "0",
        "password": "another long password"}),
    ("admin.user", "GET"): lambda w, owner: Call(f"/admin/users/{w.account().id}"),
    ("admin.user", "POST"): lambda w, owner: Call(
        f"/admin/users/{w.account().id}",
        data={"name": "Renamed", "role": "finance", "department": "0"}),
    ("admin.reset_password", "POST"): lambda w, owner: Call(
        f"/admin/users/{w.account().id}/password",
        data={"password": "another long password", "confirm": "another long password"}),
    ("admin.deactivate", "POST"): lambda w, owner: Call(
        f"/admin/users/{w.account().id}/deactivate"),
    ("admin.reactivate", "POST"): lambda w, owner: Call(
        f"/admin/users/{w.account(active=False).id}/reactivate"),
    ("admin.departments", "GET"): lambda w, owner: Call("/admin/departments"),
    ("admin.departments", "POST"): lambda w, owner: Call(
        "/admin/departments", data={"name": f"Department {w.next()}"}),
    ("admin.department", "GET"): lambda w, owner: Call(f"/admin/departments/{w.department().id}"),
    ("admin.department", "POST"): lambda w, owner: Call(
        f"/admin/departments/{w.department().id}", data={"name": "Operations"}),
    ("ideas.ideas", "GET"): lambda w, owner: Call("/ideas"),
    ("ideas.submit", "POST"): lambda w, owner: Call("/ideas", data={
        "title": f"Idea {w.next()}", "text": "Text the depot's number."}),
    ("ideas.idea", "GET"): lambda w, owner: Call(f"/ideas/{w.idea().id}"),
    ("ideas.vote", "POST"): lambda w, owner: Call(f"/ideas/{w.idea().id}/vote", data={}),
    ("ideas.move", "POST"): lambda w, owner: Call(
        f"/ideas/{w.idea().id}/move", data={"status": "under_review", "reason": ""}),
    ("ideas.attach", "POST"): lambda w, owner: Call(
        f"/ideas/{w.idea().id}/attach", data={"pilot": str(w.pilot.id)}),
    ("ideas.campaigns", "GET"): lambda w, owner: Call("/ideas/campaigns?campaign=2026-01"),
    ("notify.inbox", "GET"): lambda w, owner: Call("/notifications"),
    ("notify.mark_read", "POST"): lambda w, owner: Call(
        f"/notifications/{notification_of(w, owner)}/read"),
    ("notify.mark_all_read", "POST"): lambda w, owner: Call("/notifications/read"),
    ("notify.preferences", "GET"): lambda w, owner: Call("/notifications/preferences"),
    ("notify.preferences", "POST"): lambda w, owner: Call(
        "/notifications/preferences", data=preference_fields()),
    ("notify.watch", "POST"): lambda w, owner: Call(on_pilot(w, "/watch"), data={"back": "pilot"}),
    ("notify.unsubscribe_page", "GET"): lambda w, owner: Call(unsubscribe_link(w, owner)),
    ("notify.unsubscribe", "POST"): lambda w, owner: Call(unsubscribe_link(w, owner), data={}),
    ("notify.webhooks_page", "GET"): lambda w, owner: Call("/admin/webhooks"),
    ("notify.webhooks_page", "POST"): lambda w, owner: Call("/admin/webhooks", data={
        "url": f"http://127.0.0.1:9/hook{w.next()}", "kinds": ["pilot_status"]}),
    ("notify.webhook_page", "GET"): lambda w, owner: Call(f"/admin/webhooks/{webhook_id(w)}"),
    ("notify.remove_webhook", "POST"): lambda w, owner: Call(
        f"/admin/webhooks/{webhook_id(w)}/remove"),
    ("sources.sources", "GET"): lambda w, owner: Call("/admin/sources"),
    ("sources.sources", "POST"): lambda w, owner: Call("/admin/sources", data={
        "name": f"Source {w.next()}", "url": source_url(), "timeout_seconds": "30"}),
    ("sources.source", "GET"): lambda w, owner: Call(f"/admin/sources/{data_source(w).id}"),
    ("sources.source", "POST"): lambda w, owner: Call(
        f"/admin/sources/{data_source(w).id}",
        data={"name": "Access warehouse", "url": source_url(), "timeout_seconds": "20"}),
    ("sources.test_source", "POST"): lambda w, owner: Call(
        f"/admin/sources/{data_source(w).id}/test"),
    ("sources.pilot_sources", "GET"): lambda w, owner: Call(f"/pilots/{w.slug}/sources"),
    ("sources.metric_query", "POST"): lambda w, owner: Call(
        f"/pilots/{w.slug}/metrics/wait/query",
        data={"source_id": str(data_source(w).id),
              "sql": "SELECT 'pilot' AS \"group\", 1.5 AS value"}),
    ("sources.refresh", "POST"): lambda w, owner: Call(f"/pilots/{w.slug}/sources/refresh"),
    ("api_pages.tokens", "GET"): lambda w, owner: Call("/account/tokens"),
    ("api_pages.create_token", "POST"): lambda w, owner: Call(
        "/account/tokens", data={"name": "nightly push"}),
    ("api_pages.revoke_token", "POST"): lambda w, owner: Call(
        f"/account/tokens/{w.token_id(owner)}/revoke"),
    ("api_pages.documentation", "GET"): lambda w, owner: Call("/api/v1/docs"),
    ("api.index", "GET"): lambda w, owner: Call("/api/v1/"),
    ("api.openapi", "GET"): lambda w, owner: Call("/api/v1/openapi.json"),
    ("api.get_me", "GET"): lambda w, owner: Call("/api/v1/me"),
    ("api.list_pilots", "GET"): lambda w, owner: Call("/api/v1/pilots"),
    ("api.create_pilot", "POST"): lambda w, owner: Call("/api/v1/pilots", json={
        "name": f"Pilot {w.next()}", "partner": {"name": "Harbour Dental"}}),
    ("api.get_pilot", "GET"): lambda w, owner: Call(in_api(w)),
    ("api.update_pilot", "PATCH"): lambda w, owner: Call(
        in_api(w), json={"summary": f"Summary {w.next()}"}, headers=if_match(w)),
    ("api.list_metrics", "GET"): lambda w, owner: Call(in_api(w, "/metrics")),
    ("api.create_metric", "POST"): lambda w, owner: Call(in_api(w, "/metrics"), json={
        "key": f"m{w.next()}", "name": "Calls", "kind": "mean", "direction": "increase"}),
    ("api.get_metric", "GET"): lambda w, owner: Call(
        in_api(w, f"/metrics/{w.pilot.metric('wait').id}")),
    ("api.list_hypotheses", "GET"): lambda w, owner: Call(in_api(w, "/hypotheses")),
    ("api.create_hypothesis", "POST"): lambda w, owner: Call(in_api(w, "/hypotheses"), json={
        "statement": "Reminders shorten the wait.", "metric": "wait", "role": "secondary"}),
    ("api.get_hypothesis", "GET"): lambda w, owner: Call(
        in_api(w, f"/hypotheses/{w.hypothesis().id}")),
    ("api.update_hypothesis", "PATCH"): lambda w, owner: Call(
        in_api(w, f"/hypotheses/{w.hypothesis().id}"), headers=if_match(w),
        json={"statement": f"Restated {w.next()}.", "reason": "Clearer wording."}),
    ("api.list_iterations", "GET"): lambda w, owner: Call(in_api(w, "/iterations")),
    ("api.create_iteration", "POST"): lambda w, owner: Call(
        in_api(w, "/iterations"), json={"title": "Next"}),
    ("api.get_iteration", "GET"): lambda w, owner: Call(
        in_api(w, f"/iterations/{w.pilot.iterations[0].id}")),
    ("api.list_suggestions", "GET"): lambda w, owner: Call(in_api(w, "/suggestions")),
    ("api.create_suggestion", "POST"): lambda w, owner: Call(
        in_api(w, "/suggestions"), json={"text": "Call the day before."}),
    ("api.get_suggestion", "GET"): lambda w, owner: Call(
        in_api(w, f"/suggestions/{w.suggestion().id}")),
    ("api.move_suggestion", "POST"): lambda w, owner: Call(
        in_api(w, f"/suggestions/{w.suggestion().id}/moves"), json={"status": "under_review"}),
    ("api.push_observations", "POST"): lambda w, owner: observations_csv(w),
    ("api.refresh_pilot_sources", "POST"): lambda w, owner: Call(in_api(w, "/refresh")),
    ("api.push_summaries", "POST"): lambda w, owner: summaries_csv(w),
    ("api.list_batches", "GET"): lambda w, owner: Call(in_api(w, "/batches")),
    ("api.get_batch", "GET"): lambda w, owner: Call(in_api(w, f"/batches/{w.batch().id}")),
    ("api.get_results", "GET"): lambda w, owner: Call(in_api(w, "/results")),
    ("api.get_returns", "GET"): lambda w, owner: Call(in_api(w, "/returns")),
    ("api.list_returns", "GET"): lambda w, owner: Call("/api/v1/returns"),
    ("api.get_poor_service", "GET"): lambda w, owner: Call("/api/v1/poor-service"),
    ("api.list_indicators", "GET"): lambda w, owner: Call("/api/v1/scorecard/indicators"),
    ("api.get_indicator", "GET"): lambda w, owner: Call(
        f"/api/v1/scorecard/indicators/{indicator(w).key}"),
    ("api.create_indicator", "POST"): lambda w, owner: Call("/api/v1/scorecard/indicators", json={
        "key": f"k{w.next()}", "name": "Calls", "perspective": "internal",
        "direction": "increase"}),
    ("api.push_measurements", "POST"): lambda w, owner: Call(
        "/api/v1/scorecard/measurements",
        json=[{"indicator": indicator(w).key, "period": f"{2000 + w.next()}-04", "value": 3}]),
    ("api.list_links", "GET"): lambda w, owner: Call("/api/v1/scorecard/links"),
    ("api.create_link", "POST"): lambda w, owner: Call("/api/v1/scorecard/links", json={
        "leading": services_key(link_leading(w)), "lagging": indicator(w).key}),
    ("api.get_pilot_indicators", "GET"): lambda w, owner: Call(in_api(w, "/indicators")),
    ("api.put_pilot_indicators", "PUT"): lambda w, owner: Call(
        in_api(w, "/indicators"), json={"indicators": [indicator(w).key]}),
    ("api.list_notifications", "GET"): lambda w, owner: Call("/api/v1/notifications"),
    ("api.mark_notification_read", "POST"): lambda w, owner: Call(
        f"/api/v1/notifications/{notification_of(w, owner)}/read", json={}),
    ("api.mark_all_notifications_read", "POST"): lambda w, owner: Call(
        "/api/v1/notifications/read", json={}),
    ("api.list_watches", "GET"): lambda w, owner: Call("/api/v1/watches"),
    ("api.watch_pilot", "POST"): lambda w, owner: Call(in_api(w, "/watch"), json={}),
    ("api.unwatch_pilot", "DELETE"): lambda w, owner: Call(watched_by(w, owner)),
    ("api.list_ideas", "GET"): lambda w, owner: Call("/api/v1/ideas?status=submitted"),
    ("api.create_idea", "POST"): lambda w, owner: Call("/api/v1/ideas", json={
        "title": f"Idea {w.next()}", "text": "Text the depot's number."}),
    ("api.get_idea", "GET"): lambda w, owner: Call(f"/api/v1/ideas/{w.idea().id}"),
    ("api.get_campaign", "GET"): lambda w, owner: Call("/api/v1/ideas/campaigns/2026-01"),
    ("api.unknown", "GET"): lambda w, owner: Call("/api/v1/nothing/here"),
    ("api.unknown", "POST"): lambda w, owner: Call("/api/v1/nothing/here", json={}),
    ("api.unknown", "PUT"): lambda w, owner: Call(in_api(w), json={}),
    ("api.unknown", "PATCH"): lambda w, owner: Call("/api/v1/nothing/here", json={}),
    ("api.unknown", "DELETE"): lambda w, owner: Call(in_api(w, "/metrics")),
}
# fmt: on


def is_api(endpoint: str) -> bool:
    return endpoint.startswith("api.")


def make_call(w: World, key: tuple[str, str], owner) -> Call:
    db.session.expire_all()
    return REQUESTS[key](w, owner)


def prepare(w: World, key: tuple[str, str], role: str, owner) -> tuple[FlaskClient, Call]:
    """The browser (signed in as ``role``) or API client, and the request of ``key`` it sends.

    ``owner`` is whose object the request addresses, where objects belong to someone.
    """
    endpoint, _ = key
    actor = w.people.get(role)
    call = make_call(w, key, owner)
    if not is_api(endpoint):
        return signed_in(w.app, actor), call
    if actor is not None:
        call.headers["Authorization"] = f"Bearer {w.tokens[role]}"
    return signed_in(w.app, None), call


def deliver(client: FlaskClient, method: str, call: Call, **extra_data):
    if call.json is not None:
        body = {"json": call.json}
    elif isinstance(call.data, dict) or extra_data:
        body = {"data": {**(call.data or {}), **extra_data}}
    else:
        body = {"data": call.data}
    return client.open(
        call.path, method=method, headers=call.headers, content_type=call.content_type, **body
    )

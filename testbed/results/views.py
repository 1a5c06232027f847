"""A pilot's results page and its charts."""

from __future__ import annotations

import math

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from testbed.auth.access import requires
from testbed.fragments import cached_html
from testbed.i18n import figure, language, plural_count, unit_space
from testbed.pilots.models import Pilot
from testbed.pilots.services import pilot_or_404
from testbed.results import charts, decision
from testbed.results.labels import analysis_text, detail_name
from testbed.results.planning_page import plan_for, planning_form
from testbed.results.services import report_for

blueprint = Blueprint("results", __name__)

TINY = 1e-4  # below this a figure on the page reads as zero
# More than a large portfolio's pilots, so that no page pushes out another's.
REPORTS_KEPT = 1024

DESIGNS = {
    "concurrent": _l("pilot against baseline over the same period"),
    "pre_post": _l("the pilot group before against after"),
    "did": _l("difference-in-differences"),
    "its": _l("interrupted time series"),
    "threshold": _l("threshold (hinge) regression"),
}
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini–Hochberg"}  # names, the same in every language
METHODS = {
    "fixed": _l("fixed-sample test"),
    "sequential": _l("sequential test (may be read at any time)"),
    "bayesian": _l("Bayesian"),
}


@blueprint.get("/pilots/<slug>/results")
@requires("pilot.view")
def results(slug: str):
    pilot = pilot_or_404(slug)
    return render_template("results/results.html", pilot=pilot, report_html=report_html(pilot))


def report_html(pilot: Pilot) -> Markup:
    """The page's findings (verdicts, charts, progress), rendered once per pilot version.

    Every change to a pilot or to what belongs to it (observations, hypotheses,
    amendments, iterations) raises its version; the creation time tells apart
    pilots that reuse an id after a database is rebuilt. The viewer's name, the
    tabs they may open and the flashed messages are outside this part, and so
    are the report's returns, which also follow finance's programmes.
    """
    key = (pilot.id, pilot.created_at, pilot.version)
    return cached_html("results", REPORTS_KEPT, key, lambda: _render_report(pilot))


def _render_report(pilot: Pilot) -> str:
    report = report_for(pilot)
    forest, skipped = charts.forest_rows(pilot, report)
    return render_template(
        "results/_report.html",
        pilot=pilot,
        report=report,
        cards=charts.hypothesis_cards(pilot, report),
        guardrails=charts.guardrail_status(report),
        standing=decision.standing(report),
        forest=forest,
        skipped=skipped,
        correction_name=CORRECTIONS.get(report["correction"], report["correction"]),
        series=[charts.metric_series(pilot, metric) for metric in pilot.metrics],
        progress=[charts.progress(pilot, metric) for metric in pilot.metrics],
    )


@blueprint.get("/pilots/<slug>/planning")
@requires("pilot.view")
def planning(slug: str):
    pilot = pilot_or_404(slug)
    form, sent = planning_form(pilot, request.args)
    plan = plan_for(form, sent)
    return render_template("results/planning.html", pilot=pilot, form=form, sent=sent, plan=plan)


@blueprint.get("/pilots/<slug>/charts/<name>.svg")
@requires("pilot.view")
def chart(slug: str, name: str):
    pilot = pilot_or_404(slug)
    try:
        svg = charts.chart_svg(pilot, name)
    except KeyError:
        abort(404)
    response = make_response(svg)
    response.mimetype = "image/svg+xml"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Like every private answer the chart is sent with no-store (testbed/security.py);
    # a client that still asks conditionally for an unchanged version (in the same
    # language: its words are translated) gets a 304.
    response.set_etag(f"{pilot.id}-{pilot.version}-{language()}-{name}")
    return response.make_conditional(request)


@blueprint.context_processor
def formatting():
    return {
        "number": number,
        "amount": amount,
        "level": level,
        "percent": percent,
        "p_text": p_text,
        "p_phrase": p_phrase,
        "span": span,
        "chance": chance,
        "ordinal": ordinal,
        "design_text": DESIGNS.get,
        "method_text": METHODS.get,
        "series_name": charts.series_name,
        "analysis_text": analysis_text,
        "detail_name": detail_name,
    }


def number(value: float | None, digits: int = 3, signed: bool = False) -> str:
    """About ``digits`` significant digits, thousands separated, never in e-notation."""
    return figure(english_number(value, digits, signed))


def english_number(value: float | None, digits: int = 3, signed: bool = False) -> str:
    """``number`` written the English way, for a figure that is localised as a whole."""
    if value is None or not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    if 0 < magnitude < TINY:
        return "≈ 0"
    decimals = 0 if magnitude == 0 else max(digits - 1 - math.floor(math.log10(magnitude)), 0)
    text = f"{value:{'+' if signed else ''},.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("+-")
    return text.replace("-", "−")


def amount(value: float | None, metric, signed: bool = True) -> str:
    """A change in the metric's unit; a proportion's in percentage points."""
    if value is None:
        return "–"
    if metric.kind == "proportion":
        change = english_number(100 * value, 2, signed)
        return ngettext(
            "%(change)s point", "%(change)s points", plural_count(change), change=figure(change)
        )
    unit = f"{unit_space()}{metric.unit}" if metric.unit else ""
    return f"{number(value, 3, signed)}{unit}"


def span(low: float | None, high: float | None, metric) -> str:
    """An interval with its unit once: "−5.4 to −3.1 points"."""
    if low is None or high is None:
        return "–"
    if metric.kind == "proportion":
        low, high = english_number(100 * low, 2, True), english_number(100 * high, 2, True)
        return ngettext(
            "%(low)s to %(high)s point",
            "%(low)s to %(high)s points",
            plural_count(high),
            low=figure(low),
            high=figure(high),
        )
    unit = f"{unit_space()}{metric.unit}" if metric.unit else ""
    return (
        gettext("%(low)s to %(high)s", low=number(low, 3, True), high=number(high, 3, True)) + unit
    )


def level(value: float | None, metric) -> str:
    """A level (not a change): a proportion as a percentage."""
    if value is None:
        return "–"
    if metric.kind == "proportion":
        return figure(f"{english_number(100 * value, 3)}%")
    return number(value, 4)


def percent(value: float | None, signed: bool = True) -> str:
    return "–" if value is None else figure(f"{english_number(100 * value, 2, signed)}%")


def p_text(value: float | None) -> str:
    if value is None:
        return "–"
    return figure("< 0.001" if value < 0.001 else f"{value:.2g}")


def p_phrase(value: float | None) -> str:
    """ "p = 0.51" or "p < 0.001", for use in a sentence."""
    text = p_text(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def chance(value: float | None) -> str:
    """A probability as a percentage, without rounding a near-certainty up to 100%."""
    if value is None:
        return "–"
    if value > 0.999:
        return figure("> 99.9%")
    if value < 0.001:
        return figure("< 0.1%")
    return figure(f"{100 * value:.1f}%")


def ordinal(whole: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ...; in French 1er, 2e, 3e, ..."""
    if language() == "fr":
        return f"{whole}er" if whole == 1 else f"{whole}e"
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix}"

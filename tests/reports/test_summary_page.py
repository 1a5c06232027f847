"""The one-page summary as a page: its content, its links, and the print stylesheet."""

from __future__ import annotations

import re
from html import unescape

from testbed.results.decision import RECOMMENDATIONS
from testbed.results.services import report_for


def test_every_demo_pilot_has_a_summary_with_its_decision_and_hypotheses(
    demo_pilots, client, login
):
    login("department_head")
    for pilot in demo_pilots:
        page = client.get(f"/pilots/{pilot.slug}/summary")
        assert page.status_code == 200, pilot.slug
        html = unescape(page.get_data(as_text=True))
        report = report_for(pilot)
        decision = report["decision"]
        assert f'data-decision="{decision["recommendation"]}"' in html
        assert str(RECOMMENDATIONS[decision["recommendation"]][0]) in html
        assert decision["rule"] in html
        for result in report["results"]:
            if result["role"] in ("primary", "guardrail"):
                assert f'data-hypothesis="{result["hypothesis"]}"' in html, result["hypothesis"]
        secondary = [r["hypothesis"] for r in report["results"] if r["role"] == "secondary"]
        for key in secondary:
            assert f'<span class="key">{key}</span>' in html
        assert f"/pilots/{pilot.slug}/charts/forest.svg" in html
        assert "Returns against the company's programmes" in html
        for name in ("summary.pdf", "results.xlsx"):
            assert f'href="/pilots/{pilot.slug}/{name}"' in html
        assert "data-print" in html


def test_the_results_and_finance_pages_offer_the_reports(demo_pilots, client, login):
    login("finance")
    pilot = demo_pilots[0]
    for page in (f"/pilots/{pilot.slug}/results", f"/pilots/{pilot.slug}/finance"):
        html = client.get(page).get_data(as_text=True)
        for address in ("summary", "summary.pdf", "results.xlsx"):
            assert f'href="/pilots/{pilot.slug}/{address}"' in html, (page, address)
    assert 'href="/finance/portfolio.xlsx"' in client.get("/finance").get_data(as_text=True)


def test_the_print_stylesheet_sets_a4_and_hides_the_navigation(client):
    response = client.get("/static/css/reports.css")
    css = response.get_data(as_text=True)
    response.close()
    page = re.search(r"@page\s*\{([^}]*)\}", css)
    assert page and re.search(r"size:\s*A4\b", page.group(1))
    prints = re.findall(r"@media print\s*\{(.*?)\n\}", css, re.S)
    assert prints, "no print rules"
    hidden = next(
        rule for rule in re.findall(r"([^{}]+)\{([^}]*)\}", prints[0]) if "display: none" in rule[1]
    )
    selectors = {s.strip() for s in hidden[0].split(",")}
    assert {"header.site", ".tabs", ".report-actions"} <= selectors


def test_the_print_button_is_wired_by_a_script_of_the_app_itself(client, demo_pilots, login):
    # The page allows no inline script: the button works through a static file.
    login("innovation")
    html = client.get(f"/pilots/{demo_pilots[0].slug}/summary").get_data(as_text=True)
    assert '<script src="/static/js/print.js"' in html
    script = client.get("/static/js/print.js")
    assert script.status_code == 200
    assert "window.print()" in script.get_data(as_text=True)
    script.close()

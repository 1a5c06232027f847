"""The summary as PDF: one A4 page for every demo pilot, the numbers of the results and finance
pages, and nothing fetched from anywhere but the application."""

from __future__ import annotations

import io
import re
import threading
from html import unescape
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from flask import render_template
from pypdf import PdfReader
from sqlalchemy import select
from weasyprint import HTML

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.reports import pdf
from testbed.reports.formats import report_formats
from testbed.reports.summary import pilot_summary
from testbed.results.services import report_for
from tests.conftest import MINIMAL_TOML
from tests.reports.conftest import largest

A4 = (595.28, 841.89)  # points: 210 × 297 mm


def read_pdf(response) -> PdfReader:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def squeezed(text: str) -> str:
    """Text without any whitespace: a PDF breaks lines inside table cells where it must."""
    return re.sub(r"\s+", "", unescape(text))


def pdf_text(client, pilot) -> str:
    reader = read_pdf(client.get(f"/pilots/{pilot.slug}/summary.pdf"))
    return squeezed(reader.pages[0].extract_text())


def card(html: str, key: str) -> str:
    start = html.rindex("<article", 0, html.index(f'id="hypothesis-{key}"'))
    return html[start : html.index("</article>", start)]


def shown_on_results_page(card_html: str) -> list[str]:
    """The change, its interval, the relative change and the p-value as the card shows them."""
    shown = []
    change = re.search(
        r"<dt>(?:Change|Difference-in-differences|Level change at the start)</dt>\s*"
        r"<dd>(.*?) <span class=\"interval\">\(\d+% interval (.*?)\)</span>",
        card_html,
        re.S,
    )
    if change:
        shown += [change.group(1), change.group(2)]
    relative = re.search(
        r"<dt>Relative change</dt>\s*<dd>(.*?) <span class=\"interval\">\((.*?) to (.*?)\)</span>",
        card_html,
        re.S,
    )
    if relative:
        shown += list(relative.groups())
    p_value = re.search(r"<dt>p \(adjusted\)</dt>\s*<dd>(.*?)\s*<span", card_html, re.S)
    if p_value:
        shown.append(p_value.group(1))
    return [unescape(text.strip()) for text in shown]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_demo_pilot_fits_one_a4_page(demo_pilots, client, login, language):
    # French runs about a fifth longer than English: the page must hold it too.
    login("finance")
    for pilot in demo_pilots:
        answer = client.get(
            f"/pilots/{pilot.slug}/summary.pdf", headers={"Accept-Language": language}
        )
        assert answer.headers["Content-Language"] == language
        reader = read_pdf(answer)
        assert len(reader.pages) == 1, pilot.slug
        box = reader.pages[0].mediabox
        assert float(box.width) == pytest.approx(A4[0], abs=1), pilot.slug
        assert float(box.height) == pytest.approx(A4[1], abs=1), pilot.slug


def drawn_at(pilot: Pilot, density: str):
    """The summary laid out at one density, and the fetcher it used."""
    content = pilot_summary(pilot, with_returns=True)
    html = render_template(
        "reports/document.html", density=density, fmt=report_formats(), **content
    )
    fetcher = pdf.report_fetcher(pdf.resources(pilot, bool(content["forest"])))
    return HTML(string=html, base_url=pdf.ORIGIN + "/", url_fetcher=fetcher).render(), fetcher


def test_the_largest_demo_pilot_fits_at_the_normal_density(demo_pilots, app):
    # The denser steps are for pilots larger than the demo: the demo itself needs none.
    with app.test_request_context():
        document, fetcher = drawn_at(largest(demo_pilots), "normal")
    assert len(document.pages) == 1
    assert fetcher.refused == []


def test_the_pdf_shows_the_numbers_of_the_results_page(demo_pilots, client, login):
    login("finance")
    compared = 0
    for pilot in demo_pilots:
        text = pdf_text(client, pilot)
        results = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
        report = report_for(pilot)
        assert squeezed(report["decision"]["rule"]) in text, pilot.slug
        for result in report["results"]:
            if result["role"] not in ("primary", "guardrail"):
                continue
            shown = shown_on_results_page(card(results, result["hypothesis"]))
            if result["role"] == "guardrail":
                shown = shown[:2]  # the summary shows a guardrail's change and interval
            for figure in shown:
                assert squeezed(figure) in text, (pilot.slug, result["hypothesis"], figure)
                compared += 1
    assert compared >= 15  # every demo pilot has a primary hypothesis with figures


def test_the_pdf_shows_the_returns_of_the_finance_page(demo_pilots, client, login):
    login("finance")
    compared = 0
    for pilot in demo_pilots:
        page = client.get(f"/pilots/{pilot.slug}/finance").get_data(as_text=True)
        headline = re.findall(
            r'<span class="label">(ROI|NPV)</span>\s*<span class="value">(.*?)</span>\s*'
            r'<span class="range">(.*?)</span>',
            page,
            re.S,
        )
        if not headline:
            continue
        text = pdf_text(client, pilot)
        for _label, value, interval in headline:
            assert squeezed(value) in text, (pilot.slug, value)
            assert squeezed(interval) in text, (pilot.slug, interval)
            compared += 1
    assert compared >= 6


class Recorder(BaseHTTPRequestHandler):
    """A loopback server that notes every request it gets."""

    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        Recorder.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback():
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_fetcher_serves_its_resources_and_refuses_every_other_address(loopback):
    served = pdf.report_fetcher({pdf.ORIGIN + "/static/a.css": (b"p {}", "text/css")})
    answer = served.fetch(pdf.ORIGIN + "/static/a.css")
    assert answer.read() == b"p {}" and answer.content_type == "text/css"
    for address in (
        f"{loopback}/style.css",
        "file:///etc/passwd",
        pdf.ORIGIN + "/static/other.css",
        "data:text/css,p{}",
    ):
        with pytest.raises(ValueError, match="fetches only its own"):
            served.fetch(address)
    assert served.refused[-1] == "data:text/css,p{}"
    assert Recorder.seen == []


def test_a_page_linking_elsewhere_fetches_nothing_and_says_so(loopback, app):
    from weasyprint import HTML

    fetcher = pdf.report_fetcher({})
    page = f'<link rel="stylesheet" href="{loopback}/x.css"><img src="{loopback}/x.png"><p>x</p>'
    HTML(string=page, base_url=pdf.ORIGIN + "/", url_fetcher=fetcher).render()
    assert Recorder.seen == []
    assert sorted(fetcher.refused) == [f"{loopback}/x.css", f"{loopback}/x.png"]


def many_hypotheses(count: int) -> str:
    """MINIMAL_TOML's pilot with ``count`` more primary hypotheses, each a long statement."""
    statement = "Reminders sent the day before lower the failure-to-attend rate " * 2
    return "".join(
        f"""
    [[hypotheses]]
    key = "P{n}"
    statement = "{statement.strip()} ({n})."
    metric = "{"fta" if n % 2 else "wait"}"
    role = "primary"
    """
        for n in range(count)
    )


def test_a_pilot_without_results_or_finance_still_gets_its_page(loaded_pilot, client, login):
    # No financial case, no forest plot (too few observations for intervals on every line).
    login("finance")
    reader = read_pdf(client.get(f"/pilots/{loaded_pilot.slug}/summary.pdf"))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "No financial case yet" in text
    assert loaded_pilot.name in text


def test_a_pilot_larger_than_the_demo_is_set_denser_to_keep_one_page(app, write_pilot):
    load_path(write_pilot(pilot__toml=MINIMAL_TOML + many_hypotheses(9)))
    db.session.commit()
    pilot = db.session.scalar(select(Pilot))
    with app.test_request_context():
        normal, _ = drawn_at(pilot, "normal")
        document, pages = pdf.summary_pdf(pilot, with_returns=True)
    assert len(normal.pages) > 1  # too much for one page at the normal size
    assert pages == 1 == len(PdfReader(io.BytesIO(document)).pages)

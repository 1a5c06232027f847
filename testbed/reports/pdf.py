"""A pilot's summary as a one-page A4 PDF, drawn on the server by WeasyPrint without the network.

WeasyPrint fetches what the page links to (stylesheets, the forest plot). The
fetcher here serves exactly those from the application itself, prepared before
the drawing starts, and refuses every other address: a report never reaches
out, whatever its text says.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template, url_for

from testbed.pilots.models import Pilot
from testbed.reports.formats import report_formats
from testbed.reports.summary import pilot_summary
from testbed.results import charts

# An origin that cannot resolve (RFC 6761): the page's own addresses are made absolute on
# it, and only the fetcher below answers for it.
ORIGIN = "https://report.invalid"
STYLESHEETS = ("css/base.css", "css/reports.css")
# Tried in order until the summary fits one page; the last is kept if none does.
DENSITIES = ("normal", "compact", "dense")


def report_fetcher(resources: dict[str, tuple[bytes, str]]):
    """A WeasyPrint fetcher that serves ``resources`` by address and refuses everything else.

    WeasyPrint is imported here, not with the application: it loads Pango
    and HarfBuzz, which only the PDF needs.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ReportFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.resources = resources
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            found = self.resources.get(url)
            if found is None:
                self.refused.append(url)
                raise ValueError(f"a report fetches only its own stylesheets and chart: {url}")
            body, mimetype = found
            return URLFetcherResponse(url, body, {"Content-Type": mimetype})

    return ReportFetcher()


def summary_pdf(pilot: Pilot, with_returns: bool) -> tuple[bytes, int]:
    """The summary as PDF bytes, and how many pages it took (one for every demo pilot)."""
    from weasyprint import HTML

    content = pilot_summary(pilot, with_returns)
    fetcher = report_fetcher(resources(pilot, bool(content["forest"])))
    for density in DENSITIES:
        html = render_template(
            "reports/document.html", density=density, fmt=report_formats(), **content
        )
        document = HTML(string=html, base_url=ORIGIN + "/", url_fetcher=fetcher).render()
        if len(document.pages) == 1:
            break
    if fetcher.refused:
        raise RuntimeError(f"the summary asked for addresses it may not fetch: {fetcher.refused}")
    return document.write_pdf(), len(document.pages)


def resources(pilot: Pilot, with_forest: bool) -> dict[str, tuple[bytes, str]]:
    """Every address the summary links to, by absolute address, with its bytes and type."""
    static = Path(current_app.static_folder)
    found = {
        ORIGIN + url_for("static", filename=name): ((static / name).read_bytes(), "text/css")
        for name in STYLESHEETS
    }
    if with_forest:
        address = url_for("results.chart", slug=pilot.slug, name="forest", v=pilot.version)
        found[ORIGIN + address] = (charts.chart_svg(pilot, "forest"), "image/svg+xml")
    return found

"""The one-page summary in a real browser: its Print button, and its print layout on one A4 page."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.results import services as results_services


@pytest.fixture
def demo(app, tmp_path, monkeypatch) -> list[str]:
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(results_services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})
    load_path(PROJECT_ROOT / "experiments")
    create_user("finance@example.org", "finance", "a long password", name="Finance")
    db.session.commit()
    return list(db.session.scalars(select(Pilot.slug).order_by(Pilot.slug)))


def test_every_summary_prints_on_one_a4_page_without_the_navigation(
    page, sign_in, demo, screenshot
):
    page.set_default_timeout(180_000)  # the portfolio after sign-in analyses every demo pilot
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in("finance@example.org")
    for slug in demo:
        page.emulate_media(media="screen")
        page.goto(f"/pilots/{slug}/summary")
        assert page.locator("header.site").is_visible()
        if slug == "vmi-community-hospital":
            screenshot("summary")
        page.emulate_media(media="print")
        assert page.locator("header.site").is_hidden()
        assert page.locator(".report-actions").is_hidden()
        assert page.locator("figure.forest img").evaluate("image => image.naturalWidth") > 0
        printed = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
        assert len(printed.pages) == 1, slug
        box = printed.pages[0].mediabox
        assert float(box.width) == pytest.approx(595.28, abs=1), slug
        assert float(box.height) == pytest.approx(841.89, abs=1), slug
    assert errors == []  # no refused script or style on the way


def test_the_print_button_opens_the_browsers_print_dialog(page, sign_in, demo):
    page.set_default_timeout(180_000)
    sign_in("finance@example.org")
    page.goto(f"/pilots/{demo[0]}/summary")
    page.evaluate("window.print = () => { window.printAsked = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printAsked") is True

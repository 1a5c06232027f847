"""One flow in French in a real browser: a French Chromium signs in, reads a pilot's returns
with French figures, and switches to English with the footer.

The French words are read from the compiled catalogue rather than repeated here, so the test
follows the translation while still proving the page is the translated one.
"""

from __future__ import annotations

import os
import re

import pytest
from babel.messages.mofile import read_mo
from playwright.sync_api import expect

from testbed import PROJECT_ROOT
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.translations.catalogue import COMPILED
from tests.browser.conftest import SCREENSHOTS

PILOT = "vmi-community-hospital"
# A figure written the English way: "1,234", "0.5", "12.5%".
ENGLISH_FIGURE = re.compile(r"\d,\d{3}|\d\.\d")
FRENCH_FIGURE = re.compile(r"\d\u202f\d{3}|\d,\d")


def fr(english: str) -> str:
    with open(COMPILED, "rb") as stream:
        return read_mo(stream).get(english).string


def figures(text: str, separators: str) -> list[str]:
    return re.findall(rf"[−+]?\d[\d{separators}]*\d|[−+]?\d", text)


def as_french(english: str) -> str:
    """An English figure as the French page must write it."""
    return english.replace(",", "\u202f").replace(".", ",")


@pytest.fixture
def demo(app):
    load_path(PROJECT_ROOT / "experiments" / PILOT)
    create_user("fiona@example.org", "finance", "a long password", name="Fiona")
    db.session.commit()


@pytest.fixture
def french_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def figures_shown(page) -> list[str]:
    return page.locator("main table td.num").all_inner_texts()


@pytest.mark.usefixtures("demo")
def test_a_french_browser_reads_returns_in_french_and_switches_to_english(french_page, screenshot):
    page = french_page
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator("input[name=email]").fill("fiona@example.org")
    page.locator("input[name=password]").fill("a long password")
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("link", name=fr("Portfolio"), exact=True)).to_be_visible()

    page.goto(f"/pilots/{PILOT}/finance")
    expect(page.get_by_role("button", name=fr("Sign out"))).to_be_visible()
    french = figures_shown(page)
    assert any(FRENCH_FIGURE.search(text) for text in french)
    assert not any(ENGLISH_FIGURE.search(text) for text in french)
    if os.environ.get("TESTBED_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / "finance-fr.png"), full_page=True)

    # The footer's switch: the same page in English, the same figures written the English way.
    page.locator("footer.site").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    english = figures_shown(page)
    assert any(ENGLISH_FIGURE.search(text) for text in english)
    shown_in_english = [as_french(f) for text in english for f in figures(text, ",.")]
    assert shown_in_english == [f for text in french for f in figures(text, "\u202f,")]
    # The choice is kept on the account: it outlives the French browser's header.
    page.goto("/finance")
    expect(page.locator("html")).to_have_attribute("lang", "en")

"""`testbed demo` browsed with a French browser: every main page, for every demo account, is in
French, with no English word left over from the code.

What counts as English: the words of the catalogue's English strings that none of its French
translations uses ("pilot", "sign", "results"; not "Finance", "ROI" or "API", which French
shares), and English's common words ("the", "with", "each"), which catch a string nobody
marked for translation. What the pages show of the demo's data (pilot and metric names,
people, suggestions) is the data's own language and is taken out first: only what the code
writes must be French.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import Enum, String, Text, select

from testbed.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from testbed.extensions import db
from testbed.translations.catalogue import CATALOGUE

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-zÀ-ÿ]+)?")
# Attributes whose text people read or hear.
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
LONE_WORD = re.compile(r"[a-z_]+")
# English's common words, which French never uses: they catch a string nobody marked even
# when none of its words is in the catalogue.
COMMON_ENGLISH = set(
    [
        "the",
        "and",
        "of",
        "to",
        "with",
        "for",
        "from",
        "this",
        "that",
        "these",
        "is",
        "are",
        "by",
        "not",
        "yet",
        "each",
        "every",
        "than",
        "all",
        "new",
        "has",
        "have",
        "was",
        "were",
        "will",
        "be",
        "can",
        "may",
        "must",
        "at",
        "it",
        "its",
        "which",
        "who",
        "what",
        "when",
        "where",
        "why",
        "how",
        "should",
        "would",
        "could",
        "only",
        "also",
        "your",
        "you",
        "our",
        "we",
        "they",
        "their",
        "there",
        "here",
        "been",
        "into",
        "over",
        "under",
        "after",
        "before",
        "about",
        "more",
        "less",
        "most",
        "least",
        "one",
        "two",
        "three",
        "first",
        "last",
        "any",
        "some",
        "other",
        "such",
        "then",
        "them",
        "those",
        "do",
        "does",
        "done",
        "did",
        "see",
        "show",
        "edit",
        "save",
        "add",
        "delete",
        "remove",
        "back",
        "next",
        "previous",
        "view",
        "open",
        "close",
        "yes",
    ]
)


class VisibleText(HTMLParser):
    """The text a reader meets: text nodes outside scripts and styles, and read attributes."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (name == "value" and tag == "button")):
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.chunks.append(data.strip())


def english_words() -> set[str]:
    with open(CATALOGUE, "rb") as stream:
        catalogue = read_po(stream)
    english, french = set(), set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        english.update(w.lower() for text in ids for w in WORD.findall(strip_placeholders(text)))
        french.update(w.lower() for text in strings for w in WORD.findall(strip_placeholders(text)))
    return {w for w in english - french if len(w) > 2} | COMMON_ENGLISH


def strip_placeholders(text: str) -> str:
    return re.sub(r"%\(\w+\)[sdf]|<[^>]+>", " ", text)


def data_texts() -> list[re.Pattern]:
    """Every text the database holds, longest first (so a name is removed before its parts)."""
    texts = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            # Not the lists of values (statuses, roles, kinds): the pages must name those in French.
            if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                values = {v for v in db.session.scalars(select(column).distinct()) if v}
                # Nor a lone lower-case word ("indicator", "running") but in a unit: such
                # values name things the code writes, and removing them would hide its words.
                if column.name != "unit":
                    values = {v for v in values if not LONE_WORD.fullmatch(v)}
                texts.update(v for v in values if len(v) > 1)
    ordered = sorted(texts, key=len, reverse=True)
    return [re.compile(rf"(?<!\w){re.escape(text)}(?!\w)") for text in ordered]


def main_pages() -> list[str]:
    """The main pages translated so far, whole: the scorecard's, and finance's programmes and
    cost of poor service. The pages that show a pilot's header, its decision, a verdict or the
    administration's tabs (the pilot, results, pilot finance, sources, suggestion, idea,
    notification, account and administration pages) join as those parts are translated.
    """
    return [
        "/finance/programmes",
        "/finance/poor-service",
        "/scorecard",
        "/scorecard/map",
        "/scorecard/progress",
    ]


def leftovers(html: str, data: list[re.Pattern], english: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for chunk in parser.chunks:
        for text in data:
            chunk = text.sub(" ", chunk)
        words = [w for w in WORD.findall(chunk) if w.lower() in english]
        if words:
            found.append(f"{' '.join(words)!r} in {chunk.strip()[:80]!r}")
    return found


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("demo")
def test_the_demo_in_a_french_browser_shows_no_english_on_its_main_pages(app):
    english, data, pages = english_words(), data_texts(), main_pages()
    assert {"pilot", "baseline", "sign"} <= english  # the check can see English
    seen, found = 0, {}
    for email, _role, _name, _department in DEMO_ACCOUNTS:
        # Each person's requests in an application context of their own, as on a server:
        # the fixture's would keep the first person signed in for everyone.
        with app.app_context():
            client = app.test_client()
            client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
            for page in pages:
                response = client.get(page, headers=FRENCH)
                if response.status_code != 200:
                    assert response.status_code == 403, (email, page, response.status_code)
                    continue
                seen += 1
                assert response.headers["Content-Language"] == "fr"
                for line in leftovers(response.get_data(as_text=True), data, english):
                    found.setdefault(line, f"{page} ({email})")
    assert seen > 10
    assert not found, "\n".join(f"{where}: {line}" for line, where in found.items())


@pytest.mark.usefixtures("demo")
def test_the_check_sees_english_the_code_writes(app):
    english, data = english_words(), data_texts()
    page = "<main><h1>Pilote</h1><p>Sign out</p><button title='Download results'>x</button></main>"
    assert len(leftovers(page, data, english)) == 2

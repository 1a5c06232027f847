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

from testbed.auth.models import Department, User
from testbed.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from testbed.extensions import db
from testbed.finance.models import PoorServiceLine, Programme
from testbed.ideas.models import Idea
from testbed.notify.models import Webhook
from testbed.pilots.models import Pilot
from testbed.scorecard.models import Indicator
from testbed.sources.models import DataSource
from testbed.suggestions.models import Suggestion
from testbed.translations.catalogue import CATALOGUE

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-zÀ-ÿ]+)?")
# Attributes whose text people read or hear.
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
LONE_WORD = re.compile(r"[a-z_]+")
HIDDEN = ("script", "style", "code", "pre")
DOUBLY_ESCAPED = re.compile(r"\w*&amp;(?:#\d+|#x[0-9a-f]+|quot|lt|gt|amp);\w*")
# The columns whose lone lower-case words are people's data (a segment, a key, a unit), not
# a value the code chooses and the pages must name in French (a status, a design, a kind).
DATA_WORDS = {"segment", "key", "indicator_key", "unit", "actor"}
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
    """The text a reader meets: text nodes outside scripts and styles, and read attributes.

    Not what is in ``<code>`` or ``<pre>``: keys, paths, headers and file examples, which
    machines read in one language whatever the reader's (``intent_to_leave``, ``/pilots/``).
    """

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (name == "value" and tag == "button")):
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in HIDDEN:
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


def data_texts() -> list[tuple[str, re.Pattern]]:
    """Every text the database holds, longest first (so a name is removed before its parts)."""
    texts = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            # Not the lists of values (statuses, roles, kinds): the pages must name those in French.
            if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                values = {v for v in db.session.scalars(select(column).distinct()) if v}
                # Nor a lone lower-case word ("indicator", "running") but in people's data:
                # such values name things the code writes, and removing them would hide its words.
                if column.name not in DATA_WORDS:
                    values = {v for v in values if not LONE_WORD.fullmatch(v)}
                texts.update(v for v in values if len(v) > 1)
    ordered = sorted(texts, key=len, reverse=True)
    return [(text, re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")) for text in ordered]


def main_pages() -> list[str]:
    """Every page a person opens from the header, a pilot's tabs or a list, with the demo's
    objects: each pilot's pages, and one of every other thing (the forms look alike).

    Not walked: the API reference (/api/v1/docs), whose endpoints, objects and fields are
    described by the OpenAPI document, in English like the API; downloads; the unsubscribe
    page, which needs a token from an e-mail.
    """
    pilots = db.session.scalars(select(Pilot).order_by(Pilot.id)).all()
    first = pilots[0].slug
    pages = ["/", "/pilots/new", "/finance", "/finance/programmes", "/finance/poor-service"]
    pages += ["/scorecard", "/scorecard/map", "/scorecard/progress", "/scorecard/indicators/new"]
    pages += ["/ideas", "/ideas/campaigns", "/departments", "/notifications"]
    pages += ["/notifications/preferences", "/account/password", "/account/tokens"]
    pages += ["/admin/users", "/admin/departments", "/admin/webhooks", "/admin/sources"]
    for pilot in pilots:
        pages += [f"/pilots/{pilot.slug}{tab}" for tab in ("", "/results", "/finance", "/summary")]
    for tab in ("/planning", "/activity", "/suggestions", "/sources", "/indicators", "/edit"):
        pages.append(f"/pilots/{first}{tab}")
    for form in ("/hypotheses/new", "/iterations/new", "/observations/upload"):
        pages.append(f"/pilots/{first}{form}")
    for form in ("/plan", "/costs/new", "/benefits/new", "/claims/new"):
        pages.append(f"/pilots/{first}/finance{form}")
    pages += [f"/pilots/{first}/hypotheses/{h.key}/edit" for h in pilots[0].hypotheses[:1]]
    pages += one("/suggestions/{}", Suggestion.id)
    pages += one("/ideas/{}", Idea.id)
    pages += one("/departments/{}", Department.id) + one("/admin/departments/{}", Department.id)
    pages += one("/admin/users/{}", User.id) + one("/admin/sources/{}", DataSource.id)
    pages += one("/admin/webhooks/{}", Webhook.id) + one("/scorecard/indicators/{}", Indicator.key)
    pages += one("/scorecard/indicators/{}/edit", Indicator.key)
    pages += one("/finance/programmes/{}", Programme.id)
    pages += one("/finance/poor-service/{}", PoorServiceLine.id)
    return pages


def one(address: str, column) -> list[str]:
    """The address of the demo's first such thing, if it has one."""
    value = db.session.scalar(select(column).order_by(column).limit(1))
    return [] if value is None else [address.format(value)]


def leftovers(html: str, data: list[re.Pattern], english: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    # A translation escaped twice shows its apostrophes as "&#39;".
    found = [f"escaped twice: {m!r}" for m in DOUBLY_ESCAPED.findall(html)]
    for chunk in parser.chunks:
        for _text, pattern in data:
            chunk = pattern.sub(" ", chunk)
        for text, _pattern in data if "…" in chunk else ():
            chunk = without_shortened(chunk, text)
        words = [w for w in WORD.findall(chunk) if w.lower() in english]
        if words:
            found.append(f"{' '.join(words)!r} in {chunk.strip()[:80]!r}")
    return found


def without_shortened(chunk: str, text: str) -> str:
    """The chunk without ``text`` cut short to fit ("Turnover among top perfor…")."""
    for end in range(len(text) - 1, 9, -1):
        shortened = text[:end].rstrip() + "…"
        if shortened in chunk:
            return chunk.replace(shortened, " ")
    return chunk


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
    # And what a person meets before signing in: the sign-in page, and an address that is not.
    with app.app_context():
        client = app.test_client()
        for page, status in (("/login", 200), ("/no-such-page", 404)):
            response = client.get(page, headers=FRENCH)
            assert response.status_code == status, page
            for line in leftovers(response.get_data(as_text=True), data, english):
                found.setdefault(line, f"{page} (signed out)")
    assert seen > 100
    assert not found, "\n".join(f"{where}: {line}" for line, where in found.items())


@pytest.mark.usefixtures("demo")
def test_the_check_sees_english_the_code_writes(app):
    english, data = english_words(), data_texts()
    page = "<main><h1>Pilote</h1><p>Sign out</p><button title='Download results'>x</button></main>"
    assert len(leftovers(page, data, english)) == 2
    assert leftovers("<p>Pas d&amp;#39;éléments</p>", data, english) == [
        "escaped twice: 'd&amp;#39;éléments'"
    ]

"""What the code asks to translate, and what the French catalogue lacks of it.

Used by the catalogue test (tests/test_translations.py) and from the command line
(``python -m testbed.translations.catalogue``): extraction reads the same files with the
same keywords and options as ``pybabel extract -F babel.cfg``, so the check and the
maintainers' tool never disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path(__file__).resolve().parent / "fr" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOGUE.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("testbed/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"newstyle_gettext": "true"}}  # as babel.cfg says
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]|%[sdf]")


def extracted(root: Path = ROOT) -> dict[str, list[str]]:
    """msgid (for a plural, the singular) → where the code uses it, as "file:line"."""
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(root), METHODS, options_map=OPTIONS, keywords=KEYWORDS, comment_tags=()
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{line}")
    return found


def problems(catalogue_path: Path = CATALOGUE, wanted: dict | None = None) -> list[str]:
    """One line per string the French catalogue lacks, leaves fuzzy or translates wrongly."""
    uses = extracted() if wanted is None else wanted
    with open(catalogue_path, "rb") as stream:
        catalogue = read_po(stream)
    found = []
    for msgid, where in sorted(uses.items()):
        entry = catalogue.get(msgid)
        place = f" ({where[0]})" if where else ""
        if entry is None:
            found.append(f"missing: {msgid!r}{place}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {msgid!r}{place}")
        else:
            found.extend(f"{kind}: {msgid!r}{place}" for kind in translation_faults(entry))
    return found


def translation_faults(entry) -> list[str]:
    sources = entry.id if isinstance(entry.id, tuple) else (entry.id,)
    targets = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    if not all(targets):
        return ["untranslated"]
    # A placeholder the English lacks would fail at run time; one left out loses a figure
    # (except in a plural's singular, which may say "one" rather than "1").
    expected = set(PLACEHOLDER.findall(sources[-1]))
    written = [set(PLACEHOLDER.findall(target)) for target in targets]
    if any(names - expected for names in written) or written[-1] != expected:
        return ["placeholders differ"]
    if len(targets) == 1 and written[0] != set(PLACEHOLDER.findall(sources[0])):
        return ["placeholders differ"]
    return []


def main(argv: list[str] | None = None) -> int:
    """``python -m testbed.translations.catalogue [CATALOGUE [PATH ...]]``: the problems of a
    catalogue (the French one by default) for the strings used under the given paths."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else CATALOGUE
    prefixes = tuple(args[1:])
    wanted = {m: w for m, w in extracted().items() if any(p.startswith(prefixes) for p in w)}
    found = problems(path, wanted if prefixes else None)
    print("\n".join(found) or "complete")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The French catalogue against the code: every string the code marks is translated, with the
same placeholders, nothing is left that the code no longer uses, and the compiled catalogue the
app reads is the one made from the sources."""

from __future__ import annotations

import io

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from testbed.translations.catalogue import CATALOGUE, COMPILED, extracted, problems


def french():
    with open(CATALOGUE, "rb") as stream:
        return read_po(stream)


def test_every_string_the_code_marks_has_its_french_translation():
    # On failure: pybabel extract/update (docs/i18n.md), translate, compile.
    assert problems() == []


def test_the_catalogue_holds_no_string_the_code_no_longer_uses():
    used = set(extracted())
    stale = [m.id for m in french() if m.id and (m.id[0] if m.pluralizable else m.id) not in used]
    assert stale == []


def test_the_compiled_catalogue_is_the_one_made_from_the_sources():
    made = io.BytesIO()
    write_mo(made, french())
    assert COMPILED.read_bytes() == made.getvalue(), "run: pybabel compile -d testbed/translations"


def test_the_check_finds_a_string_without_its_translation(tmp_path):
    # The check itself can fail: a catalogue lacking one string, and one translating a
    # placeholder away, are both reported with the place the string is used.
    partial = tmp_path / "messages.po"
    partial.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Portfolio"\nmsgstr "Portefeuille"\n\n'
        'msgid "%(num)d unread"\nmsgid_plural "%(num)d unread"\n'
        'msgstr[0] "non lu"\nmsgstr[1] "non lus"\n',
        encoding="utf-8",
    )
    wanted = {m: w for m, w in extracted().items() if any("base.html" in p for p in w)}
    found = problems(partial, wanted)
    assert "missing: 'Finance' (templates/base.html:" in "\n".join(found)
    assert any(line.startswith("placeholders differ: '%(num)d unread'") for line in found)
    assert not any("'Portfolio'" in line for line in found)

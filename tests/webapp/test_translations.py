"""Every UI string is translated in every UI language (a new untranslated string fails this test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from webapp.extensions import UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_strings() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "webapp"), method_map=METHODS, keywords=KEYWORDS,
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


SOURCE = _source_strings()


def test_there_are_ui_strings_to_translate() -> None:
    assert "Page not found" in SOURCE


@pytest.mark.parametrize("tag", [t for t in UI_LANGUAGES if t != "en"])
def test_catalog_is_complete(tag: str) -> None:
    po_path = TRANSLATIONS / UI_LANGUAGES[tag] / "LC_MESSAGES" / "messages.po"
    assert po_path.exists(), f"no catalog for {tag}: run `make catalogs` and translate {po_path}"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=UI_LANGUAGES[tag])
    missing = []
    for msgid in sorted(SOURCE):
        message = catalog.get(msgid)
        translated = message is not None and not message.fuzzy and (
            all(message.string) if isinstance(message.string, tuple) else bool(message.string))
        if not translated:
            missing.append(msgid)
    assert not missing, f"{len(missing)} untranslated UI strings in {tag}, e.g. {missing[:5]}"


@pytest.mark.parametrize("tag", [t for t in UI_LANGUAGES if t != "en"])
def test_placeholders_survive_translation(tag: str) -> None:
    import re

    po_path = TRANSLATIONS / UI_LANGUAGES[tag] / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        pytest.fail(f"no catalog for {tag}")
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=UI_LANGUAGES[tag])
    pattern = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(pattern.findall(ids[0]))
        for s in strings:
            assert set(pattern.findall(s)) == wanted, f"{tag}: placeholders differ in {message.id!r}"


def test_templates_follow_the_language_of_each_request_and_forced_locales(app: Any) -> None:
    """The templates' ``_()`` looks its translations up once per request (webapp.extensions
    .request_translations) and still follows each request's language, ``force_locale`` (a message in its
    reader's language) and ``refresh``, as Flask-Babel's own ``gettext`` does."""
    from flask import g, render_template_string
    from flask_babel import force_locale, gettext, ngettext, refresh

    one, many = "Please add at least %(num)d entry.", "Please add at least %(num)d entries."
    template = "{{ _('Page not found') }}|{{ ngettext(one, many, 2) }}"

    def both() -> tuple[str, str]:
        return render_template_string(template, one=one, many=many), f"{gettext('Page not found')}|" + ngettext(
            one, many, 2)

    seen = {}
    for tag in ("ja", "vi", "en"):
        with app.test_request_context(headers={"Accept-Language": tag}):
            shown, expected = both()
            assert shown == expected
            seen[tag] = shown
            with force_locale("th"):
                forced, expected_forced = both()
            assert forced == expected_forced != shown or tag == "th"
            assert both() == (shown, expected)  # the request's own language again
            g.language = "km"
            refresh()
            assert both()[0] == both()[1] != shown
    assert len({seen["ja"].split("|")[0], seen["vi"].split("|")[0], seen["en"].split("|")[0]}) == 3
    assert seen["en"].startswith("Page not found|")


def test_an_era_is_named_as_the_page_s_language_names_it(app: Any) -> None:
    from flask_babel import force_locale

    from webapp.forms import messages

    error = {"code": "era_out_of_range", "params": {"era": "reiwa", "reason": "before_start"}}
    with app.test_request_context():
        with force_locale("ja"):
            japanese = messages.message(error, instrument=None, language="ja")  # type: ignore[arg-type]
        with force_locale("vi"):
            vietnamese = messages.message(error, instrument=None, language="vi")  # type: ignore[arg-type]
    assert "令和" in japanese
    assert "Reiwa" not in japanese  # その月は令和の始まりより前です, not "Reiwa (令和)の"
    assert "Reiwa (令和)" in vietnamese

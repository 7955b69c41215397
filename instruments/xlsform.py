"""XLSForm workbooks (ODK, KoboToolbox) in and out: ``read_xlsform(path)`` and ``write_xlsform``.

Reading goes through pyxform, XLSForm's reference implementation: the workbook is read with size
limits (:mod:`instruments.xlsform_read`), pyxform normalises it (aliases, legacy syntax, case,
``or_other``, ``label:English``, ``bind::`` columns, settings) and :mod:`instruments.xlsform_map` maps
its JSON to the model. Translated columns are ``label::English (en)`` (the tag in the last parentheses,
as KoboToolbox exports them), ``label::fr`` or ``label::Français``; a plain ``label`` is the default
language. Custom columns of Keireki: ``record``, ``record_with`` and ``record_codes`` (JSON), ``contact``,
``repeat_min``, ``repeat_max``; Keireki's own types (``partial_date``, ``phone``, labelled ``email``)
reach pyxform as ``text``. Locations are sheet and row; what is not honoured is a warning.
"""

from __future__ import annotations

import re
from functools import lru_cache

from instruments.xlsform_import import read_xlsform
from instruments.xlsform_writer import write_xlsform

__all__ = ["read_xlsform", "write_xlsform", "language_tag"]

_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    from babel import Locale, UnknownLocaleError

    english = Locale("en")
    names = {name.casefold(): code.replace("_", "-") for code, name in english.languages.items()}
    for code in list(english.languages):
        try:
            native = Locale.parse(code).get_display_name()
        except (UnknownLocaleError, ValueError):
            continue
        if native:
            names.setdefault(native.casefold(), code.replace("_", "-"))
    return names


def language_tag(spec: str) -> str:
    """``English (en)`` -> ``en``; ``fr`` -> ``fr``; ``Français`` -> ``fr`` (by name, via Babel)."""
    spec = spec.strip()
    match = re.search(r"\(([^()]*)\)\s*$", spec)
    if match and _TAG.fullmatch(match.group(1).strip()):
        return match.group(1).strip()
    if _TAG.fullmatch(spec) and len(spec) <= 3 or re.fullmatch(r"[a-z]{2,3}-[A-Za-z0-9-]+", spec):
        return spec
    return _language_names().get(spec.casefold(), spec)



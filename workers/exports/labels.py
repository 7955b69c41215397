"""Labels of codes in the study's languages: the bundled ``lists.yaml`` where a list matches a vocabulary.

A choice list matches a vocabulary when it offers exactly the vocabulary's codes (a list of the same
name is preferred). The lists no instrument offers (codes the pipeline derives: participant type and
status, date precision, employer size, transition kinds, sources, quality flags) are labelled in every
study language in ``codes.yaml`` next to this module, the sequence state alphabet (``state``), with
descriptions, in ``states.yaml``. A code found in none of them (a new contract code not labelled yet) is
labelled in English from the code itself; ``tests/workers/exports/test_state_labels.py`` fails on that.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from instruments.contract import VOCABULARIES
from instruments.loader import bundled_dir

#: Labels of boolean columns, for SPSS/Stata value labels and the codebook.
BOOLEAN_LABELS = {0: "No", 1: "Yes"}


@cache
def _lists(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name, choices in (data.get("choices") or {}).items():
        if isinstance(choices, list):
            out[str(name)] = {
                str(c["name"]): {str(k): str(v) for k, v in (c.get("label") or {}).items()}
                for c in choices
                if isinstance(c, dict) and "name" in c
            }
    return out


def _fallback(code: str) -> str:
    return code.replace("_", " ").capitalize()


@cache
def _states() -> dict[str, dict[str, dict[str, str]]]:
    data: Any = yaml.safe_load((Path(__file__).parent / "states.yaml").read_text(encoding="utf-8"))
    return {str(code): {part: {str(k): str(v) for k, v in texts.items()} for part, texts in entry.items()}
            for code, entry in data.items()}


@cache
def _contract_codes() -> dict[str, dict[str, dict[str, str]]]:
    data: Any = yaml.safe_load((Path(__file__).parent / "codes.yaml").read_text(encoding="utf-8"))
    return {str(vocab): {str(code): {str(k): str(v) for k, v in texts.items()} for code, texts in entry.items()}
            for vocab, entry in data.items()}


def code_descriptions(vocab: str) -> dict[str, dict[str, str]]:
    """code -> {language: description} for vocabularies that have descriptions (the states), else {}."""
    if vocab != "state":
        return {}
    return {code: dict(entry.get("description", {})) for code, entry in _states().items()}


def code_labels(vocab: str, *, lists_path: Path | None = None) -> dict[str, dict[str, str]]:
    """code -> {language: label} for a vocabulary (English fallback under ``"en"``)."""
    codes = VOCABULARIES[vocab]
    if vocab == "state":
        states = _states()
        return {code: dict(states[code]["label"]) if code in states else {"en": _fallback(code)} for code in codes}
    if vocab in _contract_codes():
        own = _contract_codes()[vocab]
        return {code: dict(own[code]) if code in own else {"en": _fallback(code)} for code in codes}
    lists = _lists(lists_path or bundled_dir() / "lists.yaml")
    candidates = sorted(lists.items(), key=lambda item: item[0] != vocab)
    match = next((choices for _name, choices in candidates if set(choices) == set(codes)), None)
    return {code: (dict(match[code]) if match and match[code] else {"en": _fallback(code)}) for code in codes}


def label_in(labels: dict[str, str], language: str) -> str:
    """A label in ``language``, else English, else any."""
    return labels.get(language) or labels.get("en") or next(iter(labels.values()), "")


#: Longest SPSS value label, in UTF-8 bytes (Stata allows far more; one limit keeps both files alike).
VALUE_LABEL_BYTES = 120
ELLIPSIS = "…"


def fit_label(text: str, limit_bytes: int = VALUE_LABEL_BYTES) -> str:
    """``text`` cut to ``limit_bytes`` of UTF-8 at a word boundary, with an ellipsis where it was cut."""
    if len(text.encode("utf-8")) <= limit_bytes:
        return text
    room = limit_bytes - len(ELLIPSIS.encode("utf-8"))
    head = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    words = head.rsplit(" ", 1)[0] if " " in head.strip() else head
    return words.rstrip(" ,;:-") + ELLIPSIS


def value_labels(vocab: str) -> dict[int, str]:
    """SPSS/Stata value labels of a vocabulary: 1-based integer -> English label (see :func:`fit_label`)."""
    labels = code_labels(vocab)
    return {i: fit_label(label_in(labels[code], "en")) for i, code in enumerate(VOCABULARIES[vocab], start=1)}

"""Real-world XLSForm acceptance: of the workbooks pyxform converts, how many ``instruments check`` accepts.

    .venv/bin/python bench/xlsform_corpus.py FOLDER [--validate] [--list] [--cache FILE] [--no-round-trip]

Walks ``FOLDER`` for ``.xlsx``/``.xls``/``.xlsm`` workbooks, converts each with pyxform (the reference
implementation; ``--validate`` also runs ODK Validate, which needs Java) and runs Keireki's check (load, then
every check ``keireki instruments check`` runs) on the ones pyxform accepts. Prints how many forms pyxform
accepts, how many of those Keireki accepts (%), and a table of the first error of each refused form, with the
quoted names and numbers taken out so that the same reason is counted once. ``--list`` also prints each
refused file with its first error. ``--cache FILE`` keeps pyxform's verdicts (by file content) in a JSON
file, so a second run checks only Keireki (ODK Validate takes seconds a form). Identical workbooks (the
same bytes in several repositories) are counted once.

Then, for every form Keireki accepts, it checks what the corpus test (tests/instruments/test_xlsform_corpus.py)
checks on the repository's own forms, with the same helper (tests/support/xlsform_roundtrip.py): every
visible page builds as participant form fields in each language of the form ("rendered"), and the form
exported with ``write_xlsform`` converts in pyxform with the same data paths, types and choices as the
original ("round-tripped"; ODK Validate too with ``--validate``). Failures are counted by reason.
``--no-round-trip`` skips this part.

The corpus is not part of the repository: bring real forms from their public repositories (for example
pyxform's ``tests/example_xls`` and ``tests/bug_example_xls``) into a folder of your own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

from pyxform.xls2xform import convert

from instruments.checker import check_instrument
from instruments.errors import InstrumentError
from instruments.loader import load

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUFFIXES = {".xlsx", ".xls", ".xlsm"}


def pyxform_accepts(path: Path, *, validate: bool) -> bool:
    """True when pyxform converts ``path`` (and ODK Validate passes it with ``validate``)."""
    try:
        convert(xlsform=str(path), validate=validate, warnings=[])
    except Exception:  # noqa: BLE001 - any refusal by pyxform, whatever its class, means "not in the corpus"
        return False
    return True


def keireki_first_error(path: Path) -> str | None:
    """The first error ``instruments check`` reports for ``path``, or None when it accepts the form."""
    try:
        instrument = load(path)
    except InstrumentError as exc:
        return exc.message
    except Exception as exc:  # noqa: BLE001 - a crash is a finding of this benchmark, reported as such
        return f"crash: {type(exc).__name__}: {exc}"
    errors = [f for f in check_instrument(instrument) if f.severity == "error"]
    return f"{errors[0].field}: {errors[0].message}" if errors else None


def render_error(path: Path) -> str | None:
    """Why a page of ``path`` does not build as participant form fields in one of its languages, or None."""
    from tests.support.xlsform_roundtrip import render
    try:
        inst = load(path)
        for language in inst.languages or [inst.default_language]:
            render(inst, language)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding of this benchmark, reported as such
        return f"{type(exc).__name__}: {exc}"
    return None


def round_trip_error(path: Path, *, validate: bool) -> str | None:
    """Why the export of ``path`` differs from it in pyxform (or does not convert), or None."""
    from tests.support.xlsform_roundtrip import round_trip_difference
    try:
        return round_trip_difference(path, load(path), validate=validate)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding of this benchmark, reported as such
        return f"{type(exc).__name__}: {exc}"


def render_and_round_trip(paths: list[Path], *, validate: bool) -> tuple[dict[Path, str], dict[Path, str]]:
    """The render failures and the round-trip failures of ``paths``, each by path."""
    rendering: dict[Path, str] = {}
    trip: dict[Path, str] = {}
    for path in paths:
        if (error := render_error(path)) is not None:
            rendering[path] = error
        if (error := round_trip_error(path, validate=validate)) is not None:
            trip[path] = error
    return rendering, trip


def table(title: str, failures: dict[Path, str]) -> None:
    if failures:
        print(f"\n| {title} | forms |\n|---|---|")
        for text, count in Counter(reason(m) for m in failures.values()).most_common():
            print(f"| {text} | {count} |")


def reason(message: str) -> str:
    """``message`` without the names and numbers of one form, so that equal reasons group together."""
    text = " ".join(message.split())  # ODK Validate's messages run over several lines
    text = re.sub(r"'[^']*'|\"[^\"]*\"|«[^»]*»", "…", text)
    text = re.sub(r"\d+", "N", text)
    return text[:110]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--validate", action="store_true", help="also run ODK Validate (needs Java)")
    parser.add_argument("--list", action="store_true", help="print every refused file with its first error")
    parser.add_argument("--cache", type=Path, help="JSON file keeping pyxform's verdicts between runs")
    parser.add_argument("--no-round-trip", action="store_true", help="skip the render and round-trip checks")
    args = parser.parse_args(argv)
    found = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in found}
    first: dict[str, Path] = {}
    books = [first.setdefault(d, p) for p, d in digests.items() if d not in first]
    cache: dict[str, bool] = json.loads(args.cache.read_text()) if args.cache and args.cache.exists() else {}
    key = "validate" if args.validate else "convert"
    for path in books:
        if f"{key}:{digests[path]}" not in cache:
            cache[f"{key}:{digests[path]}"] = pyxform_accepts(path, validate=args.validate)
    if args.cache:
        args.cache.write_text(json.dumps(cache, indent=0, sort_keys=True))
    accepted_by_pyxform = [p for p in books if cache[f"{key}:{digests[p]}"]]
    refused: dict[Path, str] = {}
    for path in accepted_by_pyxform:
        error = keireki_first_error(path)
        if error is not None:
            refused[path] = error
    total = len(accepted_by_pyxform)
    ok = total - len(refused)
    print(f"workbooks found:        {len(found)} ({len(books)} distinct)")
    print(f"pyxform accepts:        {total}")
    print(f"of those Keireki accepts: {ok} ({100 * ok / total if total else 0:.1f} %)")
    table("first error", refused)
    rendering: dict[Path, str] = {}
    trip: dict[Path, str] = {}
    if not args.no_round_trip:
        kept = [p for p in accepted_by_pyxform if p not in refused]
        rendering, trip = render_and_round_trip(kept, validate=args.validate)
        print(f"of those render page by page: {len(kept) - len(rendering)} of {len(kept)}")
        print(f"of those round-trip:          {len(kept) - len(trip)} of {len(kept)}")
        table("render failure", rendering)
        table("round-trip failure", trip)
    if args.list:
        print()
        for kind, failures in (("refused", refused), ("render", rendering), ("round trip", trip)):
            for path, message in failures.items():
                print(f"{kind}: {path.relative_to(args.folder)}: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Static checks of instruments: ``check_paths(paths) -> CheckReport``.

Every finding names the file and line (or sheet and row), the field and what is wrong. Expression
checks live in :mod:`instruments.checks_expr`, record-mapping checks in :mod:`instruments.checks_records`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from instruments.checks_expr import check_expressions
from instruments.checks_records import check_records
from instruments.errors import InstrumentError
from instruments.findings import Collector, Finding, from_xlsform
from instruments.loader import bundled_paths, load
from instruments.model import QUESTION_TYPES, Group, Instrument, Location, Question, Text
from instruments.study import Study

#: Question types that show no label to anyone.
UNLABELLED_TYPES = ("calculate", "hidden")


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    #: instrument id -> language -> percent of texts present (0-100)
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def texts(instrument: Instrument) -> Iterator[tuple[str, Text, Location | None, bool]]:
    """Every translatable text: (field, text, location, whether a text is required)."""
    yield "title", instrument.title, None, True
    for node in instrument.walk():
        if isinstance(node, Group):
            # XLSForm allows unlabelled groups; Keireki's YAML pages have a title
            needed = (not node.repeat or bool(node.label)) and not from_xlsform(instrument)
            yield f"{node.name}.label", node.label, node.location, needed
            continue
        # XLSForm allows a question shown by its hint, media or guidance alone
        shown = node.type not in UNLABELLED_TYPES and not (
            node.hint or node.xlsform.get("media") or node.xlsform.get("guidance_hint"))
        yield f"{node.name}.label", node.label, node.location, shown
        for key in ("hint", "required_message", "constraint_message"):
            value: Text = getattr(node, key)
            if value:
                yield f"{node.name}.{key}", value, node.location, False
    for list_name, choices in instrument.choice_lists.items():
        for choice in choices:
            yield f"choices.{list_name}.{choice.name}.label", choice.label, choice.location, True


def coverage(instrument: Instrument) -> dict[str, float]:
    """Language -> percent of the instrument's texts present in that language."""
    items = [text for _, text, _, needed in texts(instrument) if needed or any(text.values())]
    if not items:
        return {lang: 100.0 for lang in instrument.languages}
    return {lang: round(100.0 * sum(1 for t in items if t.get(lang, "").strip()) / len(items), 1)
            for lang in instrument.languages}


def _check_translations(c: Collector) -> None:
    inst = c.instrument
    default = inst.default_language
    # ODK accepts a form whose texts miss the default language (or a choice without a label): the page
    # shows another language's text (or the choice's name), so an XLSForm gets a warning, not an error
    lenient = c.warning if from_xlsform(inst) else c.error
    for field_name, text, where, needed in texts(inst):
        present = {lang for lang, value in text.items() if value.strip()}
        if not present:
            if needed:
                lenient(where, field_name, f"no text (needs at least {default})")
            continue
        if default not in present:
            lenient(where, field_name, f"missing the default language {default}")
        missing = [lang for lang in inst.languages if lang != default and lang not in present]
        if missing:
            c.warning(where, field_name, f"untranslated: {', '.join(missing)}")
        unknown = sorted(set(text) - set(inst.languages))
        own = where is None or inst.source is None or where.file == inst.source  # not a shared list
        if unknown and own:
            c.warning(where, field_name, f"language(s) not declared in 'languages': {', '.join(unknown)}")


def _scoped(children: tuple[Question | Group, ...], repeats: tuple[str, ...] = ()
            ) -> Iterator[tuple[Question | Group, tuple[str, ...]]]:
    """Every node with the repeats around it: the answers' storage scope (the top level, or an entry)."""
    for node in children:
        yield node, repeats
        if isinstance(node, Group):
            yield from _scoped(node.children, (*repeats, node.name) if node.repeat else repeats)


def _check_names(c: Collector) -> None:
    """Names are unique where answers are stored: among the top level's questions (whatever their group)
    and within each repeat's entries (a question inside a repeat may share a name with one outside, as
    XLSForm allows); calculations are unique in the whole instrument."""
    seen: dict[tuple[tuple[str, ...], str], Location | None] = {}
    calculations: dict[str, Location | None] = {}
    anywhere: dict[str, Question | Group] = {}
    for node, repeats in _scoped(c.instrument.groups):
        where = (repeats, node.name)
        other = anywhere.setdefault(node.name, node)
        calculated = isinstance(node, Question) and node.type == "calculate" or (
            isinstance(other, Question) and other.type == "calculate")
        if where in seen or (calculated and other is not node):
            first = seen.get(where, calculations.get(node.name, other.location))
            why = (" (calculations need names unique in the whole instrument)" if where not in seen else
                   " (answers outside repeats are stored together: names differ across groups)" if not repeats
                   else f" (in the entries of the repeat {repeats[-1]!r})")
            c.error(node.location, f"{node.name}.name", f"duplicate name {node.name!r} (first at {first}){why}")
        else:
            seen[where] = node.location
            if isinstance(node, Question) and node.type == "calculate":
                calculations[node.name] = node.location
        if not node.name.isascii() or not node.name.replace("_", "a").replace("-", "a").replace(".", "a").isalnum():
            c.error(node.location, f"{node.name}.name", "names are ASCII letters, digits, '_', '-' and '.'")


def _check_structure(c: Collector) -> None:
    inst = c.instrument
    if len(set(inst.languages)) != len(inst.languages):
        c.error(None, "languages", "a language is listed twice")
    _check_names(c)
    for node in inst.walk():
        if isinstance(node, Group):
            _check_group(c, node)
        else:
            _check_question(c, node)
    _check_choice_names(c)


def _check_choice_names(c: Collector) -> None:
    inst = c.instrument
    # an XLSForm may allow them (ODK stores the name, so two 'king' counties give the same answer)
    allowed = from_xlsform(inst) and str(inst.settings.get("allow_choice_duplicates", "")).strip().lower() in (
        "yes", "true", "true()", "1")
    for list_name, choices in inst.choice_lists.items():
        if not choices:
            c.error(None, f"choices.{list_name}", "empty choice list")
        names: set[str] = set()
        for choice in choices:
            if choice.name in names and allowed:
                c.warning(choice.location, f"choices.{list_name}", f"duplicate choice name {choice.name!r} "
                          "(allow_choice_duplicates): both give the same answer, labelled by the first")
            elif choice.name in names:
                c.error(choice.location, f"choices.{list_name}", f"duplicate choice name {choice.name!r}")
            names.add(choice.name)


def _check_group(c: Collector, group: Group) -> None:
    if group.min_count is not None and group.max_count is not None and group.min_count > group.max_count:
        c.error(group.location, f"{group.name}.min", f"min ({group.min_count}) > max ({group.max_count})")
    if group.repeat_count and (group.min_count is not None or group.max_count is not None):
        c.warning(group.location, f"{group.name}.repeat_count", "repeat_count overrides min and max")


def _check_question(c: Collector, q: Question) -> None:
    inst = c.instrument
    if q.type not in QUESTION_TYPES:
        c.error(q.location, f"{q.name}.type", f"unknown question type {q.type!r} "
                f"(one of {', '.join(QUESTION_TYPES)})")
    if q.type in ("select_one", "select_multiple"):
        if not q.choices:
            c.error(q.location, f"{q.name}.choices", f"a {q.type} question needs a choice list")
        elif q.choices not in inst.choice_lists:
            c.error(q.location, f"{q.name}.choices", f"choice list {q.choices!r} does not exist")
    else:
        if q.choices:
            c.warning(q.location, f"{q.name}.choices", f"a {q.type} question does not use choices")
        if q.choice_filter:  # pyxform ignores it on other questions: an XLSForm gets a warning
            report = c.warning if from_xlsform(inst) else c.error
            report(q.location, f"{q.name}.choice_filter", "choice_filter is only for select questions (ignored)")
    if q.type == "calculate" and not q.calculation and not (q.default or q.xlsform.get("trigger")):
        c.error(q.location, f"{q.name}.calculation", "a calculate question needs a calculation")
    if q.calculation and q.type != "calculate":
        c.warning(q.location, f"{q.name}.calculation", "only calculate questions are calculated")
    if q.type in ("select_one",) and q.default and q.choices in inst.choice_lists:
        if q.default not in {ch.name for ch in inst.choice_lists[q.choices]}:
            c.error(q.location, f"{q.name}.default", f"default {q.default!r} is not a choice")


def check_instrument(instrument: Instrument) -> list[Finding]:
    """All findings about one loaded instrument."""
    c = Collector(instrument)
    for severity, where, field_name, message in instrument.import_findings:
        (c.error if severity == "error" else c.warning)(where, field_name, message)
    _check_structure(c)
    check_expressions(c)
    check_records(c)
    _check_translations(c)
    return c.findings


def check_paths(paths: Iterable[str | Path] | None = None) -> CheckReport:
    """Load and check instrument files (YAML or XLSForm); all bundled instruments when ``paths`` is None."""
    report = CheckReport()
    for path in list(paths) if paths is not None else bundled_paths():
        try:
            instrument = load(path)
        except InstrumentError as exc:
            report.findings.append(Finding("error", exc.location or Location(str(path)), "file", exc.message))
            continue
        if instrument.id in report.instruments:
            report.findings.append(Finding("error", Location(str(path)), "id",
                                           f"instrument id {instrument.id!r} is used by another file"))
        report.instruments[instrument.id] = instrument
        report.findings.extend(check_instrument(instrument))
        report.coverage[instrument.id] = coverage(instrument)
    return report


def format_coverage(report: CheckReport) -> str:
    """The coverage table: one row per instrument, one column per language."""
    languages: list[str] = []
    for per_lang in report.coverage.values():
        languages += [lang for lang in per_lang if lang not in languages]
    width = max([len("instrument"), *(len(i) for i in report.coverage)])
    lines = ["  ".join(["instrument".ljust(width), *(lang.rjust(7) for lang in languages)])]
    for ident, per_lang in report.coverage.items():
        # floor, so that 99.6% never shows as 100%
        cells = [(f"{int(per_lang[lang])}%" if lang in per_lang else "-").rjust(7) for lang in languages]
        lines.append("  ".join([ident.ljust(width), *cells]))
    return "\n".join(lines)


def _question_named(instrument: Instrument, name: str) -> Question | None:
    return next((q for q in instrument.questions() if q.name == name), None)


def _check_select(findings: list[Finding], inst: Instrument, name: str, qtype: str,
                  codes: tuple[str, ...]) -> None:
    where = Location(inst.source or inst.id)
    q = _question_named(inst, name)
    if q is None or q.type != qtype:
        findings.append(Finding("error", where, name, f"{inst.id} needs a {qtype} question named {name!r}"))
        return
    names = {c.name for c in inst.choice_lists.get(q.choices or "", ())}
    missing = [code for code in codes if code not in names]
    if missing:
        findings.append(Finding("error", q.location, f"{name}.choices",
                                f"needs the choice(s) {', '.join(missing)}"))


def _check_conventions(study: Study, instruments: Mapping[str, Instrument]) -> list[Finding]:
    """What the platform relies on (docs/instruments.md, "Conventions the platform relies on")."""
    findings: list[Finding] = []
    screening = instruments.get(study.instrument_for("screening") or "")
    if screening is not None:
        _check_select(findings, screening, "participant_type", "select_one", ("ti", "sie", "manager", "none"))
        if not screening.settings.get("eligible"):
            findings.append(Finding("error", Location(screening.source or screening.id), "settings.eligible",
                                    "the screening needs an 'eligible' expression"))
    consent = instruments.get(study.instrument_for("consent") or "")
    if consent is not None:
        where = Location(consent.source or consent.id)
        if not consent.settings.get("consent_version"):
            findings.append(Finding("error", where, "settings.consent_version",
                                    "the consent needs a version"))
        _check_select(findings, consent, "consent", "acknowledge", ())
        _check_select(findings, consent, "withdrawal_data", "select_one", ("keep", "erase"))
    intakes = study.steps.get("intake")
    for ident in intakes.values() if isinstance(intakes, dict) else []:
        intake = instruments.get(ident)
        if intake is None:
            continue
        last = intake.groups[-1]
        if last.name != "contact":
            findings.append(Finding("error", last.location, f"{last.name}.name",
                                    "an intake ends with a page named 'contact'"))
            continue
        for node in last.walk():
            if isinstance(node, Question) and node.type not in ("note",) and not node.is_contact:
                findings.append(Finding("error", node.location, f"{node.name}.contact",
                                        "questions of the contact page are contact data (contact: true)"))
            if isinstance(node, Question) and node.required is True:
                findings.append(Finding("error", node.location, f"{node.name}.required",
                                        "the contact page is optional"))
    return findings


def check_study(study: Study, instruments: Mapping[str, Instrument]) -> list[Finding]:
    """The study file against the instruments: every step names an instrument, participant-facing
    instruments (``settings.audience`` other than ``researcher``) offer every language of the study,
    and the screening, consent and intake instruments follow the platform's conventions."""
    findings: list[Finding] = []
    where = study.location
    for step, value in study.steps.items():
        for ident in value.values() if isinstance(value, dict) else [value]:
            if ident not in instruments:
                findings.append(Finding("error", where, f"steps.{step}", f"no instrument {ident!r}"))
    for ident, inst in instruments.items():
        if inst.settings.get("audience") == "researcher":
            continue
        missing = [lang for lang in study.languages if lang not in inst.languages]
        if missing:
            findings.append(Finding("error", Location(inst.source or ident), "languages",
                                    f"participant-facing, but without the study's {', '.join(missing)}"))
    return findings + _check_conventions(study, instruments)

"""Static checks: each kind of mistake is found with its file, line and field; the CLI exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from instruments.checker import check_paths, coverage
from instruments.cli import instruments_cli
from instruments.loader import load

GOOD = """\
id: good
version: "1"
default_language: en
languages: [en, ja]
title: {en: Good, ja: 良い}
choices:
  yes_no:
    - {name: "yes", label: {en: "Yes", ja: はい}}
    - {name: "no", label: {en: "No", ja: いいえ}}
  size:
    - {name: micro, label: {en: Micro, ja: 小規模}}
    - {name: large, label: {en: Large, ja: 大企業}}
  actor:
    - {name: employer_manager, label: {en: Boss, ja: 上司}}
    - {name: coworkers, label: {en: Colleagues, ja: 同僚}}
survey:
  - group: about
    label: {en: About you, ja: あなたについて}
    children:
      - name: birth_year
        type: integer
        label: {en: Year of birth, ja: 生まれた年}
        constraint: ". >= 1940"
        record: participants.birth_year
      - name: age
        type: calculate
        calculation: "2026 - ${birth_year}"
      - name: adult
        type: calculate
        calculation: "if(${age} >= 18, 'yes', 'no')"
  - repeat: jobs
    label: {en: Jobs, ja: 仕事}
    min: 0
    max: 5
    record: episodes
    record_with: {kind: job}
    children:
      - name: start
        type: partial_date
        label: {en: Start, ja: 開始}
        relevant: "${birth_year} != ''"
        record: episodes.start
      - name: size
        type: select_one
        choices: size
        label: {en: Size, ja: 規模}
        record: episodes.employer_size
      - name: recognised_by
        type: select_multiple
        choices: actor
        label: {en: "Who recognised it?", ja: 誰が認めましたか}
        record: skill_events.actor
        record_with: {event: recognise, skill_domain: technical, source: intake}
      - name: job_no
        type: calculate
        calculation: "position(..)"
"""


def write(tmp_path: Path, text: str, name: str = "form.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_good_instrument_has_no_findings(tmp_path: Path) -> None:
    report = check_paths([write(tmp_path, GOOD)])
    assert report.findings == []
    assert report.ok
    assert report.coverage == {"good": {"en": 100.0, "ja": 100.0}}


BROKEN_CASES = [
    # (replace this, with this, field, message fragment, line needle)
    ("type: integer", "type: integr", "birth_year.type", "unknown question type 'integr'",
     "- name: birth_year"),
    ("- name: age\n", "- name: birth_year  # again\n", "birth_year.name", "duplicate name", "# again"),
    ("2026 - ${birth_year}", "2026 - ${birth_yaer}", "age.calculation",
     "unknown reference ${birth_yaer}; did you mean ${birth_year}?", "- name: age"),
    ("2026 - ${birth_year}", "${adult} + 1", "age.calculation", "cycle: age -> adult -> age", "- name: age"),
    ('"${birth_year} != \'\'"', "\"selected(${birth_year}, 'x')\"", "start.relevant", "not a select",
     "- name: start"),
    ('"${birth_year} != \'\'"', "\"${recognised_by} = 'coworkers'\"", "start.relevant", "select_multiple",
     "- name: start"),
    ("2026 - ${birth_year}", "${start} * 2", "age.calculation", "arithmetic on ${start}, a partial_date",
     "- name: age"),
    ("choices: size\n", "choices: sizes\n", "size.choices", "choice list 'sizes' does not exist",
     "- name: size"),
    ("{name: micro,", "{name: tiny,", "size.choices",
     "choice 'tiny' of 'size' is not a code of employer_size", "{name: tiny,"),
    ("record: episodes.start", "record: episodes.begin", "start.record", "episodes has no column 'begin'",
     "- name: start"),
    ("record: participants.birth_year", "record: participant.birth_year", "birth_year.record",
     "did you mean participants?", "- name: birth_year"),
    ("  - group: about\n", "  - group: about\n    record: episodes\n", "about.record",
     "record on a group that is not a repeat", "- group: about"),
    ("label: {en: Size, ja: 規模}", "label: {ja: 規模}", "size.label", "missing the default language en",
     "- name: size"),
    ("min: 0", "min: 7", "jobs.min", "min (7) > max (5)", "- repeat: jobs"),
    ('calculation: "position(..)"', 'calculation: "position(..) + count(${birth_year})"',
     "job_no.calculation", "count() of ${birth_year}, which is not a repeat", "- name: job_no"),
    ('constraint: ". >= 1940"', 'constraint: ". >= 1940 and"', "birth_year.constraint",
     "ends too early at position", "- name: birth_year"),
    ("record: episodes.start", "record: participants.first_arrival_ym", "start.record",
     "inside a repeat", "- name: start"),
]


@pytest.mark.parametrize(("old", "new", "field", "fragment", "line_needle"), BROKEN_CASES)
def test_broken_instrument_findings(tmp_path: Path, old: str, new: str, field: str, fragment: str,
                                    line_needle: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, text)
    report = check_paths([path])
    errors = [f for f in report.errors if f.field == field and fragment in f.message]
    assert errors, [str(f) for f in report.findings]
    assert errors[0].location is not None
    assert errors[0].location.file == str(path)
    assert errors[0].location.line == line_of(text, line_needle)


def test_untranslated_text_is_a_warning_and_lowers_coverage(tmp_path: Path) -> None:
    text = GOOD.replace("label: {en: Start, ja: 開始}", "label: {en: Start}")
    report = check_paths([write(tmp_path, text)])
    assert report.ok
    warnings = [f for f in report.findings if f.severity == "warning"]
    assert [(w.field, w.message) for w in warnings] == [("start.label", "untranslated: ja")]
    assert report.coverage["good"]["en"] == 100.0
    assert 80.0 < report.coverage["good"]["ja"] < 100.0
    assert coverage(load(tmp_path / "form.yaml")) == report.coverage["good"]


def test_syntax_error_is_a_finding(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    children:\n", "    children: [\n", 1))
    report = check_paths([path])
    assert len(report.errors) == 1
    assert report.errors[0].field == "file"
    assert "YAML syntax" in report.errors[0].message


def test_cli_check_prints_file_line_field_and_exits_1(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD, "good.yaml")
    runner = CliRunner()
    result = runner.invoke(instruments_cli, ["check", str(good)])
    assert result.exit_code == 0, result.output
    assert "good" in result.output
    assert "100%" in result.output
    bad_text = GOOD.replace("2026 - ${birth_year}", "2026 - ${birth_yaer}").replace("id: good", "id: bad")
    bad = write(tmp_path, bad_text, "bad.yaml")
    result = runner.invoke(instruments_cli, ["check", str(good), str(bad)])
    assert result.exit_code == 1
    line = line_of(bad_text, "- name: age")
    assert f"{bad}:{line}: age.calculation: unknown reference ${{birth_yaer}}" in result.output
    assert "1 error(s)" in result.output


def _mini(ident: str, body: str, settings: str = "{}", languages: str = "[en]") -> str:
    return (f"id: {ident}\nversion: '1'\ndefault_language: en\nlanguages: {languages}\ntitle: {{en: T}}\n"
            f"settings: {settings}\nchoices:\n  types: [{{name: ti, label: {{en: TI}}}}]\nsurvey:\n{body}")


def test_study_conventions() -> None:
    from instruments import Study, load_text
    from instruments.checker import check_study

    page = "  - group: {name}\n    label: {{en: P}}\n    children:\n{children}"
    screening = load_text(_mini("screening", page.format(
        name="p", children="      - {name: participant_type, type: select_one types, label: {en: Who}}\n")),
        source="screening.yaml")
    consent = load_text(_mini("consent", page.format(
        name="p", children="      - {name: consent, type: acknowledge, label: {en: OK}}\n"),
        settings="{consent_version: '1'}"), source="consent.yaml")
    intake = load_text(_mini("ti_intake", page.format(
        name="contact", children="      - {name: line_id, type: text, label: {en: LINE}, required: true}\n"),
        settings="{audience: ti}", languages="[en, ja]"), source="ti_intake.yaml")
    study = Study(id="s", title={"en": "S"}, default_language="en", languages=("en", "ja", "vi"),
                  draft_expiry_days=30, quotas={}, steps={"screening": "screening", "consent": "consent",
                                                          "intake": {"ti": "ti_intake", "sie": "sie_intake"}})
    findings = check_study(study, {"screening": screening, "consent": consent, "ti_intake": intake})
    messages = sorted(f"{f.field}: {f.message}" for f in findings)
    assert messages == sorted([
        "steps.intake: no instrument 'sie_intake'",
        "languages: participant-facing, but without the study's ja, vi",  # screening
        "languages: participant-facing, but without the study's ja, vi",  # consent
        "languages: participant-facing, but without the study's vi",  # intake
        "participant_type.choices: needs the choice(s) sie, manager, none",
        "settings.eligible: the screening needs an 'eligible' expression",
        "withdrawal_data: consent needs a select_one question named 'withdrawal_data'",
        "line_id.contact: questions of the contact page are contact data (contact: true)",
        "line_id.required: the contact page is optional",
    ])


def test_cli_group_for_the_web_app() -> None:
    from instruments.cli import check_command, export_command, instruments_group

    assert instruments_group.name == "instruments"
    assert instruments_group.commands["check"] is check_command
    assert instruments_group.commands["export-xlsform"] is export_command

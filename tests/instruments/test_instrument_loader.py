"""The YAML loader: model objects with locations, shared lists, study file, canonical form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instruments import (
    Group,
    InstrumentError,
    Question,
    fingerprint,
    from_dict,
    load,
    load_study,
    load_text,
    to_dict,
)

SAMPLE = """\
id: sample
version: "2026.10"
default_language: en
languages: [en, ja]
title: {en: Sample, ja: サンプル}
settings: {audience: ti}
choices_include: [yes_no, prefecture]
choices:
  yes_no:
    - name: yes
      label: {en: "Yes!", ja: はい}
    - name: no
      label: {en: "No", ja: いいえ}
survey:
  - group: about
    label: {en: About you, ja: あなたについて}
    children:
      - name: ok
        type: select_one yes_no
        label: {en: "OK?", ja: いいですか}
        required: yes
      - name: pref
        type: select_one
        choices: prefecture
        label: Where?
        relevant: "${ok} = 'yes'"
        record: episodes.prefecture
      - repeat: jobs
        min: 0
        max: 3
        record: episodes
        record_with: {kind: job}
        children:
          - name: start
            type: partial_date
            label: {en: Start}
            required: "${ok} = 'yes'"
"""

LISTS = """\
choices:
  yes_no:
    - {name: "yes", label: {en: "Yes", ja: はい}}
  prefecture:
    - name: 01
      label: {en: Hokkaido, ja: 北海道}
      region: hokkaido
    - name: 13
      label: {en: Tokyo, ja: 東京都}
      region: kanto
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "lists.yaml").write_text(LISTS, encoding="utf-8")
    path = tmp_path / "sample.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def test_loads_model_with_locations(sample: Path) -> None:
    inst = load(sample)
    assert inst.id == "sample"
    assert inst.version == "2026.10"  # written unquoted-looking numbers keep their text
    assert inst.languages == ("en", "ja")
    page = inst.groups[0]
    assert page.location is not None
    assert page.location.line == 15
    ok, pref, jobs = page.children
    assert isinstance(ok, Question)
    assert ok.type == "select_one"
    assert ok.choices == "yes_no"
    assert ok.required is True
    assert ok.location is not None
    assert (ok.location.file, ok.location.line) == (str(sample), 18)
    assert isinstance(pref, Question)
    assert pref.label == {"en": "Where?"}
    assert isinstance(jobs, Group)
    assert jobs.repeat
    assert (jobs.min_count, jobs.max_count) == (0, 3)
    assert jobs.record_with == {"kind": "job"}
    start = jobs.children[0]
    assert isinstance(start, Question)
    assert start.required == "${ok} = 'yes'"


def test_choices_include_own_lists_take_precedence(sample: Path) -> None:
    inst = load(sample)
    assert [c.name for c in inst.choice_lists["yes_no"]] == ["yes", "no"]
    assert inst.choice_lists["yes_no"][0].label["en"] == "Yes!"
    prefs = inst.choice_lists["prefecture"]
    assert [c.name for c in prefs] == ["01", "13"]  # leading zero kept
    assert prefs[1].extra == {"region": "kanto"}
    assert prefs[0].location is not None
    assert prefs[0].location.file.endswith("lists.yaml")
    assert "prefecture" in to_dict(inst)["choices"]


def test_missing_included_list_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "lists.yaml").write_text(LISTS, encoding="utf-8")
    path = tmp_path / "x.yaml"
    path.write_text(SAMPLE.replace("[yes_no, prefecture]", "[yes_no, countries]"), encoding="utf-8")
    with pytest.raises(InstrumentError, match="countries"):
        load(path)


def test_canonical_form_ignores_locations_and_round_trips(sample: Path, tmp_path: Path) -> None:
    inst = load(sample)
    moved = tmp_path / "moved.yaml"
    moved.write_text("# a comment shifts every line\n\n" + SAMPLE, encoding="utf-8")
    assert fingerprint(load(moved)) == fingerprint(inst)
    changed = tmp_path / "changed.yaml"
    changed.write_text(SAMPLE.replace("\"OK?\"", "\"OK now?\""), encoding="utf-8")
    assert fingerprint(load(changed)) != fingerprint(inst)
    data = to_dict(inst)
    json.dumps(data, ensure_ascii=False)
    assert to_dict(from_dict(json.loads(json.dumps(data)))) == data
    assert len(fingerprint(inst)) == 64


@pytest.mark.parametrize(
    ("mutation", "line", "needle"),
    [
        (("        type: select_one yes_no\n", "        type: select_one yes_no\n        colour: red\n"), 18,
         "colour"),
        (("        required: yes\n", "        required: yes\n        required: no\n"), 22, "duplicate key"),
        (("    children:\n", "    children: [\n"), None, "YAML syntax"),
        (("languages: [en, ja]", "languages: [ja, en]"), 1, "default language"),
        (("      - repeat: jobs\n        min: 0\n", "      - group: jobs\n        min: 0\n"), 28,
         "only for a repeat"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, mutation: tuple[str, str], line: int | None,
                                   needle: str) -> None:
    (tmp_path / "lists.yaml").write_text(LISTS, encoding="utf-8")
    path = tmp_path / "bad.yaml"
    assert mutation[0] in SAMPLE
    path.write_text(SAMPLE.replace(mutation[0], mutation[1], 1), encoding="utf-8")
    with pytest.raises(InstrumentError, match=needle) as info:
        load(path)
    assert info.value.location is not None
    assert info.value.location.file == str(path)
    if line is not None:
        assert info.value.location.line == line


def test_load_text_without_file_cannot_include() -> None:
    with pytest.raises(InstrumentError, match="choices_include"):
        load_text(SAMPLE, source="<memory>")
    inst = load_text(SAMPLE.replace("choices_include: [yes_no, prefecture]\n", ""), source="<memory>")
    assert set(inst.choice_lists) == {"yes_no"}


def test_load_study(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(
        "id: sme-careers\ntitle: {en: Careers, ja: キャリア}\ndefault_language: en\n"
        "languages: [en, ja]\ndraft_expiry_days: 30\nquotas: {ti: 120, sie: 60}\n"
        "steps:\n  screening: screening\n  intake: {ti: ti_intake, sie: sie_intake}\n",
        encoding="utf-8",
    )
    study = load_study(path)
    assert study.id == "sme-careers"
    assert study.quotas == {"ti": 120, "sie": 60}
    assert study.instrument_for("intake", "sie") == "sie_intake"
    assert study.instrument_for("screening") == "screening"
    path.write_text("id: x\ndefault_language: en\nsteps: {a: b}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="extra"):
        load_study(path)

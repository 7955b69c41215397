"""XLSForm workbooks: import (KoboToolbox and ODK spellings, groups, nested repeats, three languages),
check with sheet/row locations, export and round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from instruments import Group, InstrumentError, Question, load, to_dict
from instruments.checker import check_paths
from instruments.cli import instruments_cli
from instruments.xlsform import language_tag, read_xlsform, write_xlsform


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


KOBO_SURVEY = [
    ["type", "name", "label::English (en)", "label::Français (fr)", "label::Tiếng Việt (vi)",
     "hint::English (en)", "required", "relevant", "constraint", "constraint_message::English (en)",
     "choice_filter", "$kuid"],
    ["start", "start", None, None, None, None, None, None, None, None, None, "k1"],
    ["end", "end", None, None, None, None, None, None, None, None, None, "k2"],
    ["text", "full_name", "Your name", "Votre nom", "Tên của bạn", "As on your card", True, None, None, None,
     None, "k3"],
    ["begin_group", "work", "Work", "Travail", "Công việc", None, None, "${full_name} != ''", None, None,
     None, "k4"],
    ["integer", "years", "Years in Japan", "Années au Japon", "Số năm ở Nhật", None, "false", None,
     ". >= 0 and . < 60", "Please check", None, "k5"],
    ["select_one region", "region", "Region", "Région", "Vùng", None, None, None, None, None, None, "k6"],
    ["select_one pref", "pref", "Prefecture", "Préfecture", "Tỉnh", None, None, None, None, None,
     "region = ${region}", "k7"],
    ["end_group", None, None, None, None, None, None, None, None, None, None, "k8"],
    ["note", "thanks", "Thank you", "Merci", "Cảm ơn", None, None, None, None, None, None, "k9"],
]
KOBO_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)", "label::Tiếng Việt (vi)", "region",
     "$kuid"],
    ["region", "kanto", "Kanto", "Kantō", "Kanto", None, "c1"],
    ["region", "kinki", "Kinki", "Kinki", "Kinki", None, "c2"],
    ["pref", 13, "Tokyo", "Tokyo", "Tokyo", "kanto", "c3"],
    ["pref", 27, "Osaka", "Osaka", "Osaka", "kinki", "c4"],
]
KOBO_SETTINGS = [["form_title", "form_id", "version", "default_language"],
                 ["Work survey", "work_survey", "v2", "English (en)"]]


@pytest.fixture
def kobo(tmp_path: Path) -> Path:
    return workbook(tmp_path / "kobo.xlsx",
                    {"survey": KOBO_SURVEY, "choices": KOBO_CHOICES, "settings": KOBO_SETTINGS})


def test_kobo_export_spellings(kobo: Path) -> None:
    inst = load(kobo)
    assert (inst.id, inst.version, inst.default_language) == ("work_survey", "v2", "en")
    assert inst.languages == ("en", "fr", "vi")
    assert inst.title == {"en": "Work survey"}
    page1, work, page2 = inst.groups
    assert [c.name for c in page1.children] == ["start", "end", "full_name"]  # metadata joins the next page
    assert [c.type for c in page1.children] == ["hidden", "hidden", "text"]
    name = page1.children[2]
    assert isinstance(name, Question)
    assert name.label == {"en": "Your name", "fr": "Votre nom", "vi": "Tên của bạn"}
    assert name.hint == {"en": "As on your card"}
    assert name.required is True
    assert name.location is not None
    assert (name.location.sheet, name.location.line) == ("survey", 4)
    assert isinstance(work, Group)
    assert work.relevant == "${full_name} != ''"
    years, _region, pref = work.children
    assert isinstance(years, Question)
    assert years.required is False
    assert years.constraint_message == {"en": "Please check"}
    assert isinstance(pref, Question)
    assert (pref.type, pref.choices, pref.choice_filter) == ("select_one", "pref", "region = ${region}")
    assert [(c.name, c.extra) for c in inst.choice_lists["pref"]] == [("13", {"region": "kanto"}),
                                                                      ("27", {"region": "kinki"})]
    assert page2.name == "page_3"
    assert str(name.location).endswith("kobo.xlsx:survey:4")


NESTED = [
    ["type", "name", "label::en", "label::ja", "label::vi", "required", "repeat_count", "calculation",
     "record", "record_with"],
    ["begin group", "about", "About you", "あなたについて", "Về bạn", None, None, None, None, None],
    ["integer", "n_jobs", "How many jobs?", "仕事の数", "Bao nhiêu việc?", "yes", None, None, None, None],
    ["end group", None, None, None, None, None, None, None, None, None],
    ["begin repeat", "jobs", "Jobs", "仕事", "Công việc", None, "${n_jobs}", None, "episodes",
     '{"kind": "job"}'],
    ["partial_date", "start", "Start", "開始", "Bắt đầu", "yes", None, None, "episodes.start", None],
    ["begin repeat", "trainings", "Trainings", "研修", "Đào tạo", None, None, None, None, None],
    ["text", "topic", "Topic", "内容", "Chủ đề", None, None, None, None, None],
    ["calculate", "training_no", None, None, None, None, None, "position(..)", None, None],
    ["end repeat", None, None, None, None, None, None, None, None, None],
    ["end repeat", None, None, None, None, None, None, None, None, None],
]


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    return workbook(tmp_path / "nested.xlsx", {
        "survey": NESTED, "choices": [["list_name", "name", "label::en"]],
        "settings": [["form_id", "default_language", "form_title::en", "form_title::ja", "form_title::vi"],
                     ["nested", "en", "Jobs", "仕事", "Việc làm"]]})


def test_nested_repeats_and_three_languages(nested: Path) -> None:
    inst = read_xlsform(nested)
    assert inst.languages == ("en", "ja", "vi")
    about, jobs = inst.groups
    assert isinstance(jobs, Group)
    assert jobs.repeat
    assert jobs.repeat_count == "${n_jobs}"
    assert (jobs.record, jobs.record_with) == ("episodes", {"kind": "job"})
    trainings = jobs.children[1]
    assert isinstance(trainings, Group)
    assert trainings.repeat
    assert [c.name for c in trainings.children] == ["topic", "training_no"]
    report = check_paths([nested])
    assert report.errors == []
    assert report.coverage["nested"] == {"en": 100.0, "ja": 100.0, "vi": 100.0}


@pytest.mark.parametrize("fixture", ["kobo", "nested"])
def test_round_trip(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    original = load(request.getfixturevalue(fixture))
    out = tmp_path / "exported.xlsx"
    write_xlsform(original, out)
    again = read_xlsform(out)
    assert to_dict(again) == to_dict(original)
    write_xlsform(again, tmp_path / "twice.xlsx")
    assert to_dict(read_xlsform(tmp_path / "twice.xlsx")) == to_dict(original)


def test_round_trip_of_yaml_features(tmp_path: Path) -> None:
    from instruments import load_text

    inst = load_text(
        """
id: rt
version: "3"
default_language: en
languages: [en, my]
title: {en: Round trip, my: စမ်းသပ်}
settings: {audience: ti, eligible: "${ok} = 'yes'"}
choices:
  yes_no: [{name: "yes", label: {en: "Yes", my: ဟုတ်}}, {name: "no", label: {en: "No", my: မဟုတ်}}]
survey:
  - group: p
    label: {en: Page, my: စာမျက်နှာ}
    children:
      - {name: ok, type: select_one yes_no, label: {en: "OK", my: ရ}, required: true,
         record: participants.gender, record_codes: {"yes": female, "no": male}}
      - {name: phone, type: phone, label: {en: "Phone", my: ဖုန်း}, contact: true}
      - {name: formula_like, type: text, label: {en: "=1+1 is text", my: "=1+1"}, default: "=x",
         required: "${ok} = 'yes'", appearance: multiline}
  - repeat: r
    label: {en: R, my: R}
    min: 1
    max: 4
    children:
      - {name: s, type: date, label: {en: S, my: S}}
""", source="rt")
    write_xlsform(inst, tmp_path / "rt.xlsx")
    assert to_dict(read_xlsform(tmp_path / "rt.xlsx")) == to_dict(inst)


@pytest.mark.parametrize(
    ("rows", "row", "needle"),
    [
        ([["type", "name", "label"], ["begin group", "g", "G"], ["text", "a", "A"]], 2, "Unmatched 'begin_group'"),
        ([["type", "name", "label"], ["text", "a", "A"], ["end group", None, None]], 3, "Unmatched 'end_group'"),
        ([["type", "name", "label"], ["where_am_i", "where", "Where"]], 2, "'where_am_i' is not supported"),
        ([["type", "name", "label"], ["select_one", "q", "Q"]], 2, "needs a choice list"),
        ([["type", "name", "label"], ["text", None, "No name"]], 2, "with no name"),
    ],
)
def test_malformed_workbooks_name_sheet_and_row(tmp_path: Path, rows: list[list[Any]], row: int,
                                                needle: str) -> None:
    path = workbook(tmp_path / "bad.xlsx", {"survey": rows})
    with pytest.raises(InstrumentError, match=needle) as info:
        read_xlsform(path)
    assert info.value.location is not None
    assert (info.value.location.sheet, info.value.location.line) == ("survey", row)


def test_checker_reports_sheet_and_row(tmp_path: Path) -> None:
    survey = [row[:] for row in KOBO_SURVEY]
    survey[4][7] = "${ful_name} != ''"
    path = workbook(tmp_path / "typo.xlsx", {"survey": survey, "choices": KOBO_CHOICES,
                                             "settings": KOBO_SETTINGS})
    result = CliRunner().invoke(instruments_cli, ["check", str(path)])
    assert result.exit_code == 1
    # pyxform (as ODK) rejects the unknown reference; the finding keeps the sheet and row
    assert f"{path}:survey:5: file: " in result.output
    assert "Could not find the name 'ful_name'" in result.output


def test_missing_survey_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "none.xlsx", {"choices": [["list_name", "name"]]})
    with pytest.raises(InstrumentError, match="no 'survey' sheet"):
        read_xlsform(path)


@pytest.mark.parametrize(
    ("spec", "tag"),
    [("English (en)", "en"), ("Tiếng Việt (vi)", "vi"), ("fr", "fr"), ("Français", "fr"),
     ("Chinese (Simplified) (zh-Hans)", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("English", "en")],
)
def test_language_tags(spec: str, tag: str) -> None:
    assert language_tag(spec) == tag


def test_cli_export(kobo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(instruments_cli, ["export-xlsform", str(kobo), str(out)])
    assert result.exit_code == 0, result.output
    assert to_dict(read_xlsform(out)) == to_dict(load(kobo))
    result = CliRunner().invoke(instruments_cli, ["export-xlsform", "no_such_instrument", str(out)])
    assert result.exit_code != 0

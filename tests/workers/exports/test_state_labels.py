"""The codebook's sequence states: real labels and descriptions in every study language, and the SPELL columns."""

from __future__ import annotations

import yaml

from instruments.contract import VOCABULARIES
from instruments.loader import bundled_dir
from workers.exports.codebook import codebook_html, codebook_markdown
from workers.exports.labels import code_descriptions, code_labels, value_labels
from workers.exports.schema import export_tables

LANGUAGES = tuple(yaml.safe_load((bundled_dir() / "study.yaml").read_text(encoding="utf-8"))["languages"])


def test_every_state_has_a_label_and_a_description_in_every_study_language() -> None:
    labels, descriptions = code_labels("state"), code_descriptions("state")
    for code in VOCABULARIES["state"]:
        assert set(labels[code]) >= set(LANGUAGES), code
        assert set(descriptions[code]) >= set(LANGUAGES), code
        if code != "unemployed":  # the one code that is already a word
            assert labels[code]["en"] != code.replace("_", " ").capitalize(), code  # not "Ti", "Esd", "Eng hum"
        assert labels[code]["ja"] != labels[code]["en"], code
    assert labels["ti"]["en"] == "Technical intern in Japan"
    assert value_labels("state")[VOCABULARIES["state"].index("esd") + 1] == "Employment for skill development (ESD)"


def test_the_codebook_shows_state_labels_with_descriptions_and_the_spell_episode_columns() -> None:
    tables = list(export_tables().values())
    for text in (codebook_markdown(title="T", tables=tables, languages=LANGUAGES, sts_width=3),
                 codebook_html(title="T", tables=tables, languages=LANGUAGES, sts_width=3)):
        assert "Technical intern in Japan: In Japan with a Technical Intern Training status" in text
        assert "技能実習（日本）" in text
        assert "first_episode" in text
        assert "last_episode" in text
        assert "Ti: " not in text


#: Codes whose real label in some language is the code itself, capitalised: JLPT levels are "N1" everywhere,
#: and a few English words ("Other", "Study", "Student", "Dependent", "Unemployed").
SAME_AS_CODE = {"n1", "n2", "n3", "n4", "n5", "other", "study", "student", "dependent", "unemployed"}


def test_every_code_list_has_real_labels_in_every_study_language() -> None:
    """Labels, not prettified codes ("Ti", "Esd", "Status change"), for every code of every list."""
    prettified: list[str] = []
    for vocab, codes in VOCABULARIES.items():
        labels = code_labels(vocab)
        for code in codes:
            assert set(labels[code]) >= set(LANGUAGES), f"{vocab}.{code}: {sorted(labels[code])}"
            for language in LANGUAGES:
                if code not in SAME_AS_CODE and labels[code][language] == code.replace("_", " ").capitalize():
                    prettified.append(f"{vocab}.{code} ({language})")
            if code not in SAME_AS_CODE:
                assert labels[code]["ja"] != labels[code]["en"], f"{vocab}.{code}: the Japanese label is English"
    assert prettified == []
    assert code_labels("participant_type")["ti"]["en"] == "Technical intern"
    assert code_labels("participant_type")["ti"]["vi"] == "Thực tập sinh kỹ năng"
    assert value_labels("transition_kind")[1] == "Change of residence status"


def test_the_codebook_and_value_labels_use_the_labels() -> None:
    tables = list(export_tables().values())
    text = codebook_markdown(title="T", tables=tables, languages=LANGUAGES, sts_width=3)
    assert "Technical intern" in text
    assert "技能実習生" in text
    assert "Overlapping episodes" in text
    assert "Status change" not in text
    assert "Gap over 12 months" not in text

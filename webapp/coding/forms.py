"""Forms of the coding area (Flask-WTF: CSRF on every POST, fetch requests send the same fields)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from instruments.contract import vocabulary

ACTOR_LABELS = {
    "employer_manager": _l("Employer or manager"), "coworkers": _l("Co-workers"),
    "supervising_org": _l("Supervising organisation"), "sending_org": _l("Sending organisation"),
    "private_agency": _l("Private agency"), "government": _l("Government"), "self": _l("The worker themself"),
    "other": _l("Other"),
}
DOMAIN_LABELS = {
    "technical": _l("Technical"), "language": _l("Language"), "interpersonal": _l("Interpersonal"),
    "managerial": _l("Managerial"), "digital": _l("Digital"), "other": _l("Other"),
}


def _choices(vocab: str, labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("", _l("— choose —"))] + [(v, labels.get(v, v)) for v in vocabulary(vocab)]


class TranscriptForm(FlaskForm):
    name = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Language of the text"), choices=[], validators=[DataRequired()])
    translation_of = SelectField(_l("This text is"), choices=[], validators=[Optional()])
    text = TextAreaField(_l("Paste the text"), validators=[Optional()])
    upload = FileField(_l("…or upload a file (.txt or .docx)"))


class CodingForm(FlaskForm):
    code = SelectField(_l("Code"), choices=[], coerce=int, validators=[DataRequired()])
    first = IntegerField(_l("From paragraph"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    last = IntegerField(_l("To paragraph"), validators=[Optional(), NumberRange(min=1, max=100000)])
    quote = TextAreaField(_l("Exact words of the passage (leave empty for whole paragraphs)"),
                          validators=[Optional(), Length(max=20000)])
    start = HiddenField()
    end = HiddenField()
    actor = SelectField(_l("Who did it (skill codes)"), choices=[], validators=[Optional()])
    skill_domain = SelectField(_l("Skill domain (skill codes)"), choices=[], validators=[Optional()])
    episode_no = SelectField(_l("Career episode (skill codes)"), choices=[], validators=[Optional()])
    memo = TextAreaField(_l("Memo on the passage"), validators=[Optional(), Length(max=10000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor.choices = _choices("skill_actor", ACTOR_LABELS)
        self.skill_domain.choices = _choices("skill_domain", DOMAIN_LABELS)


class MemoForm(FlaskForm):
    text = TextAreaField(_l("Memo"), validators=[DataRequired(), Length(max=10000)])


class CodeForm(FlaskForm):
    name = StringField(_l("Name (a-z, 0-9, _; at most 32)"), validators=[DataRequired(), Length(max=32)])
    label = StringField(_l("Label"), validators=[Optional(), Length(max=80)])
    translations = TextAreaField(_l("Labels in other languages, one per line: ja = 指導"),
                                 validators=[Optional(), Length(max=2000)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    colour = StringField(_l("Colour (#RRGGBB)"), default="#7f7f7f", validators=[DataRequired(), Length(max=7)])
    parent = SelectField(_l("Parent code"), choices=[], validators=[Optional()])


class MergeForm(FlaskForm):
    into = SelectField(_l("Merge into"), choices=[], coerce=int, validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button (retire, delete, adopt as consensus): CSRF only."""


class QdpxExportForm(FlaskForm):
    reason = TextAreaField(_l("Reason for exporting the transcripts"),
                           validators=[DataRequired(), Length(min=10, max=500)])
    offsets = SelectField(_l("The positions in the file count"), default="codepoints", choices=[
        SelectChoice(value="codepoints", label=_l("characters (code points)")),
        SelectChoice(value="utf16", label=_l("UTF-16 units (some NVivo versions)"))])


class QdpxImportForm(FlaskForm):
    project = FileField(_l("Project file (.qdpx)"), validators=[FileRequired(), FileAllowed(["qdpx"])])
    offsets = SelectField(_l("The positions in the file count"), default="auto", choices=[
        SelectChoice(value="auto", label=_l("decide from the file")),
        SelectChoice(value="codepoints", label=_l("characters (code points)")),
        SelectChoice(value="utf16", label=_l("UTF-16 units (some NVivo versions)")),
        SelectChoice(value="lines", label=_l("characters, a Windows line break as one (ATLAS.ti)"))])
    create_missing = BooleanField(_l("Create codes and transcripts that match nothing"))

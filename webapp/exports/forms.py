"""The form that starts an export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from webapp.exports.services import REASON_MAX
from workers.exports import free_text_columns


class ExportForm(FlaskForm):
    bom = BooleanField(_l("CSV files for Excel on Windows (with a byte-order mark)"))
    cleared = SelectMultipleField(
        _l("Free-text columns cleared for export"),
        choices=[SelectChoice(value=c, label=c) for c in free_text_columns()],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    with_pii = BooleanField(_l("Include personal data (contact details and all free text)"))
    reason = TextAreaField(_l("Reason for exporting personal data"), validators=[Optional(), Length(max=REASON_MAX)])

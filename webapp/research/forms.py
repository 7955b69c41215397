"""Forms of the research area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("The participant asked to withdraw. Erase the contact details now, and the answers too if the "
           "consent says so."),
        validators=[DataRequired(_l("Please tick the box to confirm."))])

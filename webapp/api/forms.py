"""Forms of the owners' API token pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.api.services import NAME_MAX


class TokenForm(FlaskForm):
    name = StringField(_l("Name of the token (what it is for)"),
                       validators=[DataRequired(message=_l("Please give the token a name.")),
                                   Length(max=NAME_MAX)])


class RevokeForm(FlaskForm):
    pass

"""Forms of the API token page."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from testbed.api.auth import MAX_NAME
from testbed.forms import WebForm


class TokenForm(WebForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Name the token first.")), Length(max=MAX_NAME)],
        description=_l(
            "The system that will use it, such as 'nightly contact push' or "
            "'finance model': you will see this name in the list and in the activity log."
        ),
    )
    submit = SubmitField(_l("Create token"))


class RevokeForm(WebForm):
    """Only the CSRF token: revoking is a POST with nothing else to say."""

    submit = SubmitField(_l("Revoke"))

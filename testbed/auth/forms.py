"""Forms for signing in and for administering accounts and departments."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from testbed.auth.models import ROLES
from testbed.auth.services import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    common_password_sentence,
    find_department,
    find_user,
    is_common_password,
)
from testbed.forms import WebForm

ROLE_LABELS = {
    "innovation": _l("Innovation team: runs pilots, registers hypotheses, loads data"),
    "department_head": _l("Department head: adds and follows suggestions"),
    "finance": _l("Finance: compares returns, edits costs and programmes"),
    "admin": _l("Admin: everything, including accounts"),
    "staff": _l("Staff: reads pilots, gives and votes on ideas"),
}
NO_DEPARTMENT = 0


class LoginForm(WebForm):
    """Signing in, from the page's form or a script's JSON body: both are limited alike."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


def _not_common(form, field) -> None:
    # The services refuse it too; checking here puts the message next to the field.
    if field.data and is_common_password(field.data):
        raise ValidationError(common_password_sentence())


# What every new password's field says under it, with what the page adds.
PRIVATELY = _l(
    "At least %(min)s characters, not a common password. Pass it on privately.",
    min=MIN_PASSWORD_LENGTH,
)
WORDS = _l(
    "At least %(min)s characters, not a common password. "
    "A few unrelated words are strong and easy to type.",
    min=MIN_PASSWORD_LENGTH,
)


def _password_field(label, description=PRIVATELY, autocomplete: str | None = None):
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                MIN_PASSWORD_LENGTH,
                MAX_PASSWORD_LENGTH,
                _l("Use %(min)d to %(max)d characters."),
            ),
            _not_common,
        ],
        description=description,
        render_kw={"autocomplete": autocomplete} if autocomplete else None,
    )


class AccountFields(WebForm):
    """Name, role and department, shared by creating and changing an account."""

    name = StringField(
        _l("Name"),
        filters=[lambda text: text.strip() if text else text],
        validators=[Optional(), Length(max=120)],
        description=_l("As colleagues know them; shown in the header."),
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
        validators=[InputRequired()],
        description=_l("What the person may do."),
    )
    department = SelectField(
        _l("Department"),
        coerce=int,
        validators=[Optional()],
        description=_l("The department they speak for; department heads follow its suggestions."),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = [SelectChoice(NO_DEPARTMENT, gettext("No department"))] + [
            SelectChoice(d.id, d.name) for d in departments
        ]
        self._departments = {d.id: d for d in departments}

    def chosen_department(self):
        return self._departments.get(self.department.data)


class UserForm(AccountFields):
    email = EmailField(
        _l("E-mail"),
        filters=[lambda text: text.strip().lower() if text else text],
        validators=[
            InputRequired(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address.")),
            Length(max=254),
        ],
        description=_l("They sign in with it."),
    )
    password = _password_field(_l("Initial password"))
    submit = SubmitField(_l("Create the account"))

    def validate_email(self, field):
        if field.data and find_user(field.data) is not None:
            raise ValidationError(gettext("An account with this e-mail exists already."))


class ChangeUserForm(AccountFields):
    submit = SubmitField(_l("Save"))


class PasswordForm(WebForm):
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("password", _l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set the password"))


class ChangePasswordForm(WebForm):
    """A signed-in user's own change of password."""

    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(_l("New password"), WORDS, "new-password")
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change the password"))


class DepartmentForm(WebForm):
    name = StringField(
        _l("Name"),
        filters=[lambda text: text.strip() if text else text],
        validators=[InputRequired(), Length(max=120)],
        description=_l("Such as Operations, Sales or Finance."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, department_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id = department_id

    def validate_name(self, field):
        if field.data and find_department(field.data, self.department_id) is not None:
            raise ValidationError(gettext("A department of this name exists already."))


class ConfirmForm(WebForm):
    """A button that changes something: only the CSRF token is checked."""

    submit = SubmitField(_l("Confirm"))

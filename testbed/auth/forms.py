"""Forms for signing in and for administering accounts and departments."""

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
    COMMON_PASSWORD,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    find_department,
    find_user,
    is_common_password,
)
from testbed.forms import WebForm

ROLE_LABELS = {
    "innovation": "Innovation team: runs pilots, registers hypotheses, loads data",
    "department_head": "Department head: adds and follows suggestions",
    "finance": "Finance: compares returns, edits costs and programmes",
    "admin": "Admin: everything, including accounts",
    "staff": "Staff: reads pilots, gives and votes on ideas",
}
NO_DEPARTMENT = 0


class LoginForm(WebForm):
    """Signing in, from the page's form or a script's JSON body: both are limited alike."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Sign in")


def _not_common(form, field) -> None:
    # The services refuse it too; checking here puts the message next to the field.
    if field.data and is_common_password(field.data):
        raise ValidationError(COMMON_PASSWORD[:1].upper() + COMMON_PASSWORD[1:] + ".")


def _password_field(
    label: str, description: str = "Pass it on privately.", autocomplete: str | None = None
) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                MIN_PASSWORD_LENGTH,
                MAX_PASSWORD_LENGTH,
                f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            ),
            _not_common,
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password. "
        + description,
        render_kw={"autocomplete": autocomplete} if autocomplete else None,
    )


class AccountFields(WebForm):
    """Name, role and department, shared by creating and changing an account."""

    name = StringField(
        "Name",
        filters=[lambda text: text.strip() if text else text],
        validators=[Optional(), Length(max=120)],
        description="As colleagues know them; shown in the header.",
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
        validators=[InputRequired()],
        description="What the person may do.",
    )
    department = SelectField(
        "Department",
        coerce=int,
        validators=[Optional()],
        description="The department they speak for; department heads follow its suggestions.",
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = [SelectChoice(NO_DEPARTMENT, "No department")] + [
            SelectChoice(d.id, d.name) for d in departments
        ]
        self._departments = {d.id: d for d in departments}

    def chosen_department(self):
        return self._departments.get(self.department.data)


class UserForm(AccountFields):
    email = EmailField(
        "E-mail",
        filters=[lambda text: text.strip().lower() if text else text],
        validators=[
            InputRequired(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address."),
            Length(max=254),
        ],
        description="They sign in with it.",
    )
    password = _password_field("Initial password")
    submit = SubmitField("Create the account")

    def validate_email(self, field):
        if field.data and find_user(field.data) is not None:
            raise ValidationError("An account with this e-mail exists already.")


class ChangeUserForm(AccountFields):
    submit = SubmitField("Save")


class PasswordForm(WebForm):
    password = _password_field("New password")
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", "The two passwords differ.")],
    )
    submit = SubmitField("Set the password")


class ChangePasswordForm(WebForm):
    """A signed-in user's own change of password."""

    current = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(
        "New password", "A few unrelated words are strong and easy to type.", "new-password"
    )
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change the password")


class DepartmentForm(WebForm):
    name = StringField(
        "Name",
        filters=[lambda text: text.strip() if text else text],
        validators=[InputRequired(), Length(max=120)],
        description="Such as Operations, Sales or Finance.",
    )
    submit = SubmitField("Save")

    def __init__(self, *args, department_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id = department_id

    def validate_name(self, field):
        if field.data and find_department(field.data, self.department_id) is not None:
            raise ValidationError("A department of this name exists already.")


class ConfirmForm(WebForm):
    """A button that changes something: only the CSRF token is checked."""

    submit = SubmitField("Confirm")

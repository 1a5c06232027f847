"""Forms for proposing, discussing and deciding suggestions."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from testbed.auth.models import Department
from testbed.forms import WebForm
from testbed.pilots.models import Iteration
from testbed.suggestions.labels import status_name
from testbed.suggestions.services import MAX_TEXT, TRANSITIONS

NO_DEPARTMENT = 0
# What each decision means, shown beside its choice so nobody needs a manual.
STEP_HINTS = {
    "under_review": _l("The team is looking into it."),
    "accepted": _l("The team will try it in a coming iteration."),
    "incorporated": _l("It is part of an iteration now: choose which one below."),
    "declined": _l("It will not be tried: give the reason below; the department sees it."),
}


class SuggestionForm(WebForm):
    text = TextAreaField(
        _l("Your suggestion"),
        validators=[DataRequired(_l("Write the suggestion first.")), Length(max=MAX_TEXT)],
        description=_l("One idea the pilot team could try, and what it would improve."),
        render_kw={"rows": 5},
    )
    department = SelectField(
        _l("On behalf of"),
        coerce=int,
        default=NO_DEPARTMENT,
        invalid_choice_message=_l("Choose a department from the list."),
        description=_l("Your own department unless you choose another."),
    )
    submit = SubmitField(_l("Add suggestion"))

    def __init__(self, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = [(NO_DEPARTMENT, gettext("No department"))] + [
            (d.id, d.name) for d in departments
        ]
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class CommentForm(WebForm):
    text = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(_l("Write a comment first.")), Length(max=MAX_TEXT)],
        description=_l("Questions, support, or what your department has seen."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Add comment"))


class VoteForm(WebForm):
    """A vote or its withdrawal; ``back`` names the page to return to, from a fixed list."""

    back = HiddenField(default="suggestion", validators=[AnyOf(("list", "suggestion"))])


class DecisionForm(WebForm):
    status = RadioField(_l("Move it to"), invalid_choice_message=_l("Choose where it goes."))
    iteration = SelectField(
        _l("Iteration that adopted it"),
        coerce=int,
        default=0,
        invalid_choice_message=_l("Choose an iteration of this pilot."),
        description=_l("Needed when you incorporate it."),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Needed when you decline it: the department reads this."),
        render_kw={"rows": 3},
    )
    version = HiddenField()
    submit = SubmitField(_l("Save decision"))

    def __init__(self, current_status: str, iterations: list[Iteration], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s, status_name(s)) for s in TRANSITIONS[current_status]]
        self.iteration.choices = [(0, gettext("Choose an iteration"))] + [
            (i.id, _iteration_name(i)) for i in iterations
        ]
        self._iterations = {i.id: i for i in iterations}
        self._allowed = TRANSITIONS[current_status]

    def _choosing(self, status: str) -> bool:
        # A move that is not offered has its own error; the fields it needs stay quiet.
        return self.status.data == status and status in self._allowed

    def validate_iteration(self, field) -> None:
        if self._choosing("incorporated") and field.data not in self._iterations:
            raise ValidationError(gettext("Choose the iteration of this pilot that adopted it."))

    def validate_reason(self, field) -> None:
        if self._choosing("declined") and not (field.data or "").strip():
            raise ValidationError(gettext("Say why it is declined."))

    def chosen_iteration(self) -> Iteration | None:
        return self._iterations.get(self.iteration.data)


def _iteration_name(iteration: Iteration) -> str:
    if not iteration.title:
        return str(iteration.number)
    return gettext("%(number)s: %(title)s", number=iteration.number, title=iteration.title)

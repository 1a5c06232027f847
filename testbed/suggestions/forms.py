"""Forms for proposing, discussing and deciding suggestions."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from testbed.auth.models import Department
from testbed.forms import WebForm
from testbed.pilots.models import Iteration
from testbed.suggestions.models import STATUS_LABELS
from testbed.suggestions.services import MAX_TEXT, TRANSITIONS

NO_DEPARTMENT = 0
# What each decision means, shown beside its choice so nobody needs a manual.
STEP_HINTS = {
    "under_review": "The team is looking into it.",
    "accepted": "The team will try it in a coming iteration.",
    "incorporated": "It is part of an iteration now: choose which one below.",
    "declined": "It will not be tried: give the reason below; the department sees it.",
}


class SuggestionForm(WebForm):
    text = TextAreaField(
        "Your suggestion",
        validators=[DataRequired("Write the suggestion first."), Length(max=MAX_TEXT)],
        description="One idea the pilot team could try, and what it would improve.",
        render_kw={"rows": 5},
    )
    department = SelectField(
        "On behalf of",
        coerce=int,
        default=NO_DEPARTMENT,
        invalid_choice_message="Choose a department from the list.",
        description="Your own department unless you choose another.",
    )
    submit = SubmitField("Add suggestion")

    def __init__(self, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = [(NO_DEPARTMENT, "No department")] + [
            (d.id, d.name) for d in departments
        ]
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class CommentForm(WebForm):
    text = TextAreaField(
        "Your comment",
        validators=[DataRequired("Write a comment first."), Length(max=MAX_TEXT)],
        description="Questions, support, or what your department has seen.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Add comment")


class VoteForm(WebForm):
    """A vote or its withdrawal; ``back`` names the page to return to, from a fixed list."""

    back = HiddenField(default="suggestion", validators=[AnyOf(("list", "suggestion"))])


class DecisionForm(WebForm):
    status = RadioField("Move it to", invalid_choice_message="Choose where it goes.")
    iteration = SelectField(
        "Iteration that adopted it",
        coerce=int,
        default=0,
        invalid_choice_message="Choose an iteration of this pilot.",
        description="Needed when you incorporate it.",
    )
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=MAX_TEXT)],
        description="Needed when you decline it: the department reads this.",
        render_kw={"rows": 3},
    )
    version = HiddenField()
    submit = SubmitField("Save decision")

    def __init__(self, current_status: str, iterations: list[Iteration], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s, STATUS_LABELS[s]) for s in TRANSITIONS[current_status]]
        self.iteration.choices = [(0, "Choose an iteration")] + [
            (i.id, f"{i.number}: {i.title}" if i.title else str(i.number)) for i in iterations
        ]
        self._iterations = {i.id: i for i in iterations}
        self._allowed = TRANSITIONS[current_status]

    def _choosing(self, status: str) -> bool:
        # A move that is not offered has its own error; the fields it needs stay quiet.
        return self.status.data == status and status in self._allowed

    def validate_iteration(self, field) -> None:
        if self._choosing("incorporated") and field.data not in self._iterations:
            raise ValidationError("Choose the iteration of this pilot that adopted it.")

    def validate_reason(self, field) -> None:
        if self._choosing("declined") and not (field.data or "").strip():
            raise ValidationError("Say why it is declined.")

    def chosen_iteration(self) -> Iteration | None:
        return self._iterations.get(self.iteration.data)

"""Forms for giving an idea, voting on it, and the innovation team's decisions."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from testbed.forms import WebForm
from testbed.ideas.models import IDEA_STATUS_LABELS
from testbed.ideas.services import MAX_TEXT, MAX_TITLE, TRANSITIONS
from testbed.pilots.models import Pilot

# What each move means, beside its choice.
MOVE_HINTS = {
    "under_review": "The innovation team is looking into it.",
    "declined": "It will not be tried: give the reason below; its author reads it.",
}


class IdeaForm(WebForm):
    title = StringField(
        "Your idea in a line",
        validators=[DataRequired("Give the idea a title."), Length(max=MAX_TITLE)],
        description="Such as 'Text customers when their parcel is held at the depot'.",
    )
    text = TextAreaField(
        "What would change, and for whom",
        validators=[DataRequired("Describe the idea."), Length(max=MAX_TEXT)],
        description="What you would try, what it would improve, and how we would notice.",
        render_kw={"rows": 5},
    )
    submit = SubmitField("Give this idea")


class VoteForm(WebForm):
    """A vote or its withdrawal: the CSRF token is all it carries."""


class MoveForm(WebForm):
    status = RadioField("Move it to", invalid_choice_message="Choose where it goes.")
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=MAX_TEXT)],
        description="Needed when you decline it: its author reads this.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Save decision")

    def __init__(self, current_status: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._allowed = TRANSITIONS[current_status]
        self.status.choices = [(s, IDEA_STATUS_LABELS[s]) for s in self._allowed]

    def validate_reason(self, field) -> None:
        declining = self.status.data == "declined" and "declined" in self._allowed
        if declining and not (field.data or "").strip():
            raise ValidationError("Say why it is declined.")


class AttachForm(WebForm):
    pilot = SelectField(
        "Pilot",
        coerce=int,
        default=0,
        invalid_choice_message="Choose a pilot from the list.",
        description="It becomes a suggestion on that pilot, by the idea's author.",
    )
    submit = SubmitField("Give it to this pilot")

    def __init__(self, pilots: list[Pilot], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot.choices = [(0, "Choose a pilot")] + [(p.id, p.name) for p in pilots]
        self._pilots = {p.id: p for p in pilots}

    def validate_pilot(self, field) -> None:
        if field.data not in self._pilots:
            raise ValidationError("Choose the pilot that should try it.")

    def chosen_pilot(self) -> Pilot:
        return self._pilots[self.pilot.data]

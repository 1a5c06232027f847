"""Forms for giving an idea, voting on it, and the innovation team's decisions."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from testbed.forms import WebForm
from testbed.ideas.labels import IDEA_STATUS_NAMES
from testbed.ideas.services import MAX_TEXT, MAX_TITLE, TRANSITIONS
from testbed.pilots.models import Pilot

# What each move means, beside its choice.
MOVE_HINTS = {
    "under_review": _l("The innovation team is looking into it."),
    "declined": _l("It will not be tried: give the reason below; its author reads it."),
}


class IdeaForm(WebForm):
    title = StringField(
        _l("Your idea in a line"),
        validators=[DataRequired(_l("Give the idea a title.")), Length(max=MAX_TITLE)],
        description=_l("Such as 'Text customers when their parcel is held at the depot'."),
    )
    text = TextAreaField(
        _l("What would change, and for whom"),
        validators=[DataRequired(_l("Describe the idea.")), Length(max=MAX_TEXT)],
        description=_l("What you would try, what it would improve, and how we would notice."),
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("Give this idea"))


class VoteForm(WebForm):
    """A vote or its withdrawal: the CSRF token is all it carries."""


class MoveForm(WebForm):
    status = RadioField(_l("Move it to"), invalid_choice_message=_l("Choose where it goes."))
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Needed when you decline it: its author reads this."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save decision"))

    def __init__(self, current_status: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._allowed = TRANSITIONS[current_status]
        self.status.choices = [(s, IDEA_STATUS_NAMES[s]) for s in self._allowed]

    def validate_reason(self, field) -> None:
        declining = self.status.data == "declined" and "declined" in self._allowed
        if declining and not (field.data or "").strip():
            raise ValidationError(gettext("Say why it is declined."))


class AttachForm(WebForm):
    pilot = SelectField(
        _l("Pilot"),
        coerce=int,
        default=0,
        invalid_choice_message=_l("Choose a pilot from the list."),
        description=_l("It becomes a suggestion on that pilot, by the idea's author."),
    )
    submit = SubmitField(_l("Give it to this pilot"))

    def __init__(self, pilots: list[Pilot], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot.choices = [(0, _l("Choose a pilot"))] + [(p.id, p.name) for p in pilots]
        self._pilots = {p.id: p for p in pilots}

    def validate_pilot(self, field) -> None:
        if field.data not in self._pilots:
            raise ValidationError(gettext("Choose the pilot that should try it."))

    def chosen_pilot(self) -> Pilot:
        return self._pilots[self.pilot.data]

"""Forms of the inbox, the preferences, watching, unsubscribing and webhooks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from testbed.forms import WebForm
from testbed.notify.models import EVENT_KINDS, MODE_LABELS, MODES
from testbed.notify.webhooks import MAX_URL


class ActionForm(WebForm):
    """A button that posts nothing but its CSRF token (mark read, unsubscribe, remove)."""


class WatchForm(WebForm):
    """Watch or unwatch a pilot; ``back`` names the page to return to, from a fixed list."""

    back = HiddenField(default="pilot", validators=[AnyOf(("pilot", "results", "watching"))])


class PreferencesForm(WebForm):
    """One choice of mode per kind of event."""

    submit = SubmitField(_l("Save preferences"))

    @classmethod
    def for_kinds(cls, current: dict[str, str], *args, **kwargs) -> PreferencesForm:
        class Filled(cls):
            pass

        for kind, (label, _) in EVENT_KINDS.items():
            setattr(
                Filled,
                kind,
                SelectField(
                    label,
                    # Text in the request's language: WTForms would not escape a lazy label.
                    choices=[SelectChoice(mode, str(MODE_LABELS[mode])) for mode in MODES],
                    default=current[kind],
                    validators=[AnyOf(MODES, message=_l("Choose one of the listed ways."))],
                ),
            )
        return Filled(*args, **kwargs)

    def kind_fields(self):
        return [self[kind] for kind in EVENT_KINDS]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(WebForm):
    url = StringField(
        _l("Receiver's address"),
        validators=[DataRequired(_l("Give the address to call.")), Length(max=MAX_URL)],
        description=_l(
            "Where each event is posted as signed JSON, such as "
            "https://chat.example.org/hooks/testbed."
        ),
    )
    kinds = MultiCheckboxField(_l("Events it wants"))
    allow_private = BooleanField(
        _l("Allow a private address"),
        description=_l(
            "Only for a receiver inside your own network: loopback, private and "
            "link-local addresses are refused otherwise. Recorded in the activity log."
        ),
    )
    submit = SubmitField(_l("Register webhook"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As text in the request's language: WTForms would not escape a lazy label.
        self.kinds.choices = [
            SelectChoice(kind, str(label)) for kind, (label, _) in EVENT_KINDS.items()
        ]

    def validate_kinds(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one kind of event."))

"""Writing in a match's conversation, and hiding a message (staff)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from matchmaking.models.conversations import MESSAGE_MAX_LENGTH
from matchmaking.services.conversations import HIDDEN_REASON_MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Read by the members of both organizations, and by the secretariat. Links become clickable."
        ),
    )

    def __init__(self, *args, sides=(), **kwargs):
        """`sides` are (side, organization) pairs the user may write for; with two, they choose."""
        super().__init__(*args, **kwargs)
        if len(sides) > 1:
            self.fields["side"] = forms.ChoiceField(
                label=_("Write for"), choices=[(side, organization.name) for side, organization in sides]
            )


class HideMessageForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=HIDDEN_REASON_MAX_LENGTH,
        help_text=_("Shown to the two organizations in place of the message."),
    )

"""The conversation of a match: messages between the members of its two organizations, and what each
reader has read of them."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import Direction

MESSAGE_MAX_LENGTH = 5000


class MatchMessage(models.Model):
    """One message of a match's conversation, written by a member of one side's organization (`side`:
    the request's or the offer's). Staff may hide it: it is kept, and shown as hidden."""

    match = models.ForeignKey("matchmaking.Match", on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(
        max_length=10,
        choices=Direction.choices,
        help_text=_("The side the author wrote for: the organization of the match's request or offer."),
    )
    body = models.TextField(
        max_length=MESSAGE_MAX_LENGTH, validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Message {self.pk} on match {self.match_id}"

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    def organization(self):
        """The organization the author wrote for (select the match's sides to read it without a query)."""
        posting = self.match.request if self.side == Direction.REQUEST else self.match.offer
        return posting.organization


class MessageReadMarker(models.Model):
    """How far a user has read a match's conversation (every message up to `last_read`), and whether
    they were e-mailed about messages since: then no other e-mail is sent until they read it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    match = models.ForeignKey("matchmaking.Match", on_delete=models.CASCADE, related_name="read_markers")
    last_read = models.ForeignKey(
        MatchMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(
        default=False, help_text=_("An e-mail told of messages not read yet; cleared when the user reads.")
    )

    class Meta:
        ordering = ["match_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["match", "user"], name="one_read_marker_per_reader")]

    def __str__(self):
        return f"{self.user_id} read match {self.match_id} up to {self.last_read_id}"

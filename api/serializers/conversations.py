"""The conversation of a match: its messages, written through `matchmaking.services.conversations`."""

from rest_framework import serializers

from matchmaking.choices import Direction
from matchmaking.models import MatchMessage
from matchmaking.models.conversations import MESSAGE_MAX_LENGTH
from matchmaking.services import conversations


class MatchMessageSerializer(serializers.ModelSerializer):
    """A message as a reader sees it: who wrote it, for which side, when, and whether the reader had
    read it. A hidden message keeps its place; its text is shown to staff only. The view puts the
    match in the context (`match`), with the id of the last message the reader had read (`last_read_id`)."""

    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Null once the account is deleted."
    )
    side = serializers.ChoiceField(
        choices=Direction.choices,
        read_only=True,
        help_text="The side the author wrote for: the organization of the match's `request` or `offer`.",
    )
    organization = serializers.SerializerMethodField(help_text="The organization of that side (id).")
    organization_name = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField(
        help_text="The text; empty when the message is hidden, unless you are staff."
    )
    hidden = serializers.BooleanField(source="is_hidden", read_only=True)
    is_read = serializers.SerializerMethodField(
        help_text="Whether you had read it before this request (yours always are); listing the "
        "messages marks those of the page read."
    )

    class Meta:
        model = MatchMessage
        fields = [
            "id",
            "match",
            "side",
            "organization",
            "organization_name",
            "author",
            "body",
            "created_at",
            "is_read",
            "hidden",
            "hidden_at",
            "hidden_reason",
        ]
        read_only_fields = fields

    def get_organization(self, message) -> int:
        return message.organization().pk

    def get_organization_name(self, message) -> str:
        return message.organization().name

    def get_body(self, message) -> str:
        if message.is_hidden and not self.context["request"].user.is_staff:
            return ""
        return message.body

    def get_is_read(self, message) -> bool:
        return conversations.is_read(message, self.context["request"].user, self.context.get("last_read_id"))


class MessageWriteSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, help_text="The message; links in it are shown as links on the pages."
    )
    side = serializers.ChoiceField(
        choices=Direction.choices,
        required=False,
        help_text="The side you write for (`request` or `offer`): needed only when you are a member of both "
        "organizations.",
    )


class HideMessageSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=conversations.HIDDEN_REASON_MAX_LENGTH,
        help_text="Why it is hidden: the two sides read it.",
    )

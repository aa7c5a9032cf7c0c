"""Matches through their lifecycle, and outcomes: written through `matchmaking.services`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matchmaking.choices import MatchStatus
from matchmaking.models import (
    Match,
    MatchEvent,
    Objective,
    Opportunity,
    Organization,
    Outcome,
    OutcomeIndicator,
)
from matchmaking.services import matches, outcomes

from .fields import OBJECTIVE_HINT, CodeListField
from .opportunities import sees_contact


class MatchPostingSerializer(serializers.ModelSerializer):
    """An opportunity as a match shows it. Hidden contact details are shown to the other side only once
    the match was accepted."""

    organization_name = serializers.CharField(source="organization.name", read_only=True)
    country = serializers.CharField(source="organization.country_id", read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "direction",
            "status",
            "title",
            "cooperation_type",
            "organization",
            "organization_name",
            "country",
            "capacity",
            "contact_name",
            "contact_email",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "contact_email" in data and instance.hide_contact and not sees_contact(self.context, instance):
            data["contact_name"] = data["contact_email"] = ""
        return data


class OutcomePostingSerializer(MatchPostingSerializer):
    """An opportunity as a (public) outcome names it: without contact details."""

    class Meta(MatchPostingSerializer.Meta):
        fields = [name for name in MatchPostingSerializer.Meta.fields if not name.startswith("contact_")]
        read_only_fields = fields


class MatchEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_status = serializers.ChoiceField(
        choices=MatchStatus.choices, allow_blank=True, read_only=True, help_text="Empty for the first step."
    )

    class Meta:
        model = MatchEvent
        fields = ["from_status", "to_status", "actor", "note", "created_at"]
        read_only_fields = fields


class OutcomeIndicatorSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, coerce_to_string=False)

    class Meta:
        model = OutcomeIndicator
        fields = ["key", "label", "value", "unit"]

    def validate(self, attrs):
        try:
            OutcomeIndicator.clean_label(attrs.get("key"), attrs.get("label"))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class OutcomeSerializer(serializers.ModelSerializer):
    """What a completed match achieved. On completion, `objectives` default to both opportunities'."""

    request = OutcomePostingSerializer(source="match.request", read_only=True)
    offer = OutcomePostingSerializer(source="match.offer", read_only=True)
    achieved_on = serializers.DateField(required=False, help_text="Defaults to today.")
    objectives = CodeListField(
        Objective,
        code_field="code",
        hint=OBJECTIVE_HINT,
        required=False,
        help_text="Objective codes of any framework; on completion, defaults to both postings' objectives.",
    )
    indicators = OutcomeIndicatorSerializer(many=True, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    editable_until = serializers.DateTimeField(
        read_only=True, help_text="Until when the two sides' editors may change it."
    )

    class Meta:
        model = Outcome
        fields = [
            "id",
            "match",
            "request",
            "offer",
            "summary",
            "achieved_on",
            "evidence_url",
            "is_private",
            "objectives",
            "indicators",
            "created_by",
            "created_at",
            "updated_at",
            "editable_until",
        ]
        read_only_fields = ["match", "created_at", "updated_at"]

    def update(self, instance, validated_data):
        return outcomes.update_outcome(instance, user=self.context["request"].user, data=validated_data)


class MatchRecordSerializer(serializers.ModelSerializer):
    """A match through its lifecycle, with its history and, once completed, its outcome."""

    request = MatchPostingSerializer(read_only=True)
    offer = MatchPostingSerializer(read_only=True)
    initiated_by_name = serializers.CharField(source="initiated_by.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    history = MatchEventSerializer(source="events", many=True, read_only=True)
    outcome = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    unread_messages = serializers.IntegerField(
        read_only=True,
        help_text="Messages of its conversation (`messages/`) that others wrote and you have not read yet.",
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "status",
            "request",
            "offer",
            "initiated_by",
            "initiated_by_name",
            "created_by",
            "message",
            "created_at",
            "updated_at",
            "history",
            "outcome",
            "allowed_actions",
            "unread_messages",
        ]
        read_only_fields = fields

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, match):
        try:
            outcome = match.outcome
        except Outcome.DoesNotExist:
            return None
        return OutcomeSerializer(outcome, context=self.context).data

    @extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(matches.TRANSITIONS)}})
    def get_allowed_actions(self, match):
        """The steps the requesting user may take now."""
        user = self.context["request"].user
        if "editor_of" not in self.context:
            self.context["editor_of"] = matches.editor_organization_ids(user)
        return matches.allowed_actions(match, user, editor_of=self.context["editor_of"])


class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    """An opportunity by id, among those the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Opportunity.objects.all(), **kwargs)

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.context["request"].user).select_related("organization")


class ExpressInterestSerializer(serializers.Serializer):
    request = VisibleOpportunityField(help_text="The request (id).")
    offer = VisibleOpportunityField(help_text="The offer (id).")
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    initiated_by = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="The side that is interested; needed only when you edit for both, or as staff for neither.",
    )


class MatchNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default="", help_text="Why, for the history."
    )

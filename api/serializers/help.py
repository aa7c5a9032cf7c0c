"""Who could help with a request that waits for help, and inviting one of them: through
`matchmaking.services.who_could_help`."""

from rest_framework import serializers

from matchmaking.choices import HelpReason, HelpStatus
from matchmaking.models import HelpInvitation, Opportunity, Organization


class HelpOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "country"]
        read_only_fields = fields


class HelpPostingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Opportunity
        fields = ["id", "direction", "title", "cooperation_type"]
        read_only_fields = fields


class HelpReasonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=HelpReason.choices,
        help_text="`offered`: an offer it made (`posting`); `completed`: a cooperation it completed as the "
        "offering side, with `partner`, for the request `posting`.",
    )
    posting = HelpPostingSerializer()
    partner = HelpOrganizationSerializer(
        allow_null=True, help_text="The organization it helped (`completed`)."
    )
    year = serializers.IntegerField(help_text="When it was offered, or achieved.")
    likeness = serializers.FloatField(
        allow_null=True, help_text="How close in meaning to the request, 0 to 1 (null: no vector yet)."
    )
    same_type = serializers.BooleanField(help_text="Of the request's kind of cooperation.")
    text = serializers.CharField(help_text="The reason in words, in the language of the request.")


class HelpSuggestionSerializer(serializers.Serializer):
    organization = HelpOrganizationSerializer()
    score = serializers.FloatField(help_text="Higher is better; comparable within one response.")
    reasons = HelpReasonSerializer(
        many=True, help_text="Its past cooperation like the request, most alike first."
    )
    invited_at = serializers.DateTimeField(
        source="invitation.created_at", allow_null=True, help_text="When it was invited (null: not yet)."
    )


class HelpAdviceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=HelpStatus.choices,
        help_text="`waiting`: no proposal after the set number of days and no good match, so organizations "
        "that could help are suggested; otherwise why not.",
    )
    status_text = serializers.CharField(source="get_status_display", help_text="`status` in words.")
    waiting_since = serializers.DateField(
        allow_null=True, help_text="When it was published (`waiting` only)."
    )
    best_score = serializers.FloatField(
        allow_null=True, help_text="The score of its best recommended offer, when it was ranked."
    )
    suggestions = HelpSuggestionSerializer(many=True)


class InviteSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text="One of the organizations suggested."
    )


class HelpInvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reasons = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = HelpInvitation
        fields = ["id", "request", "organization", "invited_by", "reasons", "created_at"]
        read_only_fields = fields

"""Serializers of the public API. Reference rows are read and written by their code or slug; the
validation rules live on the models and are only called from here."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matchmaking import services
from matchmaking.choices import MatchStatus, MemberRole, OpportunityStatus
from matchmaking.models import (
    AlertPreference,
    CooperationType,
    Country,
    CountryGroup,
    Framework,
    Goal,
    Language,
    Match,
    MatchEvent,
    Membership,
    Notification,
    Objective,
    Opportunity,
    Organization,
    Outcome,
    OutcomeIndicator,
    Theme,
)
from matchmaking.models.opportunities import LIST_LIMITS

COUNTRY_HINT = "Use ISO 3166-1 alpha-2 codes, as listed at /api/v1/countries/."
LANGUAGE_HINT = "Use ISO 639-1 codes such as en, fr, es."
OBJECTIVE_HINT = "Use objective codes such as 1.1 or GBF-TARGET-01, as listed at /api/v1/objectives/."


def unknown_codes(model, codes, hint=None):
    """The message for codes that name no row: which ones, and which are allowed (or a hint where
    the list is too long to repeat)."""
    what = model._meta.verbose_name
    message = f"Unknown {what}: {', '.join(str(code) for code in codes)}."
    if hint is None:
        allowed = ", ".join(str(pk) for pk in model.objects.values_list("pk", flat=True))
        hint = f"Allowed: {allowed}."
    return serializers.ValidationError(f"{message} {hint}")


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.Field):
    """One reference row, by its code (its primary key unless `code_field` says otherwise)."""

    def __init__(self, model, code_field="pk", hint=None, **kwargs):
        self.model, self.code_field, self.hint = model, code_field, hint
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected a code (a string).")
        row = self.model.objects.filter(**{self.code_field: data}).first()
        if row is None:
            raise unknown_codes(self.model, [data], self.hint)
        return row

    def to_representation(self, value):
        return getattr(value, self.code_field)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CodeListField(serializers.ListField):
    """A list of reference rows by their codes, looked up in one query; duplicates are dropped."""

    def __init__(self, model, code_field="pk", hint=None, **kwargs):
        self.model, self.code_field, self.hint = model, code_field, hint
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        if self.max_length is not None and len(codes) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        rows = self.model.objects.filter(**{f"{self.code_field}__in": codes})
        found = {str(getattr(row, self.code_field)): row for row in rows}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise unknown_codes(self.model, unknown, self.hint)
        return [found[code] for code in codes]

    def to_representation(self, value):
        return [getattr(row, self.code_field) for row in value.all()]


# --------------------------------------------------------------------------- organizations


class OrganizationSerializer(serializers.ModelSerializer):
    country = CodeField(Country, hint=COUNTRY_HINT)
    country_name = serializers.CharField(source="country.name", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "country", "country_name", "website", "verified", "created_at"]
        read_only_fields = ["created_at"]

    def validate_verified(self, verified):
        current = self.instance.verified if self.instance else False
        if verified != current and not self.context["request"].user.is_staff:
            raise serializers.ValidationError("Only staff may change whether an organization is verified.")
        return verified


LAST_EDITOR = "An organization keeps at least one editor."


def is_last_editor(membership):
    others = membership.organization.memberships.filter(role=MemberRole.EDITOR).exclude(pk=membership.pk)
    return membership.role == MemberRole.EDITOR and not others.exists()


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.SlugRelatedField(
        source="user", slug_field="username", queryset=get_user_model().objects.all()
    )

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]
        read_only_fields = ["created_at"]

    def validate_username(self, user):
        if self.instance is not None:
            if user != self.instance.user:
                raise serializers.ValidationError("A membership cannot move to another user.")
        elif self.context["organization"].memberships.filter(user=user).exists():
            raise serializers.ValidationError("This user is already a member of the organization.")
        return user

    def validate_role(self, role):
        if self.instance is not None and role != MemberRole.EDITOR and is_last_editor(self.instance):
            raise serializers.ValidationError(LAST_EDITOR)
        return role

    def create(self, validated_data):
        return Membership.objects.create(organization=self.context["organization"], **validated_data)


# --------------------------------------------------------------------------- postings


class OpportunitySerializer(serializers.ModelSerializer):
    cooperation_type = CodeField(CooperationType, required=False)
    themes = CodeListField(Theme, max_length=LIST_LIMITS["themes"], required=False)
    objectives = CodeListField(
        Objective,
        code_field="code",
        hint=OBJECTIVE_HINT,
        max_length=LIST_LIMITS["objectives"],
        required=False,
    )
    languages = CodeListField(
        Language, hint=LANGUAGE_HINT, max_length=LIST_LIMITS["languages"], required=False
    )
    eligible_groups = CodeListField(CountryGroup, max_length=LIST_LIMITS["eligible_groups"], required=False)
    eligible_countries = CodeListField(
        Country, hint=COUNTRY_HINT, max_length=LIST_LIMITS["eligible_countries"], required=False
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "direction",
            "status",
            "title",
            "description",
            "cooperation_type",
            "themes",
            "objectives",
            "organization",
            "organization_name",
            "languages",
            "eligible_groups",
            "eligible_countries",
            "starts_on",
            "ends_on",
            "application_deadline",
            "capacity",
            "contact_name",
            "contact_email",
            "hide_contact",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["published_at", "created_at", "updated_at"]

    def validate_direction(self, direction):
        if self.instance is not None and direction != self.instance.direction:
            raise serializers.ValidationError("An offer cannot become a request, nor a request an offer.")
        return direction

    def validate_organization(self, organization):
        if self.instance is not None and organization != self.instance.organization:
            raise serializers.ValidationError("A posting cannot move to another organization.")
        return organization

    def validate_status(self, status):
        current = self.instance.status if self.instance else None
        if status == OpportunityStatus.CLOSED and current != OpportunityStatus.CLOSED:
            raise serializers.ValidationError("Use the close action to close a posting.")
        return status

    def validate(self, attrs):
        def current(name):  # the value after this change, for partial updates too
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors = {}
        try:
            Opportunity.clean_dates(current("starts_on"), current("ends_on"), current("application_deadline"))
        except DjangoValidationError as error:
            errors.update(error.message_dict)
        try:
            Opportunity.clean_lists(
                current("direction"), {name: attrs[name] for name in LIST_LIMITS if name in attrs}
            )
        except DjangoValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        return services.create_opportunity(user=self.context["request"].user, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_opportunity(instance, user=self.context["request"].user, data=validated_data)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.hide_contact and not self._sees_contact(instance):
            data["contact_name"] = data["contact_email"] = ""
        return data

    def _sees_contact(self, instance):
        return sees_contact(self.context, instance)


def sees_contact(context, opportunity):
    """Whether the requesting user may see the posting's hidden contact details (`can_see_contact`);
    what the user may see is read once per response, however many postings it holds."""
    user = context["request"].user
    if "contact_access" not in context:
        context["contact_access"] = services.contact_access(user)
    return services.can_see_contact(opportunity, user, access=context["contact_access"])


class MatchQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=10, help_text="How many matches to return, best first."
    )


class MatchSerializer(serializers.Serializer):
    opportunity = OpportunitySerializer(help_text="The recommended posting, of the other direction.")
    score = serializers.FloatField(help_text="Higher is better; comparable within one response.")
    reasons = serializers.DictField(help_text="Why this posting was recommended, by component.")


class MatchListSerializer(serializers.Serializer):
    results = MatchSerializer(many=True)
    pending = serializers.BooleanField(
        default=False,
        help_text="True while the posting's text has no vector yet (embedding it failed, and it waits for a "
        "retry): the results are then ranked on words and structure only. Ask again later.",
    )


# --------------------------------------------------------------------------- reference data


class CountrySerializer(serializers.ModelSerializer):
    un_group = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="None for the European Union and the Holy See.",
    )
    groups = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Country
        fields = ["code", "name", "un_group", "groups", "un_member", "cbd_party"]


VOCABULARY_FIELDS = [
    "slug",
    "label",
    "label_fr",
    "label_es",
    "description",
    "description_fr",
    "description_es",
]


class CooperationTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CooperationType
        fields = VOCABULARY_FIELDS


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = VOCABULARY_FIELDS


class ObjectiveSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True)
    goal = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Objective
        fields = ["code", "title", "text", "framework", "goal"]


class NestedObjectiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = ["code", "title", "text"]


class GoalSerializer(serializers.ModelSerializer):
    objectives = NestedObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["code", "title", "text", "objectives"]


class FrameworkSerializer(serializers.ModelSerializer):
    goals = GoalSerializer(many=True, read_only=True)
    objectives = NestedObjectiveSerializer(
        many=True,
        read_only=True,
        source="objectives_without_goal",
        help_text="Objectives that belong to no goal, such as the targets of the GBF.",
    )

    class Meta:
        model = Framework
        fields = ["code", "name", "source", "goals", "objectives"]


# --------------------------------------------------------------------------- matches and outcomes


class MatchPostingSerializer(serializers.ModelSerializer):
    """A posting as a match shows it. Hidden contact details are shown to the other side only once
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
    """A posting as a (public) outcome names it: without contact details."""

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
    """What a completed match achieved. On completion, `objectives` default to both postings'."""

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
        return services.update_outcome(instance, user=self.context["request"].user, data=validated_data)


class MatchRecordSerializer(serializers.ModelSerializer):
    """A match through its lifecycle, with its history and, once completed, its outcome."""

    request = MatchPostingSerializer(read_only=True)
    offer = MatchPostingSerializer(read_only=True)
    initiated_by_name = serializers.CharField(source="initiated_by.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    history = MatchEventSerializer(source="events", many=True, read_only=True)
    outcome = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

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
        ]
        read_only_fields = fields

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, match):
        try:
            outcome = match.outcome
        except Outcome.DoesNotExist:
            return None
        return OutcomeSerializer(outcome, context=self.context).data

    @extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(services.TRANSITIONS)}})
    def get_allowed_actions(self, match):
        """The steps the requesting user may take now."""
        user = self.context["request"].user
        if "editor_of" not in self.context:
            self.context["editor_of"] = services.editor_organization_ids(user)
        return services.allowed_actions(match, user, editor_of=self.context["editor_of"])


class VisiblePostingField(serializers.PrimaryKeyRelatedField):
    """A posting by id, among those the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Opportunity.objects.all(), **kwargs)

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.context["request"].user).select_related("organization")


class ExpressInterestSerializer(serializers.Serializer):
    request = VisiblePostingField(help_text="The request (id).")
    offer = VisiblePostingField(help_text="The offer (id).")
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


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "match", "opportunity", "created_at", "read_at"]
        read_only_fields = fields


class AlertPreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertPreference
        fields = ["email", "suggestions"]

    def update(self, instance, validated_data):
        return services.set_alert_preferences(instance.user, **validated_data)

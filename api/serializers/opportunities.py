"""Offers and requests, and the recommendations of one: written through `matchmaking.services`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from matchmaking.choices import OUTPUT_INDICATORS, Cost, OpportunityStatus
from matchmaking.models import CooperationType, Country, CountryGroup, Language, Objective, Opportunity, Theme
from matchmaking.models.opportunities import LIST_LIMITS, NEEDS_FIELDS
from matchmaking.services import contacts, opportunities

from .fields import (
    COUNTRY_HINT,
    LANGUAGE_HINT,
    OBJECTIVE_HINT,
    ChoiceListField,
    CodeField,
    CodeListField,
    CurrencyField,
)


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
    several_partners = serializers.BooleanField(
        required=False,
        help_text="Whether it takes several partners. A posting, offer or request, takes one partner "
        "(`capacity` 1) unless it says it takes several: then `capacity` says how many (2 or more). "
        "Left out, `capacity` alone says it.",
    )
    budget_currency = CurrencyField(
        required=False,
        help_text="The currency of budget_min, budget_max and cofinancing_amount: the ISO 4217 code of a "
        "currency in use (such as EUR, USD, XOF); required with any of them.",
    )
    expected_outputs = ChoiceListField(
        OUTPUT_INDICATORS,
        required=False,
        help_text="The outputs expected, as keys of the outcome indicators.",
    )
    covers = ChoiceListField(
        Cost.choices,
        required=False,
        help_text="An offer: the costs its provider covers; a request: the costs it needs covered.",
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    on_behalf_of_party = serializers.CharField(
        source="organization.focal_point_of_id",
        read_only=True,
        allow_null=True,
        help_text="The Party (ISO 3166-1 alpha-2) on whose behalf this is posted: set only when the "
        "organization is that Party's official national focal point, as designated by the secretariat.",
    )

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
            "on_behalf_of_party",
            "languages",
            "eligible_groups",
            "eligible_countries",
            "starts_on",
            "ends_on",
            "application_deadline",
            "several_partners",
            "capacity",
            *NEEDS_FIELDS,
            "contact_name",
            "contact_email",
            "hide_contact",
            "text_language",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["text_language", "published_at", "created_at", "updated_at"]
        extra_kwargs = {
            "capacity": {
                "help_text": "How many partners it can take: the matches it can hold accepted, in progress "
                "or completed (an offer: how many requests it can serve; a request: how many offers it "
                "can accept). 1 by default; at least 2 when `several_partners` is true. An accept beyond "
                "it is refused (409, `no_capacity`), and it cannot fall below the places already taken."
            }
        }

    def validate_direction(self, direction):
        if self.instance is not None and direction != self.instance.direction:
            raise serializers.ValidationError(_("An offer cannot become a request, nor a request an offer."))
        return direction

    def validate_organization(self, organization):
        if self.instance is not None and organization != self.instance.organization:
            raise serializers.ValidationError(_("A posting cannot move to another organization."))
        return organization

    def validate_status(self, status):
        current = self.instance.status if self.instance else None
        if status == OpportunityStatus.CLOSED and current != OpportunityStatus.CLOSED:
            raise serializers.ValidationError(_("Use the close action to close a posting."))
        return status

    def validate(self, attrs):
        def current(name):  # the value after this change, for partial updates too
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        several = attrs.pop("several_partners", None)
        errors = {}
        for check in (
            lambda: Opportunity.clean_dates(
                current("starts_on"), current("ends_on"), current("application_deadline")
            ),
            lambda: Opportunity.clean_lists(
                current("direction"), {name: attrs[name] for name in LIST_LIMITS if name in attrs}
            ),
            lambda: Opportunity.clean_capacity(current("capacity"), several),
            lambda: Opportunity.clean_needs(
                current("direction"), {name: current(name) for name in NEEDS_FIELDS}
            ),
        ):
            try:
                check()
            except DjangoValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        created = opportunities.create_opportunity(user=self.context["request"].user, data=validated_data)
        created.refresh_from_db(fields=["text_language"])  # read by the embedding task, if it ran already
        return created

    def update(self, instance, validated_data):
        updated = opportunities.update_opportunity(
            instance, user=self.context["request"].user, data=validated_data
        )
        updated.refresh_from_db(fields=["text_language"])  # read by the embedding task, if it ran already
        return updated

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.hide_contact and not self._sees_contact(instance):
            data["contact_name"] = data["contact_email"] = ""
        return data

    def _sees_contact(self, instance):
        return sees_contact(self.context, instance)


def sees_contact(context, opportunity):
    """Whether the requesting user may see the opportunity's hidden contact details (`can_see_contact`);
    what the user may see is read once per response, however many opportunities it holds."""
    user = context["request"].user
    if "contact_access" not in context:
        context["contact_access"] = contacts.contact_access(user)
    return contacts.can_see_contact(opportunity, user, access=context["contact_access"])


class RenewSerializer(serializers.Serializer):
    ends_on = serializers.DateField(
        help_text="The new end date: in the future, later than the current one, and at most "
        "RENEWAL_MAX_DAYS (365 by default) from today."
    )
    application_deadline = serializers.DateField(
        required=False,
        help_text="For a posting with an application deadline: the new one (neither past, nor earlier than "
        "the current one, nor after the new end date). Left out, it moves by as many days as the end date.",
    )


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

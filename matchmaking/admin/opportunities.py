"""Offers and requests, and their stored vectors."""

from django import forms
from django.contrib import admin

from matchmaking import models
from matchmaking.choices import OUTPUT_INDICATORS, Cost
from matchmaking.labels import currency_choices
from matchmaking.services import moderation, opportunities

from .base import ReadOnlyAdmin, ServiceAdmin, service_action


@admin.register(models.Opportunity)
class OpportunityAdmin(ServiceAdmin):
    """Saved through the services: a changed text is embedded again, and every change audited.
    Opportunities with matches cannot be deleted, only closed: their history stays. Status and
    moderation change through the actions (and staff hide with a reason on the moderation page)."""

    list_display = [
        "title",
        "direction",
        "cooperation_type",
        "organization",
        "status",
        "moderation",
        "ends_on",
    ]
    list_filter = [
        "direction",
        "status",
        "moderation",
        "cooperation_type",
        "themes",
        "organization__country__un_group",
    ]
    search_fields = ["title", "description", "organization__name"]
    autocomplete_fields = ["organization", "eligible_countries", "objectives"]
    filter_horizontal = ["themes", "languages", "eligible_groups"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "status",
        "moderation",
        "moderation_reason",
        "created_by",
        "published_at",
        "created_at",
        "updated_at",
    ]
    create = opportunities.create_opportunity
    update = opportunities.update_opportunity
    delete = opportunities.delete_opportunity
    actions = [
        service_action(
            "close", opportunities.close_opportunity, "Close the selected opportunities", "Closed"
        ),
        service_action(
            "approve",
            moderation.approve_opportunity,
            "Approve the selected opportunities (show them to everyone)",
            "Approved",
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The lists of structured needs as checkboxes and the currency as a choice, as on the pages."""
        choices = {
            "budget_currency": lambda: [("", "—"), *currency_choices()],
            "expected_outputs": OUTPUT_INDICATORS,
            "covers": Cost.choices,
        }.get(db_field.name)
        if choices is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        field = forms.ChoiceField if db_field.name == "budget_currency" else forms.MultipleChoiceField
        widget = forms.Select if field is forms.ChoiceField else forms.CheckboxSelectMultiple
        return field(
            choices=choices,
            required=False,
            widget=widget,
            label=db_field.verbose_name.capitalize(),
            help_text=db_field.help_text,
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # neither changes once posted (the API refuses it too)
            return ["direction", "organization", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and opportunities.has_matches(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """What deleting takes with it (its vector, notifications, digests sent) is the service's to
        decide: the records it deletes need no permission of their own here."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


@admin.register(models.OpportunityEmbedding)
class OpportunityEmbeddingAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "status", "model_name", "attempts", "updated_at"]
    list_filter = ["status", "model_name"]
    search_fields = ["opportunity__title", "text_hash"]
    exclude = ["vector"]

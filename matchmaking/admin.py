from django.contrib import admin
from django.db.models import Q

from matchmaking import audit, models
from matchmaking.models import AuditAction


class AuditedAdmin(admin.ModelAdmin):
    """Writes every save and delete made on its pages to the audit log, in the page's transaction."""

    def save_model(self, request, obj, form, change):
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            obj._audit_before = audit.snapshot(stored, m2m=self.audited_m2m())
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = audit.snapshot(obj, m2m=self.audited_m2m())
        audit.record(
            obj, user=request.user, operation="admin", before=getattr(obj, "_audit_before", None), after=after
        )

    def delete_model(self, request, obj):
        self.record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def record_deletion(self, request, obj):
        before = audit.snapshot(obj, m2m=self.audited_m2m())
        audit.record(obj, user=request.user, operation="admin", action=AuditAction.DELETE, before=before)

    def audited_m2m(self):
        return [field.name for field in self.model._meta.many_to_many]


@admin.register(models.CountryGroup)
class CountryGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "as_of", "source"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(models.Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "un_group", "un_member", "cbd_party"]
    list_filter = ["un_group", "groups", "un_member", "cbd_party"]
    search_fields = ["code", "name"]
    filter_horizontal = ["groups"]


@admin.register(models.Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["slug", "label", "label_fr", "label_es", "position"]
    list_editable = ["position"]
    search_fields = ["slug", "label", "label_fr", "label_es", "description"]
    list_filter = ["position"]


admin.site.register(models.CooperationType, VocabularyAdmin)
admin.site.register(models.Theme, VocabularyAdmin)


class GoalInline(admin.TabularInline):
    model = models.Goal
    extra = 0


@admin.register(models.Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position"]
    search_fields = ["code", "name"]
    list_filter = ["position"]
    inlines = [GoalInline]


@admin.register(models.Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "framework"]
    list_filter = ["framework"]
    search_fields = ["code", "title", "text"]


class ActivityInline(admin.TabularInline):
    model = models.Activity
    extra = 0


@admin.register(models.Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["code", "short_text", "goal", "framework"]
    list_filter = ["framework", "goal"]
    search_fields = ["code", "title", "text"]
    inlines = [ActivityInline]


@admin.register(models.Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "actor", "objective"]
    list_filter = ["actor", "objective__framework", "objective"]
    search_fields = ["code", "text"]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "verified", "created_at"]
    list_filter = ["kind", "verified", "country__un_group"]
    search_fields = ["name", "country__name", "country__code"]
    autocomplete_fields = ["country"]
    inlines = [MembershipInline]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(models.Opportunity)
class OpportunityAdmin(AuditedAdmin):
    """Postings with matches cannot be deleted, only closed: their history stays."""

    list_display = [
        "title",
        "direction",
        "cooperation_type",
        "organization",
        "status",
        "ends_on",
        "created_at",
    ]
    list_filter = ["direction", "status", "cooperation_type", "themes", "organization__country__un_group"]
    search_fields = ["title", "description", "organization__name"]
    autocomplete_fields = ["organization", "eligible_countries", "objectives"]
    filter_horizontal = ["themes", "languages", "eligible_groups"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_by", "published_at", "created_at", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and models.Match.objects.filter(Q(request=obj) | Q(offer=obj)).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(models.OpportunityEmbedding)
class OpportunityEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "status", "model_name", "attempts", "updated_at"]
    list_filter = ["status", "model_name"]
    search_fields = ["opportunity__title", "text_hash"]
    exclude = ["vector"]
    readonly_fields = ["opportunity", "model_name", "text_hash", "updated_at"]


class MatchEventInline(admin.TabularInline):
    model = models.MatchEvent
    extra = 0
    readonly_fields = ["actor", "from_status", "to_status", "note", "created_at"]
    can_delete = False


@admin.register(models.Match)
class MatchAdmin(AuditedAdmin):
    """Matches are never deleted: they are declined, withdrawn or cancelled, and their history stays."""

    list_display = ["id", "request", "offer", "status", "score", "created_at"]
    list_filter = ["status"]
    search_fields = ["request__title", "offer__title", "initiated_by__name"]
    raw_id_fields = ["request", "offer", "initiated_by", "created_by"]
    inlines = [MatchEventInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.MatchEvent)
class MatchEventAdmin(admin.ModelAdmin):
    list_display = ["match", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["note", "actor__username"]
    raw_id_fields = ["match", "actor"]


class OutcomeIndicatorInline(admin.TabularInline):
    model = models.OutcomeIndicator
    extra = 0


@admin.register(models.Outcome)
class OutcomeAdmin(AuditedAdmin):
    """Outcomes are never deleted: what cooperation achieved stays on record."""

    list_display = ["match", "achieved_on", "is_private", "created_at"]
    list_filter = ["is_private", "objectives__framework"]
    search_fields = ["summary"]
    raw_id_fields = ["match", "created_by"]
    filter_horizontal = ["objectives"]
    inlines = [OutcomeIndicatorInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.OutcomeIndicator)
class OutcomeIndicatorAdmin(admin.ModelAdmin):
    list_display = ["outcome", "key", "label", "value", "unit"]
    list_filter = ["key"]
    search_fields = ["label", "unit"]


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "message"]
    raw_id_fields = ["user", "match", "opportunity"]


@admin.register(models.AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "suggestions", "updated_at"]
    list_filter = ["email", "suggestions"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(models.AlertSent)
class AlertSentAdmin(admin.ModelAdmin):
    list_display = ["sent_on", "organization", "suggested", "for_opportunity", "score"]
    list_filter = ["sent_on"]
    search_fields = ["organization__name", "suggested__title", "for_opportunity__title"]
    raw_id_fields = ["organization", "suggested", "for_opportunity"]
    date_hierarchy = "sent_on"


@admin.register(models.RankerWeights)
class RankerWeightsAdmin(admin.ModelAdmin):
    """Learned weights and their provenance; the page says which weights ranking uses now.
    Untick `is_active` to go back to the previous weights (or the hand-set ones)."""

    list_display = [
        "id",
        "created_at",
        "is_active",
        "in_use",
        "labels",
        "positives",
        "metric",
        "score",
        "baseline_score",
    ]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    readonly_fields = [
        "weights",
        "method",
        "labels",
        "positives",
        "metric",
        "score",
        "baseline_score",
        "baseline",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # only `manage.py train_ranker` stores weights, after comparing them

    @admin.display(boolean=True, description="in use")
    def in_use(self, obj):
        from matchmaking.matching import weights_in_use

        return weights_in_use()[1].get("id") == obj.pk

    def changelist_view(self, request, extra_context=None):
        from matchmaking.matching import weights_in_use

        weights, provenance = weights_in_use()
        values = ", ".join(f"{name} {value:.3f}" for name, value in weights.to_dict().items())
        source = f"learned #{provenance['id']}" if provenance["source"] == "learned" else "hand-set"
        self.message_user(request, f"Ranking uses the {source} weights: {values}.")
        return super().changelist_view(request, extra_context)


@admin.register(models.AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Who changed which posting, match or outcome, when and how: read-only."""

    list_display = ["created_at", "actor_name", "action", "model", "object_id", "object_repr", "operation"]
    list_filter = ["action", "model", "operation"]
    search_fields = ["actor_name", "object_id", "object_repr"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

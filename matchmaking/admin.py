from django.contrib import admin

from matchmaking import models


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
class OpportunityAdmin(admin.ModelAdmin):
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
class MatchAdmin(admin.ModelAdmin):
    list_display = ["id", "request", "offer", "status", "score", "created_at"]
    list_filter = ["status"]
    search_fields = ["request__title", "offer__title", "initiated_by__name"]
    raw_id_fields = ["request", "offer", "initiated_by", "created_by"]
    inlines = [MatchEventInline]


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
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["match", "achieved_on", "is_private", "created_at"]
    list_filter = ["is_private", "objectives__framework"]
    search_fields = ["summary"]
    raw_id_fields = ["match", "created_by"]
    filter_horizontal = ["objectives"]
    inlines = [OutcomeIndicatorInline]


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

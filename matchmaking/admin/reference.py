"""Reference data: countries and their groups, languages, vocabularies, frameworks."""

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

"""Fields and labels the forms share: groups, languages and objectives shown in the user's language."""

from itertools import groupby

from django import forms
from django.forms.models import ModelChoiceIterator

from matchmaking.labels import group_name, language_name, reading_order
from matchmaking.models import Objective, Theme


class CountryIterator(ModelChoiceIterator):
    """Countries by their names in the reader's language, in the reader's alphabetical order."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from (
            self.choice(country) for country in reading_order(self.queryset, key=lambda c: c.local_name)
        )


class CountryChoiceField(forms.ModelChoiceField):
    iterator = CountryIterator


class CountryMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = CountryIterator


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return group_name(obj)


class GroupSingleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return group_name(obj)


# The UN's working languages come first in language lists, then the others by name.
FIRST_LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh", "pt"]


class LanguageIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        choices = [self.choice(language) for language in self.queryset]
        first = {code: i for i, code in enumerate(FIRST_LANGUAGES)}
        yield from sorted(choices, key=lambda c: (first.get(str(c[0]), len(first)), str(c[1]).casefold()))


class LanguageChoiceField(forms.ModelMultipleChoiceField):
    iterator = LanguageIterator

    def label_from_instance(self, obj):
        return language_name(obj)


class ObjectiveIterator(ModelChoiceIterator):
    """Objectives grouped by goal (or by framework, for targets that belong to no goal)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        objectives = self.queryset.select_related("framework", "goal")
        for _key, members in groupby(objectives, key=lambda o: (o.framework_id, o.goal_id)):
            members = list(members)
            first = members[0]
            if first.goal is not None:
                label = f"{first.framework.local_name} · {first.goal.code}. {first.goal.local_title}"
            else:
                label = first.framework.local_name
            yield (label, [self.choice(objective) for objective in members])


class ObjectiveChoiceField(forms.ModelMultipleChoiceField):
    iterator = ObjectiveIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Objective.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("widget", GroupedCheckboxSelectMultiple)
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.short_text}"


class GroupedCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Checkboxes in one fieldset per group of choices."""

    template_name = "matchmaking/widgets/grouped_checkboxes.html"


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Theme.objects.all())
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple(attrs={"class": "columns"}))
        super().__init__(**kwargs)


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LanguageSingleChoiceField(forms.ModelChoiceField):
    iterator = LanguageIterator

    def label_from_instance(self, obj):
        return language_name(obj)

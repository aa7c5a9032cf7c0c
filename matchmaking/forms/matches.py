"""Expressing interest, the steps of a match, its outcome, and hiding an opportunity (staff)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import Indicator

from .fields import DATE_WIDGET, ObjectiveChoiceField


class InterestForm(forms.Form):
    partner = forms.IntegerField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: a few words for the other organization."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: a few words kept in the history of the match."),
    )


class OutcomeForm(forms.Form):
    summary = forms.CharField(
        label=_("What the cooperation achieved"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("In a few sentences: what was done, for whom, and what changed."),
    )
    achieved_on = forms.DateField(
        label=_("Achieved on"), widget=DATE_WIDGET, help_text=_("The day the cooperation was completed.")
    )
    evidence_url = forms.URLField(
        label=_("Evidence"),
        required=False,
        assume_scheme="https",
        help_text=_("Optional: a link to a report, a website or a publication."),
    )
    is_private = forms.BooleanField(
        label=_("Keep this outcome private"),
        required=False,
        help_text=_("Private outcomes are seen only by the two organizations and the secretariat."),
    )
    objectives = ObjectiveChoiceField(
        required=False,
        label=_("Objectives served"),
        help_text=_("The objectives of the strategic plans that the cooperation served."),
    )

    def outcome(self, indicators):
        data = dict(self.cleaned_data)
        data["objectives"] = list(data["objectives"])
        data["evidence_url"] = data.get("evidence_url") or ""
        data["indicators"] = indicators
        return data


class IndicatorForm(forms.Form):
    key = forms.ChoiceField(label=_("Indicator"), choices=[("", "—"), *Indicator.choices], required=False)
    label = forms.CharField(
        label=_("What is counted"), required=False, max_length=100, help_text=_("For “Other” only.")
    )
    value = forms.DecimalField(label=_("Value"), required=False, max_digits=14, decimal_places=2, min_value=0)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=40)

    def clean(self):
        cleaned = super().clean()
        key, value = cleaned.get("key"), cleaned.get("value")
        if key and value is None:
            self.add_error("value", _("Give the value of this indicator."))
        if value is not None and not key:
            self.add_error("key", _("Choose what this value counts."))
        if key == Indicator.OTHER and not cleaned.get("label"):
            self.add_error("label", _("Say what is counted."))
        return cleaned

    def indicator(self):
        if not self.cleaned_data.get("key"):
            return None
        return {name: self.cleaned_data.get(name) or "" for name in ("key", "label", "unit")} | {
            "value": self.cleaned_data["value"]
        }


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=3, max_num=10)


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the posting's editors."),
        error_messages={"required": _("Say why the posting is hidden: its editors will read it.")},
    )

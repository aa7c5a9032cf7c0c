"""The dashboard's filters."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from matchmaking.models import Framework, Objective
from matchmaking.reports.base import ReportFilters


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    framework = forms.ModelChoiceField(
        Framework.objects.all(),
        label=_("Framework"),
        to_field_name="code",
        required=False,
        empty_label=_("All frameworks"),
    )
    objective = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_objective(self):
        code = self.cleaned_data["objective"]
        if code and not Objective.objects.filter(code=code).exists():
            raise ValidationError(_("Unknown objective: %(code)s."), params={"code": code})
        return code

    def report_filters(self, user):
        """The filters of a valid form (the period checked by ReportFilters), or none."""
        if self.is_valid():
            framework = self.cleaned_data["framework"]
            try:
                return ReportFilters(
                    date_from=self.cleaned_data["date_from"],
                    date_to=self.cleaned_data["date_to"],
                    framework=framework.code if framework else None,
                    user=user,
                )
            except ValidationError as error:
                self.add_error(None, error)
        return ReportFilters(user=user)

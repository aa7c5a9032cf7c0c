"""Opportunity an offer or a request, and the browse page's filters."""

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from matchmaking.choices import OUTPUT_INDICATORS, Cost, Direction, Level, OpportunityStatus
from matchmaking.filtersets import OpportunityFilterSet
from matchmaking.labels import currency_choices
from matchmaking.models import CooperationType, Country, CountryGroup, Language, Opportunity, Organization
from matchmaking.models.opportunities import LIST_LIMITS, NEEDS_FIELDS, REQUEST_ONLY_FIELDS

from .fields import (
    DATE_WIDGET,
    CountryChoiceField,
    CountryMultipleChoiceField,
    GroupChoiceField,
    GroupSingleChoiceField,
    LanguageChoiceField,
    LanguageSingleChoiceField,
    ObjectiveChoiceField,
    ThemeChoiceField,
)


class OpportunityForm(forms.ModelForm):
    """Posts or edits an offer or a request. The direction is chosen before the form, which shows only
    the fields of that direction (an offer's eligibility, for example, has no place in a request): a
    value sent for a field of the other direction is ignored, as when editing. The direction and the
    organization are chosen once, when the opportunity is created."""

    # Fields that only an offer has.
    OFFER_ONLY = ("eligible_groups", "eligible_countries")

    themes = ThemeChoiceField(
        required=False,
        label=_("Themes"),
        help_text=_("The CBD programme areas and cross-cutting issues it concerns."),
    )
    objectives = ObjectiveChoiceField(
        required=False,
        label=_("Objectives served"),
        help_text=_("The objectives of the strategic plans that this cooperation serves."),
    )
    languages = LanguageChoiceField(
        queryset=Language.objects.all(),
        required=False,
        label=_("Working languages"),
        help_text=_("The languages in which the cooperation can take place. Hold Ctrl to pick several."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    eligible_groups = GroupChoiceField(
        queryset=CountryGroup.objects.all(),
        required=False,
        label=_("Eligible groups of countries"),
        help_text=_(
            "Organizations of countries in any of these groups may take it up. "
            "Leave empty, with no eligible country either, to open it to every country."
        ),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "columns"}),
    )
    partners = forms.ChoiceField(
        choices=[("one", _("One partner")), ("several", _("Several partners"))],
        initial="one",
        required=False,
        label=_("Partners"),
        help_text=_(
            "A posting takes one partner unless you say it takes several; then say how many under Capacity."
        ),
        widget=forms.RadioSelect,
    )
    eligible_countries = CountryMultipleChoiceField(
        queryset=Country.objects.all(),
        required=False,
        label=_("Eligible countries"),
        help_text=_("Countries whose organizations may take it up, beyond the groups above."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    budget_currency = forms.ChoiceField(
        choices=lambda: [("", _("None")), *currency_choices()],
        required=False,
        label=_("Currency"),
        help_text=_("The currency of the budget and of the co-financing."),
    )
    cofinancing = forms.NullBooleanField(
        required=False,
        label=_("Co-financing"),
        help_text=_("Requests only: whether you bring funds of your own."),
        widget=forms.NullBooleanSelect(),
    )
    expected_outputs = forms.MultipleChoiceField(
        choices=OUTPUT_INDICATORS,
        required=False,
        label=_("Expected outputs"),
        help_text=_("What the cooperation should produce, as the outcome indicators count it."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "columns"}),
    )
    covers = forms.MultipleChoiceField(
        choices=Cost.choices,
        required=False,
        label=_("Costs covered"),
        help_text=_("An offer: the costs you cover. A request: the costs you need covered."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "columns"}),
    )

    class Meta:
        model = Opportunity
        fields = [
            "organization",
            "title",
            "description",
            "cooperation_type",
            "themes",
            "objectives",
            "languages",
            "eligible_groups",
            "eligible_countries",
            "capacity",
            "starts_on",
            "ends_on",
            "application_deadline",
            *NEEDS_FIELDS,
            "contact_name",
            "contact_email",
            "hide_contact",
        ]
        labels = {
            "organization": _("Organization"),
            "title": _("Title"),
            "description": _("Description"),
            "cooperation_type": _("Kind of cooperation"),
            "starts_on": _("Starts on"),
            "ends_on": _("Ends on"),
            "application_deadline": _("Application deadline"),
            "capacity": _("Capacity"),
            "contact_name": _("Contact name"),
            "contact_email": _("Contact e-mail"),
            "hide_contact": _("Hide the contact details"),
            "budget_min": _("Budget from"),
            "budget_max": _("Budget up to"),
            "cofinancing_amount": _("Co-financing amount"),
            "beneficiaries": _("Beneficiaries"),
            "beneficiaries_count": _("Number of beneficiaries"),
            "level": _("Level"),
            "duration_months": _("Duration (months)"),
        }
        help_texts = {
            "organization": _("The organization that posts it; you must be one of its editors."),
            "title": _("One line that says what is offered or needed."),
            "description": _(
                "What is offered or needed, for whom, and under which conditions. "
                "Any language; recommendations work best with a few precise sentences."
            ),
            "cooperation_type": _("The main kind of cooperation."),
            "starts_on": _("Optional: when the cooperation can start."),
            "ends_on": _("Optional: when it ends. An ended posting is no longer recommended."),
            "application_deadline": _("Optional: the last day to express interest."),
            "capacity": _(
                "How many partners it can take: 1 for one partner; with several, how many (an offer: "
                "how many requests it can serve; a request: how many offers it can accept). Each accepted "
                "match takes a place until it is cancelled."
            ),
            "contact_name": _("Who partners should contact."),
            "contact_email": _("Where partners can write."),
            "hide_contact": _("Show the contact details only to partners whose match was accepted."),
            "budget_min": _("In whole units of the currency; an offer's budget is per partner."),
            "budget_max": _("Leave empty for no upper bound."),
            "cofinancing_amount": _("Requests only: in the budget's currency."),
            "beneficiaries": _(
                "Requests only: who benefits, e.g. staff of the national CHM, local communities."
            ),
            "beneficiaries_count": _("Requests only: how many people benefit."),
            "level": _("The scale it works at."),
            "duration_months": _("How long the cooperation lasts."),
        }
        error_messages = {
            "title": {"required": _("Enter a title.")},
            "description": {"required": _("Describe what is offered or needed.")},
            "cooperation_type": {"required": _("Choose the kind of cooperation.")},
        }
        widgets = {
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "starts_on": DATE_WIDGET,
            "ends_on": DATE_WIDGET,
            "application_deadline": DATE_WIDGET,
        }

    def __init__(self, *args, user, direction=None, **kwargs):
        initial = kwargs.get("initial") or {}
        super().__init__(*args, **kwargs)
        self.direction = self.instance.direction if self.instance.pk else direction
        if self.direction not in Direction.values:
            raise ValueError(f"An opportunity form needs a direction, not {self.direction!r}.")
        self.instance.direction = self.direction  # the model's checks depend on it
        self.fields["capacity"].required = False  # one partner: 1
        if self.instance.pk and self.instance.capacity > 1:
            self.initial["partners"] = "several"
        cooperation_type = self.fields["cooperation_type"]
        cooperation_type.queryset = CooperationType.objects.all()
        cooperation_type.empty_label = _("Choose a type")
        if self.direction != Direction.OFFER:
            for name in self.OFFER_ONLY:
                del self.fields[name]
        if self.direction == Direction.OFFER:
            for name in REQUEST_ONLY_FIELDS:
                del self.fields[name]
        self.fields["level"].choices = [("", _("Not said")), *Level.choices]
        if "cofinancing" in self.fields:
            self.fields["cofinancing"].widget.choices = [
                ("unknown", _("Not said")),
                ("true", _("Yes")),
                ("false", _("No")),
            ]
        if self.instance.pk:
            # The organization never changes once posted (the API refuses it too).
            del self.fields["organization"]
        else:
            # No silent default: the model's "other" is for the API; a person chooses.
            self.initial["cooperation_type"] = initial.get("cooperation_type")
            organizations = Organization.objects.editable_by(user).select_related("country")
            self.fields["organization"].queryset = organizations
            self.fields["organization"].empty_label = None

    @property
    def needs_open(self):
        """Whether the section of structured needs starts open: some are given, or wrong."""
        if any(name in self.errors for name in NEEDS_FIELDS):
            return True
        values = self.data if self.is_bound else self.initial
        return any(
            values.get(name) not in (None, "", [], "unknown") for name in NEEDS_FIELDS if name in self.fields
        )

    def clean(self):
        cleaned = super().clean()
        lists = {name: cleaned.get(name) for name in LIST_LIMITS if name in self.fields}
        # not given (a client that leaves the choice out): the capacity alone says it, as in the API
        several = {"one": False, "several": True}.get(cleaned.get("partners"))
        if not several and cleaned.get("capacity") is None:
            cleaned["capacity"] = 1
        for check in (
            lambda: Opportunity.clean_lists(self.direction, lists),
            lambda: Opportunity.clean_capacity(cleaned.get("capacity"), several),
        ):
            try:
                check()
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def service_data(self):
        """The cleaned data as `services.create_opportunity` and `update_opportunity` take it."""
        data = {
            name: self.cleaned_data[name]
            for name in self.fields
            if name in self.cleaned_data and name != "partners"
        }
        if not self.instance.pk:
            data["direction"] = self.direction
        return data


class RenewForm(forms.Form):
    """A posting's new end date, and its new application deadline if it has one (the rules are
    `services.opportunities.renew_opportunity`'s)."""

    ends_on = forms.DateField(label=_("New end date"), widget=DATE_WIDGET)
    application_deadline = forms.DateField(
        required=False,
        label=_("New application deadline"),
        help_text=_("Leave it empty to move the deadline by as many days as the end date."),
        widget=DATE_WIDGET,
    )

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].help_text = ngettext(
            "Later than the current end date, and at most %(days)d day from today.",
            "Later than the current end date, and at most %(days)d days from today.",
            settings.RENEWAL_MAX_DAYS,
        ) % {"days": settings.RENEWAL_MAX_DAYS}
        if opportunity.application_deadline is None:
            del self.fields["application_deadline"]


class BrowseFilterSet(OpportunityFilterSet):
    """The API's filters, labelled for the browse page, and "open to my country": opportunities that
    an organization of the user may take up."""

    open_to_me = django_filters.BooleanFilter(
        method="filter_open_to_me", label=_("Open to my country"), widget=forms.CheckboxInput
    )
    on_behalf_of_party = django_filters.BooleanFilter(
        method="filter_on_behalf_of_party",
        label=_("Posted on behalf of a Party (by its official national focal point)"),
        widget=forms.CheckboxInput,
    )

    # The filters the form shows, in this order; the others still work in URLs.
    shown = [
        "q",
        "direction",
        "cooperation_type",
        "themes",
        "objectives",
        "country",
        "un_group",
        "eligible_for",
        "open_to_me",
        "on_behalf_of_party",
        "language",
        "level",
        "budget_currency",
        "budget_from",
        "budget_to",
        "cofinancing",
        "status",
        "ordering",
    ]
    labels = {
        "q": _("Text"),
        "direction": _("Offers or requests"),
        "cooperation_type": _("Kind of cooperation"),
        "themes": _("Themes"),
        "objectives": _("Objectives"),
        "country": _("Country of the organization"),
        "un_group": _("UN regional group of the organization"),
        "eligible_for": _("Open to organizations of"),
        "language": _("Working language"),
        "level": _("Level"),
        "budget_currency": _("Budget in"),
        "budget_from": _("Budget from"),
        "budget_to": _("Budget up to"),
        "cofinancing": _("Requests bringing co-financing"),
        "status": _("Status"),
        "ordering": _("Sort by"),
        "organization": _("Organization"),
        "open_on": _("Running on"),
        "created_after": _("Posted on or after"),
        "created_before": _("Posted on or before"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        filters = self.filters
        for name, label in self.labels.items():
            filters[name].label = label
            filters[name].extra.pop("help_text", None)
        filters["q"].extra["widget"] = forms.TextInput(attrs={"type": "search"})
        filters["direction"].extra["empty_label"] = _("Both")
        filters["status"].extra["empty_label"] = _("Open or closed")
        filters["status"].extra["choices"] = [
            (OpportunityStatus.OPEN, OpportunityStatus.OPEN.label),
            (OpportunityStatus.CLOSED, OpportunityStatus.CLOSED.label),
        ]
        for name in ("cooperation_type", "themes"):
            filters[name].extra["widget"] = forms.CheckboxSelectMultiple(attrs={"class": "columns"})
        for name in (
            "country",
            "un_group",
            "eligible_for",
            "language",
            "organization",
            "level",
            "budget_currency",
        ):
            filters[name].extra["empty_label"] = _("Any")
        cofinancing = forms.NullBooleanSelect()
        cofinancing.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        filters["cofinancing"].extra["widget"] = cofinancing
        for name in ("country", "eligible_for"):
            filters[name].field_class = CountryChoiceField
            filters[name].extra["error_messages"] = {
                "invalid_choice": _("No country has the code “%(value)s”.")
            }
        filters["organization"].extra["error_messages"] = {
            "invalid_choice": _("No organization has the number “%(value)s”.")
        }
        filters["objectives"].field_class = ObjectiveChoiceField
        filters["objectives"].extra["widget"] = forms.SelectMultiple(attrs={"size": 6})
        filters["un_group"].field_class = GroupSingleChoiceField
        filters["language"].field_class = LanguageSingleChoiceField
        filters["ordering"].extra["choices"] = [
            ("-created_at", _("Newest first")),
            ("created_at", _("Oldest first")),
            ("title", _("Title")),
            ("ends_on", _("Ending soonest")),
        ]
        filters["ordering"].extra["empty_label"] = _("Relevance, then newest")
        for name in ("open_on", "created_after", "created_before"):
            filters[name].extra["widget"] = DATE_WIDGET
        if not self.user_countries():
            del filters["open_to_me"]

    @property
    def form(self):
        """The form, its fields in the order shown (the error summary lists them in that order)."""
        form = super().form
        form.order_fields(self.shown)
        return form

    def shown_fields(self):
        """The form's fields in the order shown, then those that work only in URLs when the URL
        gives them: a filter in force, or refused, is shown with its value or its error."""
        names = [name for name in self.shown if name in self.form.fields]
        names += [name for name in self.form.fields if name not in names and name in self.data]
        return [self.form[name] for name in names]

    def user_countries(self):
        if not hasattr(self, "_user_countries"):
            user = getattr(self.request, "user", None)
            countries = set()
            if user is not None and user.is_authenticated:
                countries = set(Organization.objects.of_member(user).values_list("country_id", flat=True))
            self._user_countries = sorted(countries)
        return self._user_countries

    def filter_on_behalf_of_party(self, queryset, name, value):
        return queryset.filter(organization__focal_point_of__isnull=False) if value else queryset

    def filter_open_to_me(self, queryset, name, value):
        countries = self.user_countries() if value else []
        if not countries:
            return queryset
        eligible = queryset.eligible_for(countries[0])
        for country in countries[1:]:
            eligible = eligible | queryset.eligible_for(country)
        return eligible

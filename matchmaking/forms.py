"""Forms of the web pages. Validation rules live on the models and in the services; the forms only
call them (as the API's serializers do) and present the vocabularies in the user's language."""

from itertools import groupby

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from api.filtersets import OpportunityFilterSet
from matchmaking.choices import Direction, Indicator, MemberRole, OpportunityStatus, OrganizationKind
from matchmaking.models import (
    CooperationType,
    Country,
    CountryGroup,
    Language,
    Objective,
    Opportunity,
    Organization,
    Theme,
)
from matchmaking.models.opportunities import LIST_LIMITS

# The groups' names are stored in English; these are the ones the pages show, translated.
GROUP_NAMES = {
    "AFR": _("African States"),
    "APAC": _("Asia-Pacific States"),
    "EEG": _("Eastern European States"),
    "GRULAC": _("Latin American and Caribbean States"),
    "WEOG": _("Western European and Other States"),
    "developing": _("Developing countries (OECD DAC list)"),
    "ldc": _("Least developed countries"),
    "sids": _("Small island developing States"),
    "eu": _("European Union"),
}


def group_name(group):
    code = getattr(group, "code", group)
    return GROUP_NAMES.get(code, code)


def language_name(language):
    """A language's name in the user's language where Django knows it, else its English name."""
    code = getattr(language, "code", language)
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return getattr(language, "name", code)


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
                label = f"{first.framework.name} · {first.goal.code}. {first.goal.title}"
            else:
                label = first.framework.name
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


# --------------------------------------------------------------------------- postings


class OpportunityForm(forms.ModelForm):
    """Posts or edits an offer or a request. A posting's direction and organization are chosen
    once, when it is created."""

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
            "Offers only: organizations of countries in any of these groups may take it up. "
            "Leave empty, with no eligible country either, to open it to every country."
        ),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "columns"}),
    )
    eligible_countries = forms.ModelMultipleChoiceField(
        queryset=Country.objects.order_by("name"),
        required=False,
        label=_("Eligible countries"),
        help_text=_("Offers only: countries whose organizations may take it up, beyond the groups above."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Opportunity
        fields = [
            "direction",
            "organization",
            "title",
            "description",
            "cooperation_type",
            "themes",
            "objectives",
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
        ]
        labels = {
            "direction": _("Kind of posting"),
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
        }
        help_texts = {
            "direction": _("An offer of cooperation, or a request for it."),
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
            "capacity": _("How many partners it can take on."),
            "contact_name": _("Who partners should contact."),
            "contact_email": _("Where partners can write."),
            "hide_contact": _("Show the contact details only to partners whose match was accepted."),
        }
        widgets = {
            "direction": forms.RadioSelect,
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "starts_on": DATE_WIDGET,
            "ends_on": DATE_WIDGET,
            "application_deadline": DATE_WIDGET,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cooperation_type"].queryset = CooperationType.objects.all()
        self.fields["cooperation_type"].empty_label = None
        if self.instance.pk:
            # Neither can change once posted (the API refuses it too).
            del self.fields["direction"]
            del self.fields["organization"]
            if self.instance.direction == Direction.REQUEST:
                del self.fields["eligible_groups"]
                del self.fields["eligible_countries"]
        else:
            self.fields["direction"].choices = Direction.choices
            organizations = Organization.objects.editable_by(user).select_related("country")
            self.fields["organization"].queryset = organizations
            self.fields["organization"].empty_label = None
            if "direction" not in self.initial:
                self.initial["direction"] = Direction.REQUEST

    @property
    def direction(self):
        if self.instance.pk:
            return self.instance.direction
        return self.cleaned_data.get("direction")

    def clean(self):
        cleaned = super().clean()
        lists = {name: cleaned.get(name) for name in LIST_LIMITS if name in self.fields}
        try:
            Opportunity.clean_lists(self.direction, lists)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned

    def service_data(self):
        """The cleaned data as `services.create_opportunity` and `update_opportunity` take it."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class LanguageSingleChoiceField(forms.ModelChoiceField):
    iterator = LanguageIterator

    def label_from_instance(self, obj):
        return language_name(obj)


class BrowseFilterSet(OpportunityFilterSet):
    """The API's filters, labelled for the browse page, and "open to my country": postings that
    an organization of the user may take up."""

    open_to_me = django_filters.BooleanFilter(
        method="filter_open_to_me", label=_("Open to my country"), widget=forms.CheckboxInput
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
        "language",
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
        "status": _("Status"),
        "ordering": _("Sort by"),
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
        for name in ("country", "un_group", "eligible_for", "language"):
            filters[name].extra["empty_label"] = _("Any")
        for name in ("country", "eligible_for"):
            filters[name].extra["queryset"] = Country.objects.order_by("name")
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
        if not self.user_countries():
            del filters["open_to_me"]

    def shown_fields(self):
        return [self.form[name] for name in self.shown if name in self.form.fields]

    def user_countries(self):
        if not hasattr(self, "_user_countries"):
            user = getattr(self.request, "user", None)
            countries = set()
            if user is not None and user.is_authenticated:
                countries = set(Organization.objects.of_member(user).values_list("country_id", flat=True))
            self._user_countries = sorted(countries)
        return self._user_countries

    def filter_open_to_me(self, queryset, name, value):
        countries = self.user_countries() if value else []
        if not countries:
            return queryset
        eligible = queryset.eligible_for(countries[0])
        for country in countries[1:]:
            eligible = eligible | queryset.eligible_for(country)
        return eligible


# --------------------------------------------------------------------------- matches


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


# --------------------------------------------------------------------------- moderation


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the posting's editors."),
    )


# --------------------------------------------------------------------------- organizations


class MemberForm(forms.Form):
    username = forms.CharField(
        label=_("Username or e-mail"), max_length=254, help_text=_("Of someone who has an account.")
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=MemberRole.choices,
        help_text=_("Editors post and act on matches; viewers only see."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=name).first() or users.filter(email__iexact=name).first()
        if user is None:
            raise ValidationError(_("No account has this username or e-mail."))
        if self.organization.memberships.filter(user=user).exists():
            raise ValidationError(_("This user is already a member of the organization."))
        self.cleaned_data["user"] = user
        return name


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "kind", "country", "website"]
        labels = {
            "name": _("Name of the organization"),
            "kind": _("Kind"),
            "country": _("Country"),
            "website": _("Website"),
        }
        help_texts = {
            "name": _("As your partners know it."),
            "kind": _("A Party's national focal point, an institute, an NGO..."),
            "country": _("Where it is based; eligibility for offers depends on it."),
            "website": _("Optional."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = OrganizationKind.choices
        self.fields["country"].queryset = Country.objects.order_by("name")
        self.fields["website"].assume_scheme = "https"


class SignUpForm(UserCreationForm):
    CREATE, JOIN = "create", "join"

    email = forms.EmailField(label=_("E-mail"), help_text=_("For password resets and notifications."))
    intent = forms.ChoiceField(
        label=_("I want to"),
        choices=[(CREATE, _("register a new organization")), (JOIN, _("join an existing organization"))],
        widget=forms.RadioSelect,
        initial=CREATE,
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        required=False,
        label=_("Organization to join"),
        help_text=_("Its editors will be asked to accept you."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_form = OrganizationForm(*args, prefix="org", **kwargs)
        for field in self.organization_form.fields.values():
            field.required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("intent") == self.JOIN:
            if not cleaned.get("organization"):
                self.add_error("organization", _("Choose the organization to join."))
        elif cleaned.get("intent") == self.CREATE:
            form = self.organization_form
            for name in ("name", "kind", "country"):
                form.fields[name].required = True
            if not form.is_valid():
                self.add_error(None, _("Complete the details of the organization below."))
        return cleaned

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account already uses this e-mail."))
        return email


class JoinForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        label=_("Organization to join"),
        help_text=_("Its editors will be asked to accept you."),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: who you are, for the editors."),
    )

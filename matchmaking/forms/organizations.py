"""Organizations, their members, signing up and asking to join."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import MemberRole, OrganizationKind
from matchmaking.models import Country, Organization
from matchmaking.services import accounts

from .fields import CountryChoiceField


class MemberForm(forms.Form):
    """Adds someone who has an account, named by username and e-mail: the same answer for an unknown
    username and a wrong e-mail, so that the form tells nobody who is registered."""

    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("Of someone who has an account.")
    )
    email = forms.EmailField(label=_("E-mail"), help_text=_("The address of their account."))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=MemberRole.choices,
        help_text=_("Editors post and act on matches; viewers only see."),
    )

    def clean(self):
        cleaned = super().clean()
        if "username" in cleaned and "email" in cleaned:
            cleaned["user"] = accounts.account_named(cleaned["username"], cleaned["email"])
            if cleaned["user"] is None:
                raise ValidationError(_("No account has this username with this e-mail."))
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "kind", "country", "website"]
        field_classes = {"country": CountryChoiceField}
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
        self.fields["website"].assume_scheme = "https"


class SignUpForm(UserCreationForm):
    CREATE, JOIN = "create", "join"

    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("We send a link to it: your account opens when you follow it. Also for notifications."),
    )
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


class ConfirmAgainForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), help_text=_("The address you signed up with."))


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


class FocalPointForm(forms.Form):
    """Staff designate an organization as a Party's official national focal point."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.select_related("country"), label=_("Organization")
    )
    country = CountryChoiceField(
        queryset=Country.objects.all(),
        label=_("Party"),
        help_text=_("The country whose official national focal point it is."),
    )
    since = forms.DateField(
        label=_("Since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When it was designated; today if left empty."),
    )

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since and since > timezone.localdate():
            raise ValidationError(_("A designation cannot start in the future."))
        return since

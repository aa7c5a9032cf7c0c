"""Organizations, their members, signing up and asking to join."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import MemberRole, OrganizationKind
from matchmaking.models import Country, Organization


class MemberForm(forms.Form):
    username = forms.CharField(
        label=_("Username or e-mail"), max_length=254, help_text=_("Of someone who has an account.")
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=MemberRole.choices,
        help_text=_("Editors post and act on matches; viewers only see."),
    )

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=name).first() or users.filter(email__iexact=name).first()
        if user is None:
            raise ValidationError(_("No account has this username or e-mail."))
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

"""Organizations and their members: written through `matchmaking.services`."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from matchmaking.models import Country, Membership, Organization
from matchmaking.services import accounts, memberships, organizations

from .fields import COUNTRY_HINT, CodeField


class OrganizationSerializer(serializers.ModelSerializer):
    country = CodeField(Country, hint=COUNTRY_HINT)
    country_name = serializers.CharField(source="country.name", read_only=True)
    focal_point_of = serializers.CharField(
        source="focal_point_of_id",
        read_only=True,
        allow_null=True,
        help_text="The Party whose official national focal point this is (designated by the secretariat: "
        "POST /organizations/{id}/focal-point/).",
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "country",
            "country_name",
            "website",
            "verified",
            "focal_point_of",
            "focal_point_since",
            "created_at",
        ]
        read_only_fields = ["focal_point_since", "created_at"]

    def create(self, validated_data):
        return organizations.create_organization(user=self.context["request"].user, data=validated_data)

    def update(self, instance, validated_data):
        return organizations.update_organization(
            instance, user=self.context["request"].user, data=validated_data
        )


class FocalPointSerializer(serializers.Serializer):
    """Staff designate an organization as a Party's official national focal point."""

    country = CodeField(Country, hint=COUNTRY_HINT, help_text="The Party (ISO 3166-1 alpha-2).")
    since = serializers.DateField(required=False, help_text="Since when; today if not given.")

    def validate_since(self, since):
        if since > timezone.localdate():
            raise serializers.ValidationError(_("A designation cannot start in the future."))
        return since


NO_SUCH_ACCOUNT = _("No account has this username with this e-mail.")


class MembershipSerializer(serializers.ModelSerializer):
    """A member, by username. Adding one takes the username *and* the e-mail of their account, and
    answers the same for an unknown username and a wrong e-mail, so that it tells nobody who is
    registered."""

    username = serializers.CharField(source="user.username", max_length=150)
    email = serializers.EmailField(
        write_only=True, required=False, help_text="The e-mail of the account: required to add a member."
    )

    class Meta:
        model = Membership
        fields = ["username", "email", "role", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, data):
        username = data.pop("user", {}).get("username")
        if self.instance is not None:
            if username is not None and username != self.instance.user.username:
                raise serializers.ValidationError(
                    {"username": _("A membership cannot move to another user.")}
                )
            return data
        if "email" not in data:
            raise serializers.ValidationError({"email": _("This field is required to add a member.")})
        user = accounts.account_named(username, data.pop("email"))
        if user is None:
            raise serializers.ValidationError({"username": NO_SUCH_ACCOUNT})
        data["user"] = user
        return data

    def create(self, validated_data):
        return memberships.add_member(
            self.context["organization"],
            user=self.context["request"].user,
            member=validated_data["user"],
            role=validated_data["role"],
        )

    def update(self, instance, validated_data):
        if "role" not in validated_data:
            return instance
        return memberships.change_role(
            instance, user=self.context["request"].user, role=validated_data["role"]
        )

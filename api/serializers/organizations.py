"""Organizations and their members: written through `matchmaking.services`."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from matchmaking.models import Country, Membership, Organization
from matchmaking.services import memberships, organizations

from .fields import COUNTRY_HINT, CodeField


class OrganizationSerializer(serializers.ModelSerializer):
    country = CodeField(Country, hint=COUNTRY_HINT)
    country_name = serializers.CharField(source="country.name", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "country", "country_name", "website", "verified", "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        return organizations.create_organization(user=self.context["request"].user, data=validated_data)

    def update(self, instance, validated_data):
        return organizations.update_organization(
            instance, user=self.context["request"].user, data=validated_data
        )


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.SlugRelatedField(
        source="user", slug_field="username", queryset=get_user_model().objects.all()
    )

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]
        read_only_fields = ["created_at"]

    def validate_username(self, user):
        if self.instance is not None and user != self.instance.user:
            raise serializers.ValidationError("A membership cannot move to another user.")
        return user

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

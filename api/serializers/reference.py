"""Reference data, read-only: countries, vocabularies, frameworks and their objectives."""

from rest_framework import serializers

from matchmaking.models import CooperationType, Country, Framework, Goal, Objective, Theme


class CountrySerializer(serializers.ModelSerializer):
    un_group = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="None for the European Union and the Holy See.",
    )
    groups = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Country
        fields = ["code", "name", "un_group", "groups", "un_member", "cbd_party"]


VOCABULARY_FIELDS = [
    "slug",
    "label",
    "label_fr",
    "label_es",
    "description",
    "description_fr",
    "description_es",
]


class CooperationTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CooperationType
        fields = VOCABULARY_FIELDS


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = VOCABULARY_FIELDS


class ObjectiveSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True)
    goal = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Objective
        fields = ["code", "title", "text", "framework", "goal"]


class NestedObjectiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = ["code", "title", "text"]


class GoalSerializer(serializers.ModelSerializer):
    objectives = NestedObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["code", "title", "text", "objectives"]


class FrameworkSerializer(serializers.ModelSerializer):
    goals = GoalSerializer(many=True, read_only=True)
    objectives = NestedObjectiveSerializer(
        many=True,
        read_only=True,
        source="objectives_without_goal",
        help_text="Objectives that belong to no goal, such as the targets of the GBF.",
    )

    class Meta:
        model = Framework
        fields = ["code", "name", "source", "goals", "objectives"]

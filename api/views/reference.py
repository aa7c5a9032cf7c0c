"""Reference data, read-only."""

from django.db.models import Prefetch
from rest_framework import viewsets

from api.serializers.reference import (
    CooperationTypeSerializer,
    CountrySerializer,
    FrameworkSerializer,
    ObjectiveSerializer,
    ThemeSerializer,
)
from matchmaking.filtersets import CountryFilterSet, ObjectiveFilterSet
from matchmaking.models import (
    CooperationType,
    Country,
    Framework,
    Objective,
    Theme,
)


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    """Countries, by ISO 3166-1 alpha-2 code, with their UN regional group and eligibility groups."""

    queryset = Country.objects.select_related("un_group").prefetch_related("groups")
    serializer_class = CountrySerializer
    filterset_class = CountryFilterSet
    pagination_class = None


class CooperationTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The kinds of cooperation, by slug."""

    queryset = CooperationType.objects.all()
    serializer_class = CooperationTypeSerializer
    pagination_class = None


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """CBD programme areas and cross-cutting issues, by slug."""

    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    pagination_class = None


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Strategic frameworks with their goals and objectives."""

    queryset = Framework.objects.prefetch_related(
        "goals__objectives",
        Prefetch("objectives", Objective.objects.filter(goal=None), to_attr="objectives_without_goal"),
    )
    serializer_class = FrameworkSerializer
    lookup_field = "code"
    pagination_class = None


class ObjectiveViewSet(viewsets.ReadOnlyModelViewSet):
    """Objectives and targets of every framework, by code."""

    queryset = Objective.objects.select_related("framework", "goal")
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None

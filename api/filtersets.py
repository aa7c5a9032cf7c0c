"""One FilterSet per resource, for the API and the web pages alike (plain django-filter, no DRF)."""

import django_filters as filters
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import F, Q

from matchmaking.choices import Direction, GroupKind, OpportunityStatus, OrganizationKind
from matchmaking.models import (
    CooperationType,
    Country,
    CountryGroup,
    Framework,
    Language,
    Objective,
    Opportunity,
    Organization,
    Theme,
)

SEARCH_CONFIG = "english"


class StableOrderingFilter(filters.OrderingFilter):
    """Orders by the chosen fields, then by id, so that pages never overlap or skip rows."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value if param), "id")


def search_postings(queryset, text):
    """PostgreSQL full-text search over title (weighted first) and description, best first; on
    other databases, postings whose title or description contains every word."""
    if connections[queryset.db].vendor == "postgresql":
        vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
            "description", weight="B", config=SEARCH_CONFIG
        )
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.annotate(search=vector)
            .filter(search=query)
            .annotate(rank=SearchRank(F("search"), query))
            .order_by("-rank", "-id")
        )
    for word in text.split():
        queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return queryset


class OpportunityFilterSet(filters.FilterSet):
    direction = filters.ChoiceFilter(choices=Direction.choices)
    status = filters.ChoiceFilter(choices=OpportunityStatus.choices)
    cooperation_type = filters.ModelMultipleChoiceFilter(
        queryset=CooperationType.objects.all(),
        distinct=False,
        help_text="Any of these cooperation types (slugs).",
    )
    themes = filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(), help_text="Postings with any of these themes (slugs)."
    )
    objectives = filters.ModelMultipleChoiceFilter(
        queryset=Objective.objects.all(),
        to_field_name="code",
        method="filter_objectives",
        help_text="Postings serving any of these objectives (codes such as 1.1).",
    )
    organization = filters.ModelChoiceFilter(queryset=Organization.objects.all())
    country = filters.ModelChoiceFilter(
        field_name="organization__country",
        queryset=Country.objects.all(),
        help_text="The country of the posting's organization (ISO 3166-1 alpha-2).",
    )
    un_group = filters.ModelChoiceFilter(
        field_name="organization__country__un_group",
        queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION),
        help_text="The UN regional group of the posting's organization.",
    )
    eligible_for = filters.ModelChoiceFilter(
        queryset=Country.objects.all(),
        method="filter_eligible_for",
        help_text="Only postings that an organization of this country (ISO 3166-1 alpha-2) may take up.",
    )
    language = filters.ModelChoiceFilter(
        field_name="languages", queryset=Language.objects.all(), help_text="A working language (ISO 639-1)."
    )
    open_on = filters.DateFilter(
        method="filter_open_on",
        help_text="Postings running on this date: started (or no start) and not ended.",
    )
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    q = filters.CharFilter(method="filter_q", help_text="Text search over title and description.")
    ordering = StableOrderingFilter(
        fields=["created_at", "updated_at", "title", "starts_on", "ends_on", "capacity"],
        help_text="Sort order (prefix with - for descending); ties are broken by id.",
    )

    class Meta:
        model = Opportunity
        fields = [
            "direction",
            "status",
            "cooperation_type",
            "themes",
            "objectives",
            "organization",
            "country",
            "un_group",
            "eligible_for",
            "language",
            "open_on",
            "created_after",
            "created_before",
            "q",
        ]

    def filter_objectives(self, queryset, name, value: list[Objective]):
        return queryset.filter(objectives__in=value).distinct() if value else queryset

    def filter_eligible_for(self, queryset, name, value: Country):
        return queryset.eligible_for(value) if value else queryset

    def filter_open_on(self, queryset, name, value):
        started = Q(starts_on__isnull=True) | Q(starts_on__lte=value)
        not_ended = Q(ends_on__isnull=True) | Q(ends_on__gte=value)
        return queryset.filter(started & not_ended)

    def filter_q(self, queryset, name, value):
        return search_postings(queryset, value) if value.strip() else queryset


class OrganizationFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    country = filters.ModelChoiceFilter(queryset=Country.objects.all())
    un_group = filters.ModelChoiceFilter(
        field_name="country__un_group", queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION)
    )
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Organization
        fields = ["kind", "country", "un_group", "verified", "q"]


class CountryFilterSet(filters.FilterSet):
    un_group = filters.ModelChoiceFilter(queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION))
    group = filters.ModelChoiceFilter(
        field_name="groups",
        queryset=CountryGroup.objects.filter(kind=GroupKind.ELIGIBILITY),
        help_text="An eligibility group: developing, ldc, sids or eu.",
    )

    class Meta:
        model = Country
        fields = ["un_group", "group"]


class ObjectiveFilterSet(filters.FilterSet):
    framework = filters.ModelChoiceFilter(queryset=Framework.objects.all(), to_field_name="code")
    goal = filters.CharFilter(field_name="goal__code", help_text="The code of the goal, such as 1.")

    class Meta:
        model = Objective
        fields = ["framework", "goal"]

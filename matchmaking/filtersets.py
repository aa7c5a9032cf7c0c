"""One FilterSet per resource, for the API and the web pages alike (plain django-filter, no DRF)."""

import django_filters as filters
from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import BigIntegerField, Case, F, Func, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    Direction,
    GroupKind,
    Level,
    MatchStatus,
    NotificationKind,
    OpportunityStatus,
    OrganizationKind,
)
from matchmaking.labels import currency_choices
from matchmaking.models import (
    CooperationType,
    Country,
    CountryGroup,
    Framework,
    Language,
    Match,
    Notification,
    Objective,
    Opportunity,
    Organization,
    Outcome,
    Theme,
)
from matchmaking.recommendations.embedding import text_language
from matchmaking.recommendations.search import search_scores

SEARCH_CONFIG = "english"  # the configuration of the search_vector trigger (migration 0009)
SEMANTIC_SEARCH_LIMIT = 200  # opportunities close in meaning kept for a text search
SEARCH_MAX_LENGTH = 500  # characters of a text search


class StableOrderingFilter(filters.OrderingFilter):
    """Orders by the chosen fields, then by id, so that pages never overlap or skip rows."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value if param), "id")


def own_language_config(language):
    """The PostgreSQL text search configuration named after a language (ISO 639-1), as the
    search_vector trigger picks it for an opportunity's text_language (migration 0013): its stemmer
    and its stop words, which PostgreSQL ships; English when PostgreSQL has none for it."""
    return RawSQL(
        "COALESCE((SELECT c.oid::regconfig FROM pg_catalog.pg_ts_config c JOIN "
        f"{Language._meta.db_table} l ON c.cfgname = lower(l.name) WHERE l.code = %s), %s::regconfig)",
        (language, SEARCH_CONFIG),
    )


def place_in(ids, alias):
    """An opportunity's place (1, 2, ...) in a list of ids, null when it is not in it: one array
    lookup on PostgreSQL, however long the list."""
    if connections[alias].vendor == "postgresql":
        return Func(
            Value(ids, output_field=ArrayField(BigIntegerField())),
            F("pk"),
            function="array_position",
            output_field=IntegerField(),
        )
    return Case(*(When(pk=pk, then=Value(n)) for n, pk in enumerate(ids, 1)), output_field=IntegerField())


def full_text_match(queryset, text):
    """(condition, rank) of a full-text search over title (weighted first) and description.

    On PostgreSQL, the stored `search_vector` (written by a trigger with the text: migrations 0009
    and 0013) holds the text's words as English reads them, and as the text's own language does: a
    text in English is searched with the English configuration, a text in another language with its
    own too (its stop words are then not required words, nor its plurals other words), so that
    words typed in French find French postings as surely as English words find English ones. On
    other databases: opportunities whose title or description contains every word, unranked."""
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        # a few words rarely say their language for sure: the most likely of the service's, if likely enough
        language = text_language(text, "", [code.split("-")[0] for code, _ in settings.LANGUAGES])
        if language and language != "en":
            query |= SearchQuery(text, search_type="websearch", config=own_language_config(language))
        return Q(search_vector=query), SearchRank(F("search_vector"), query)
    condition = Q()
    for word in text.split():
        condition &= Q(title__icontains=word) | Q(description__icontains=word)
    return condition, Value(0.0)


class OpportunityFilterForm(forms.Form):
    """The opportunity filters' form: a budget range needs its currency."""

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("budget_from"), cleaned.get("budget_to")
        if (low is not None or high is not None) and not cleaned.get("budget_currency"):
            self.add_error("budget_currency", _("Give the currency of the budget range."))
        if low is not None and high is not None and high < low:
            self.add_error("budget_to", _("The end of the budget range must not be below its start."))
        return cleaned


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
    on_behalf_of_party = filters.BooleanFilter(
        field_name="organization__focal_point_of",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: only postings made by a Party's official national focal point, on its behalf.",
    )
    level = filters.ChoiceFilter(choices=Level.choices, help_text="The scale: national, regional or global.")
    cofinancing = filters.BooleanFilter(
        help_text="true: requests that bring co-financing; false: requests that say they bring none."
    )
    budget_currency = filters.ChoiceFilter(
        choices=currency_choices,
        method="filter_budget",
        help_text="Postings with a budget in this currency (ISO 4217); with budget_from and budget_to, "
        "those whose budget range overlaps that range (an offer's budget is per partner).",
    )
    budget_from = filters.NumberFilter(
        method="filter_budget", min_value=0, help_text="Start of the budget range (needs budget_currency)."
    )
    budget_to = filters.NumberFilter(
        method="filter_budget", min_value=0, help_text="End of the budget range (needs budget_currency)."
    )
    open_on = filters.DateFilter(
        method="filter_open_on",
        help_text="Postings running on this date: started (or no start) and not ended.",
    )
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    q = filters.CharFilter(
        method="filter_q",
        max_length=SEARCH_MAX_LENGTH,
        help_text="Text search (at most 500 characters): postings close in meaning to the text, in any "
        "language (the semantic and lexical parts of the matching blend), or containing its words, best "
        "first unless `ordering` is given.",
    )
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
            "on_behalf_of_party",
            "level",
            "cofinancing",
            "budget_currency",
            "budget_from",
            "budget_to",
            "open_on",
            "created_after",
            "created_before",
            "q",
        ]
        form = OpportunityFilterForm

    def filter_objectives(self, queryset, name, value: list[Objective]):
        return queryset.filter(objectives__in=value).distinct() if value else queryset

    def filter_budget(self, queryset, name, value):
        """Postings whose budget, in the currency asked, overlaps the range asked (a missing bound on
        either side is open): applied once, with the currency; the range alone needs one (the form
        says so)."""
        if name != "budget_currency" or not value:
            return queryset
        low, high = self.form.cleaned_data.get("budget_from"), self.form.cleaned_data.get("budget_to")
        overlap = Q(budget_currency=value) & (Q(budget_min__isnull=False) | Q(budget_max__isnull=False))
        if high is not None:
            overlap &= Q(budget_min__isnull=True) | Q(budget_min__lte=high)
        if low is not None:
            overlap &= Q(budget_max__isnull=True) | Q(budget_max__gte=low)
        return queryset.filter(overlap)

    def filter_eligible_for(self, queryset, name, value: Country):
        return queryset.eligible_for(value) if value else queryset

    def filter_open_on(self, queryset, name, value):
        started = Q(starts_on__isnull=True) | Q(starts_on__lte=value)
        not_ended = Q(ends_on__isnull=True) | Q(ends_on__gte=value)
        return queryset.filter(started & not_ended)

    def filter_q(self, queryset, name, value):
        """Opportunities close in meaning to the text (the semantic and lexical parts of the matching
        blend, over the live open opportunities of the direction asked, if any) or matching it word
        for word (full-text search, which also reaches closed opportunities), ranked by that blend,
        then by the full-text rank."""
        text = value.strip()
        if not text:
            return queryset
        direction = self.form.cleaned_data.get("direction") or None
        ranked = [pk for pk, _ in search_scores(text, limit=SEMANTIC_SEARCH_LIMIT, direction=direction)]
        words, rank = full_text_match(queryset, text)
        matching_rows = queryset.filter(Q(pk__in=ranked) | words)
        return matching_rows.annotate(place=place_in(ranked, queryset.db), rank=rank).order_by(
            F("place").asc(nulls_last=True), "-rank", "-id"
        )


class OrganizationFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    country = filters.ModelChoiceFilter(queryset=Country.objects.all())
    un_group = filters.ModelChoiceFilter(
        field_name="country__un_group", queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION)
    )
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")
    focal_point = filters.BooleanFilter(
        field_name="focal_point_of",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: only official national focal points of Parties.",
    )

    class Meta:
        model = Organization
        fields = ["kind", "country", "un_group", "verified", "focal_point", "q"]


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


class MatchFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=MatchStatus.choices, help_text="Any of these statuses.")
    organization = filters.ModelChoiceFilter(
        queryset=Organization.objects.all(),
        method="filter_organization",
        help_text="Matches in which this organization is either side.",
    )
    posting = filters.ModelChoiceFilter(
        queryset=Opportunity.objects.all(),
        method="filter_posting",
        help_text="Matches of this posting, as the request or the offer.",
    )
    initiated_by = filters.ModelChoiceFilter(queryset=Organization.objects.all())
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    updated_after = filters.DateFilter(field_name="updated_at", lookup_expr="date__gte")
    q = filters.CharFilter(method="filter_q", help_text="Part of either posting's title, or of the message.")
    unread = filters.BooleanFilter(
        method="filter_unread",
        help_text="`true`: matches whose conversation has messages you have not read; `false`: none.",
    )
    ordering = StableOrderingFilter(
        fields=["created_at", "updated_at", "status"],
        help_text="Sort order (prefix with - for descending); ties are broken by id.",
    )

    class Meta:
        model = Match
        fields = [
            "status",
            "organization",
            "posting",
            "initiated_by",
            "created_after",
            "created_before",
            "updated_after",
            "q",
            "unread",
        ]

    def filter_unread(self, queryset, name, value):
        """On a queryset annotated by `Match.objects.with_unread_messages(user)`."""
        if value is None:
            return queryset
        return queryset.filter(unread_messages__gt=0) if value else queryset.filter(unread_messages=0)

    def filter_organization(self, queryset, name, value: Organization):
        return (
            queryset.filter(Q(request__organization=value) | Q(offer__organization=value))
            if value
            else queryset
        )

    def filter_posting(self, queryset, name, value: Opportunity):
        return queryset.filter(Q(request=value) | Q(offer=value)) if value else queryset

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(request__title__icontains=word)
                | Q(offer__title__icontains=word)
                | Q(message__icontains=word)
            )
        return queryset


class OutcomeFilterSet(filters.FilterSet):
    objective = filters.ModelMultipleChoiceFilter(
        queryset=Objective.objects.all(),
        to_field_name="code",
        method="filter_objectives",
        help_text="Outcomes serving any of these objectives (codes such as 1.1).",
    )
    goal = filters.CharFilter(
        method="filter_goal", help_text="Outcomes serving an objective of this goal (its code, such as 1)."
    )
    framework = filters.ModelChoiceFilter(
        queryset=Framework.objects.all(),
        to_field_name="code",
        method="filter_framework",
        help_text="Outcomes serving an objective of this framework (its code).",
    )
    country = filters.ModelChoiceFilter(
        queryset=Country.objects.all(),
        method="filter_country",
        help_text="Either side's organization is of this country (ISO 3166-1 alpha-2).",
    )
    un_group = filters.ModelChoiceFilter(
        queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION),
        method="filter_un_group",
        help_text="Either side's organization is of this UN regional group.",
    )
    cooperation_type = filters.ModelChoiceFilter(
        queryset=CooperationType.objects.all(),
        method="filter_cooperation_type",
        help_text="Either posting is of this cooperation type (slug).",
    )
    year = filters.NumberFilter(
        field_name="achieved_on",
        lookup_expr="year",
        min_value=1,
        max_value=9999,  # the years a date can have: year 0 cannot be looked up
        help_text="The year it was achieved.",
    )
    q = filters.CharFilter(field_name="summary", lookup_expr="icontains", help_text="Part of the summary.")

    class Meta:
        model = Outcome
        fields = ["objective", "goal", "framework", "country", "un_group", "cooperation_type", "year", "q"]

    def _either_side(self, queryset, **lookup):
        ((path, value),) = lookup.items()
        return queryset.filter(
            Q(**{f"match__request__{path}": value}) | Q(**{f"match__offer__{path}": value})
        )

    def filter_objectives(self, queryset, name, value: list[Objective]):
        return queryset.filter(objectives__in=value).distinct() if value else queryset

    def filter_goal(self, queryset, name, value: str):
        return queryset.filter(objectives__goal__code=value).distinct() if value else queryset

    def filter_framework(self, queryset, name, value: Framework):
        return queryset.filter(objectives__framework=value).distinct() if value else queryset

    def filter_country(self, queryset, name, value: Country):
        return self._either_side(queryset, organization__country=value) if value else queryset

    def filter_un_group(self, queryset, name, value: CountryGroup):
        return self._either_side(queryset, organization__country__un_group=value) if value else queryset

    def filter_cooperation_type(self, queryset, name, value: CooperationType):
        return self._either_side(queryset, cooperation_type=value) if value else queryset


class NotificationFilterSet(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="Only unread ones.")
    kind = filters.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]

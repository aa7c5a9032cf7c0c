"""The hard filters, never violated: a recommendation is open and approved, of the other direction,
not ended nor past its deadline, of another organization, with capacity left, and eligible (the
requesting organization's country is listed by the offer or belongs to one of its groups).

They exist twice: as SQL (`candidates_for`, for whatever asks the database) and on the index's
arrays (`hard_filter_mask`, for ranking); a test keeps the two in agreement."""

import numpy as np
from django.utils import timezone

from matchmaking.choices import Direction
from matchmaking.models import Country, Opportunity


def candidates_for(query, today=None):
    """The opportunities that may ever be recommended for `query`, as a queryset."""
    today = today or timezone.localdate()
    other = Direction.OFFER if query.direction == Direction.REQUEST else Direction.REQUEST
    pool = (
        Opportunity.objects.live(today)
        .filter(direction=other)
        .exclude(organization_id=query.organization_id)
        .with_capacity_left()
    )
    if query.direction == Direction.REQUEST:
        return pool.eligible_for(query.organization.country_id)
    countries = set(query.eligible_countries.values_list("code", flat=True))
    groups = set(query.eligible_groups.values_list("code", flat=True))
    if countries or groups:
        eligible = Country.objects.filter(code__in=countries) | Country.objects.filter(
            groups__code__in=groups
        )
        eligible = eligible | Country.objects.filter(un_group__in=groups)
        pool = pool.filter(organization__country__in=eligible.values("code"))
    return pool


def country_tokens(country_code, groups_by_country):
    """The eligibility tokens a country carries: itself and every group it belongs to."""
    return {f"C:{country_code}", *(f"G:{g}" for g in groups_by_country.get(country_code, ()))}


def restriction_tokens(countries, groups):
    """The tokens an offer admits: the countries and groups it lists."""
    return {*(f"C:{c}" for c in countries), *(f"G:{g}" for g in groups)}


def candidate_side(index, query):
    """The side of the index that holds the candidates of `query`: offers for a request."""
    return index.sides[Direction.OFFER if query.direction == Direction.REQUEST else Direction.REQUEST]


def hard_filter_mask(index, query, today):
    """Which positions of the candidates' side may be recommended for `query` (the rules of
    `candidates_for`)."""
    side = candidate_side(index, query)
    rows, today_ordinal = side.rows, today.toordinal()
    mask = (
        side.alive
        & (rows["organization"] != query.organization_id)
        & (rows["ends"] >= today_ordinal)
        & (rows["deadline"] >= today_ordinal)
        & (rows["capacity_left"] > 0)
    )
    if query.direction == Direction.REQUEST:  # an offer admits the request's country, or everyone
        tokens = country_tokens(query.organization.country_id, index.groups_by_country)
        columns = [index.token_index[t] for t in tokens if t in index.token_index]
        return mask & (rows["open_to_all"] | rows["restrictions"][:, columns].any(axis=1))
    countries, groups = eligibility_lists(index, query)
    if not countries and not groups:
        return mask
    admitted = np.zeros(len(index.countries) + 1, dtype=bool)  # the last: a country not known (-1)
    for code, number in index.countries.items():
        admitted[number] = code in countries or bool(index.groups_by_country.get(code, set()) & groups)
    return mask & admitted[rows["country"]]


def eligibility_lists(index, offer):
    """The codes of the countries and of the groups an offer lists: from the index when it holds the
    offer, else from the database."""
    stored = index.stored(offer.pk)
    if stored is not None:
        return set(stored.lists["eligible_countries"]), set(stored.lists["eligible_groups"])
    return {c.pk for c in offer.eligible_countries.all()}, {g.pk for g in offer.eligible_groups.all()}


def eligible_through(query, candidate, index):
    """Why the requesting side may take up the offer: {"open_to_all": the offer admits everyone,
    "listed": it lists the requester's country, "groups": the groups of that country it admits}."""
    request, offer = (query, candidate) if query.direction == Direction.REQUEST else (candidate, query)
    country = request.organization.country_id
    side, position = index.locate(offer.pk)
    if position is None:
        admitted = restriction_tokens(*eligibility_lists(index, offer))
    else:
        admitted = {index.tokens[column] for column in np.flatnonzero(side.rows["restrictions"][position])}
    return {
        "open_to_all": not admitted,
        "listed": f"C:{country}" in admitted,
        "groups": sorted(g for g in index.groups_by_country.get(country, ()) if f"G:{g}" in admitted),
    }

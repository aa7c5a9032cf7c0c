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


def hard_filter_mask(index, query, today):
    """Which rows of the index may be recommended for `query` (the rules of `candidates_for`)."""
    today_ordinal = today.toordinal()
    mask = (
        (index.is_offer == (query.direction == Direction.REQUEST))
        & (index.organization != query.organization_id)
        & (index.ends >= today_ordinal)
        & (index.deadline >= today_ordinal)
        & (index.capacity_left > 0)
    )
    if query.direction == Direction.REQUEST:
        tokens = country_tokens(query.organization.country_id, index.groups_by_country)
        eligible = index.open_to_all | _has_any(index.restrictions, tokens, index.token_index)
    else:
        tokens = restriction_tokens(
            [c.pk for c in query.eligible_countries.all()], [g.pk for g in query.eligible_groups.all()]
        )
        eligible = _has_any(index.identities, tokens, index.token_index) if tokens else True
    return mask & eligible


def _has_any(matrix, tokens, token_index):
    columns = [token_index[t] for t in tokens if t in token_index]
    if not columns:
        return np.zeros(matrix.shape[0], dtype=bool)
    return np.asarray(matrix[:, columns].sum(axis=1)).ravel() > 0


def eligible_through(query, candidate, index):
    """Why the requesting side may take up the offer: {"open_to_all": the offer admits everyone,
    "listed": it lists the requester's country, "groups": the groups of that country it admits}."""
    request, offer = (query, candidate) if query.direction == Direction.REQUEST else (candidate, query)
    country = request.organization.country_id
    row = index.position.get(offer.pk)
    if offer is query or row is None:
        admitted = restriction_tokens(
            [c.pk for c in offer.eligible_countries.all()], [g.pk for g in offer.eligible_groups.all()]
        )
    else:
        admitted = {index.tokens[column] for column in index.restrictions[row].indices}
    return {
        "open_to_all": not admitted,
        "listed": f"C:{country}" in admitted,
        "groups": sorted(g for g in index.groups_by_country.get(country, ()) if f"G:{g}" in admitted),
    }

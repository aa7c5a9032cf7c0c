"""A plausible two-year history of cooperation for the demo (`manage.py load_demo --with-history`):
offering institutes and Parties, requests from national focal points, expressions of interest,
matches followed to their outcome with indicator values.

Deterministic: a fixed seed draws the same rows every time, dated back from `until` (now by
default). Every status change of a match has its MatchEvent, and no match holds capacity that its
opportunities do not have. Running it again creates nothing twice.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from matchmaking import models
from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    MatchStatus,
    OpportunityStatus,
    OrganizationKind,
)
from matchmaking.services.opportunities import create_opportunity

SEED = 2010
DAYS = 730

# Who offers: name, kind, country.
OFFERERS = [
    ("Natural History Museum of Denmark, CHM partnership desk", OrganizationKind.INSTITUTE, "DK"),
    ("Muséum national d'Histoire naturelle, coopération CHM", OrganizationKind.INSTITUTE, "FR"),
    ("Naturalis Biodiversity Center, capacity building", OrganizationKind.INSTITUTE, "NL"),
    ("Botanic Garden Meise, herbarium partnerships", OrganizationKind.INSTITUTE, "BE"),
    ("Norwegian Environment Agency, CHM cooperation", OrganizationKind.PARTY, "NO"),
    ("Japan Biodiversity Centre, information exchange", OrganizationKind.PARTY, "JP"),
    ("Instituto Humboldt, cooperación Sur-Sur", OrganizationKind.INSTITUTE, "CO"),
    ("South African National Biodiversity Institute, partnerships", OrganizationKind.INSTITUTE, "ZA"),
    ("Open Biodiversity Data Network", OrganizationKind.NGO, "DE"),
    ("Pacific Regional Environment Programme, CHM support", OrganizationKind.IGO, "WS"),
    ("GeoSpatial Web Services Ltd, pro bono programme", OrganizationKind.PRIVATE, "CA"),
    ("CBD Secretariat, CHM capacity building", OrganizationKind.SECRETARIAT, "CA"),
]
# Who requests: national focal points of these countries, the first ones most often.
REQUESTERS = [
    "CD", "KE", "BJ", "MG", "SN", "ET", "CM", "TZ",
    "LA", "KH", "NP", "FJ", "VU", "BD", "MN",
    "PE", "BO", "HT", "GT", "HN", "GY",
    "MD", "AM", "GE", "AL",
]  # fmt: skip
# How likely a request of each UN group draws interest: help does not reach every region alike.
INTEREST = {"AFR": 0.8, "APAC": 0.75, "GRULAC": 0.6, "EEG": 0.35}

# Per cooperation type: offer title, request title, themes, objectives, indicator (key, low, high).
KINDS = {
    "hosting": (
        "Hosting of national CHM websites",
        "Our national CHM website needs a reliable host",
        ["information_systems"],
        ["2.5", "3.1"],
        ("websites_hosted", 1, 1),
    ),
    "mirroring": (
        "Mirror sites for national CHM websites",
        "A mirror of our CHM website for reliable access",
        ["information_systems"],
        ["2.1", "2.5"],
        ("websites_hosted", 1, 1),
    ),
    "technical_advice": (
        "Technical advice on CHM content management",
        "Advice on the content management system of our CHM",
        ["information_systems"],
        ["2.4", "3.1"],
        None,
    ),
    "website_development": (
        "Development of a national CHM website",
        "Help to build our first national CHM website",
        ["information_systems", "cepa"],
        ["3.1", "2.5", "GBF-TARGET-21"],
        ("websites_launched", 1, 1),
    ),
    "training": (
        "Training course for CHM webmasters",
        "Training of webmasters for our national CHM",
        ["information_systems", "cepa"],
        ["1.1", "3.1", "GBF-TARGET-20"],
        ("people_trained", 3, 25),
    ),
    "funding": (
        "Grants for taxonomists to study our collections",
        "Grants for our taxonomists to visit reference collections",
        ["taxonomy"],
        ["1.1", "GBF-TARGET-20"],
        ("grants_awarded", 1, 4),
    ),
    "collection_access": (
        "Access to herbarium and zoological collections",
        "Access to the type specimens of our flora held abroad",
        ["taxonomy", "forest"],
        ["2.2", "GBF-TARGET-21"],
        ("records_digitised", 200, 5000),
    ),
    "data_sharing": (
        "Publishing national biodiversity data on an open portal",
        "Publishing our biodiversity survey data",
        ["information_systems", "protected_areas"],
        ["2.3", "GBF-TARGET-21"],
        ("records_digitised", 1000, 20000),
    ),
    "mentoring": (
        "Mentoring of a new national CHM team",
        "A mentor for our new CHM team",
        ["information_systems"],
        ["3.2"],
        ("people_trained", 1, 3),
    ),
    "research": (
        "Joint research on invasive species of inland waters",
        "Partners for a survey of invasive species in our lakes",
        ["invasive_species", "inland_waters"],
        ["1.1", "GBF-TARGET-06"],
        ("records_digitised", 100, 2000),
    ),
    # Asked for, never offered: the gaps the reports show.
    "technology_transfer": (
        None,
        "Transfer of DNA barcoding technology to our national herbarium",
        ["taxonomy", "biosafety"],
        ["1.2", "GBF-TARGET-20"],
        None,
    ),
}
REQUEST_WEIGHTS = {
    "hosting": 8, "mirroring": 3, "technical_advice": 6, "website_development": 7, "training": 12,
    "funding": 6, "collection_access": 4, "data_sharing": 5, "mentoring": 3, "research": 3,
    "technology_transfer": 4,
}  # fmt: skip
# Themes that requests add to their own, by UN group; traditional knowledge is never offered.
LOCAL_THEMES = {
    "AFR": ["dry_subhumid", "forest", "traditional_knowledge"],
    "APAC": ["marine_coastal", "island", "mountain"],
    "GRULAC": ["forest", "mountain", "traditional_knowledge"],
    "EEG": ["agricultural", "inland_waters"],
}
LANGUAGES = {"AFR": "fr", "GRULAC": "es", "EEG": "en", "APAC": "en"}


def load_history(until=None, seed=SEED):
    """Creates the history, ending at `until`; returns how many opportunities it created (0 if the
    history is already there)."""
    if models.Organization.objects.filter(name=OFFERERS[0][0]).exists():
        return 0
    until = until or timezone.now()
    with transaction.atomic():
        return History(random.Random(seed), until).create()


class History:
    """One run of the generator: draws opportunities and matches in time order, then writes them."""

    def __init__(self, rng, until):
        self.rng = rng
        self.until = until
        self.start = until - datetime.timedelta(days=DAYS)
        self.objectives = {o.code: o for o in models.Objective.objects.all()}
        self.matches = []  # (request, offer, [(status, moment), ...])
        self.offer_groups = {}

    def at(self, day, hour=None):
        """The moment `day` days after the start, at a working hour."""
        hour = self.rng.randint(8, 17) if hour is None else hour
        return self.start + datetime.timedelta(days=day, hours=hour)

    def create(self):
        countries = models.Country.objects.prefetch_related("groups").in_bulk(
            [code for _, _, code in OFFERERS] + REQUESTERS
        )
        self.country_groups = {code: country.group_codes() for code, country in countries.items()}
        offerers = [
            models.Organization.objects.create(name=name, kind=kind, country=countries[code], verified=True)
            for name, kind, code in OFFERERS
        ]
        requesters = [
            models.Organization.objects.create(
                name=f"National CHM focal point of {countries[code].name}",
                kind=OrganizationKind.PARTY,
                country=countries[code],
            )
            for code in REQUESTERS
        ]
        offers = self.create_offers(offerers)
        requests = self.create_requests(requesters)
        self.draw_matches(offers, requests)
        self.write_matches()
        self.close_opportunities(offers, requests)
        models.Opportunity.objects.bulk_update(
            offers + requests, ["published_at", "created_at", "updated_at", "status"]
        )
        return len(offers) + len(requests)

    def opportunity(self, organization, direction, kind, title, published_at, **data):
        _, _, themes, objectives, _ = KINDS[kind]
        opportunity = create_opportunity(
            user=None,
            data={
                "direction": direction,
                "title": title,
                "description": f"{title}. {organization.name} ({organization.country.name}).",
                "organization": organization,
                "cooperation_type_id": kind,
                "objectives": [self.objectives[code] for code in objectives if code in self.objectives],
                **data,
                "themes": data.get("themes", themes),
            },
            embed=False,
        )
        opportunity.published_at = opportunity.created_at = opportunity.updated_at = published_at
        return opportunity

    def create_offers(self, offerers):
        offers = []
        kinds = [kind for kind, row in KINDS.items() if row[0]]
        for organization in offerers:
            for kind in sorted(self.rng.sample(kinds, self.rng.randint(2, 4))):
                day = int(self.rng.triangular(0, DAYS * 0.8, 0))
                groups = self.rng.choice([["developing"], ["developing"], ["ldc", "sids"], []])
                offer = self.opportunity(
                    organization,
                    Direction.OFFER,
                    kind,
                    KINDS[kind][0],
                    self.at(day),
                    capacity=self.rng.randint(2, 6),
                    languages=list(dict.fromkeys(["en", self.rng.choice(["fr", "es", "en"])])),
                    eligible_groups=groups,
                )
                self.offer_groups[offer.pk] = set(groups)
                offers.append(offer)
        return sorted(offers, key=lambda o: o.published_at)

    def create_requests(self, requesters):
        requests = []
        kinds, weights = list(REQUEST_WEIGHTS), list(REQUEST_WEIGHTS.values())
        for _ in range(130):
            organization = requesters[min(int(self.rng.expovariate(1 / 8)), len(requesters) - 1)]
            group = organization.country.un_group_id
            kind = self.rng.choices(kinds, weights)[0]
            day = int(self.rng.triangular(0, DAYS - 1, DAYS * 0.75))  # more and more requests over time
            themes = [*KINDS[kind][2], self.rng.choice(LOCAL_THEMES[group])]
            requests.append(
                self.opportunity(
                    organization,
                    Direction.REQUEST,
                    kind,
                    KINDS[kind][1],
                    self.at(day),
                    themes=list(dict.fromkeys(themes)),
                    languages=[LANGUAGES[group]],
                )
            )
        return sorted(requests, key=lambda r: r.published_at)

    def eligible(self, offer, request):
        groups = self.offer_groups[offer.pk]
        return not groups or bool(groups & self.country_groups[request.organization.country_id])

    def draw_matches(self, offers, requests):
        """Walks the requests in time order: each may draw interest from offers of its kind, and a
        match moves on (or not) through the statuses, never past `until`."""
        held = dict.fromkeys((offer.pk for offer in offers), 0)
        for request in requests:
            chance = INTEREST.get(request.organization.country.un_group_id, 0.5)
            moment = request.published_at
            for _ in range(2):  # a declined or withdrawn match may be followed by another
                if self.rng.random() > chance:
                    break
                moment += datetime.timedelta(
                    days=1 + self.rng.expovariate(1 / 18), hours=self.rng.randint(0, 8)
                )
                candidates = [
                    offer
                    for offer in offers
                    if offer.cooperation_type_id == request.cooperation_type_id
                    and offer.published_at < moment
                    and offer.organization_id != request.organization_id
                    and held[offer.pk] < offer.capacity
                    and self.eligible(offer, request)
                ]
                if not candidates or moment >= self.until:
                    break
                offer = self.rng.choice(candidates)
                steps = self.lifecycle(moment)
                if any(status in CAPACITY_HOLDING_STATUSES for status, _ in steps):
                    held[offer.pk] += 1
                self.matches.append((request, offer, steps))
                if steps[-1][0] not in (MatchStatus.DECLINED, MatchStatus.WITHDRAWN):
                    break
                moment = steps[-1][1]
                chance *= 0.6

    def lifecycle(self, created_at):
        """The statuses a match goes through and when, starting with the expression of interest."""
        steps = [(MatchStatus.PROPOSED, created_at)]
        path = self.rng.choices(
            [
                [MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS, MatchStatus.COMPLETED],
                [MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS, MatchStatus.CANCELLED],
                [MatchStatus.ACCEPTED, MatchStatus.CANCELLED],
                [MatchStatus.DECLINED],
                [MatchStatus.WITHDRAWN],
            ],
            [70, 4, 3, 16, 7],
        )[0]
        delays = {
            MatchStatus.ACCEPTED: (2, 25),
            MatchStatus.IN_PROGRESS: (3, 30),
            MatchStatus.COMPLETED: (30, 200),
            MatchStatus.CANCELLED: (10, 90),
            MatchStatus.DECLINED: (1, 20),
            MatchStatus.WITHDRAWN: (5, 40),
        }
        moment = created_at
        for status in path:
            moment += datetime.timedelta(days=self.rng.uniform(*delays[status]))
            if moment >= self.until:
                break
            steps.append((status, moment))
        return steps

    def write_matches(self):
        matches = models.Match.objects.bulk_create(
            [
                models.Match(
                    request=request,
                    offer=offer,
                    initiated_by_id=self.rng.choice([request.organization_id, offer.organization_id]),
                    status=steps[-1][0],
                    score=round(self.rng.uniform(0.45, 0.92), 3),
                )
                for request, offer, steps in self.matches
            ]
        )
        events, moments, outcomes = [], [], []
        for match, (request, offer, steps) in zip(matches, self.matches, strict=True):
            match.created_at, match.updated_at = steps[0][1], steps[-1][1]
            previous = ""
            for status, moment in steps:
                events.append(models.MatchEvent(match=match, from_status=previous, to_status=status))
                moments.append(moment)
                previous = status
            if match.status == MatchStatus.COMPLETED:
                outcomes.append(self.outcome(match, request, offer, steps[-1][1]))
        models.Match.objects.bulk_update(matches, ["created_at", "updated_at"])
        events = models.MatchEvent.objects.bulk_create(events)
        for event, moment in zip(events, moments, strict=True):
            event.created_at = moment  # bulk_create stamped them with now
        models.MatchEvent.objects.bulk_update(events, ["created_at"])
        self.write_outcomes(outcomes)

    def outcome(self, match, request, offer, completed_at):
        kind = request.cooperation_type_id
        indicator = KINDS[kind][4]
        value = self.rng.randint(indicator[1], indicator[2]) if indicator else None
        summary = f"{KINDS[kind][0]}: done by {offer.organization.name} for {request.organization.name}."
        codes = sorted({*KINDS[kind][3]})
        return (
            models.Outcome(
                match=match,
                summary=summary,
                achieved_on=completed_at.date(),
                is_private=self.rng.random() < 0.1,
            ),
            completed_at,
            [self.objectives[code] for code in codes if code in self.objectives],
            (indicator[0], value) if indicator else None,
        )

    def write_outcomes(self, outcomes):
        created = models.Outcome.objects.bulk_create([outcome for outcome, _, _, _ in outcomes])
        for outcome, (_, completed_at, _, _) in zip(created, outcomes, strict=True):
            outcome.created_at = outcome.updated_at = completed_at
        models.Outcome.objects.bulk_update(created, ["created_at", "updated_at"])
        models.Outcome.objectives.through.objects.bulk_create(
            [
                models.Outcome.objectives.through(outcome=outcome, objective=objective)
                for outcome, (_, _, objectives, _) in zip(created, outcomes, strict=True)
                for objective in objectives
            ]
        )
        models.OutcomeIndicator.objects.bulk_create(
            [
                models.OutcomeIndicator(outcome=outcome, key=indicator[0], value=indicator[1])
                for outcome, (_, _, _, indicator) in zip(created, outcomes, strict=True)
                if indicator
            ]
        )

    def close_opportunities(self, offers, requests):
        """Requests whose need is met are closed, as are offers with no capacity left and some old
        opportunities that their authors withdrew."""
        held = {}
        for request, offer, steps in self.matches:
            if steps[-1][0] in CAPACITY_HOLDING_STATUSES:
                held[request.pk] = held.get(request.pk, 0) + 1
                held[offer.pk] = held.get(offer.pk, 0) + 1
        old = self.until - datetime.timedelta(days=400)
        for opportunity in offers + requests:
            if held.get(opportunity.pk, 0) >= opportunity.capacity or (
                opportunity.published_at < old and self.rng.random() < 0.15
            ):
                opportunity.status = OpportunityStatus.CLOSED

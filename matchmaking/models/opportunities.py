"""Opportunities: offers and requests of technical and scientific cooperation."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    OUTPUT_INDICATORS,
    Cost,
    Direction,
    EmbeddingStatus,
    Indicator,
    Level,
    MemberRole,
    Moderation,
    OpportunityStatus,
)
from matchmaking.labels import currencies

from .matches import Match
from .organizations import Membership
from .reference import Country

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000
# The lists an opportunity carries (its many-to-many fields), with sane bounds on their sizes.
LIST_LIMITS = {
    "themes": 16,
    "objectives": 50,
    "languages": 10,
    "eligible_groups": 9,
    "eligible_countries": 250,
}
LIST_FIELDS = tuple(LIST_LIMITS)

# Structured needs: optional, and compared by ranking only where both sides gave them. On an offer
# the budget is per partner; co-financing and beneficiaries are a request's alone.
NEEDS_FIELDS = (
    "budget_min",
    "budget_max",
    "budget_currency",
    "cofinancing",
    "cofinancing_amount",
    "beneficiaries",
    "beneficiaries_count",
    "level",
    "expected_outputs",
    "covers",
    "duration_months",
)
REQUEST_ONLY_FIELDS = ("cofinancing", "cofinancing_amount", "beneficiaries", "beneficiaries_count")
# The needs that are lists of choices (stored as JSON lists), with the keys each may hold.
CHOICE_LIST_FIELDS = {
    "expected_outputs": [key for key, _label in OUTPUT_INDICATORS],
    "covers": list(Cost.values),
}
MAX_AMOUNT = 10**12  # a budget or a co-financing amount, in whole units of its currency
MAX_DURATION_MONTHS = 240
MAX_BENEFICIARIES = 10**10


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Open and closed opportunities that staff approved are public; drafts, opportunities waiting for
        approval and hidden ones only to their organization's members and staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        public = ~Q(status=OpportunityStatus.DRAFT) & Q(moderation=Moderation.APPROVED)
        if not user.is_authenticated:
            return self.filter(public)
        member = Membership.objects.filter(user=user, organization=OuterRef("organization"))
        return self.filter(public | Exists(member))

    def editable_by(self, user):
        """Opportunities the user may change: those of organizations they edit for, or any for staff."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        editor = Membership.objects.filter(
            user=user, organization=OuterRef("organization"), role=MemberRole.EDITOR
        )
        return self.filter(Exists(editor))

    def with_lists(self):
        """Prefetches the lists (LIST_FIELDS) that an opportunity shows."""
        return self.prefetch_related(*LIST_FIELDS)

    def live(self, today=None):
        """Open, approved opportunities that have not ended and whose application deadline has not passed."""
        today = today or timezone.localdate()
        return (
            self.filter(status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
            .exclude(ends_on__lt=today)
            .exclude(application_deadline__lt=today)
        )

    def eligible_for(self, country):
        """Opportunities that an organization of `country` (a Country or its code) may take up:
        those listing it, or any group it belongs to; empty eligibility means anyone."""
        if not isinstance(country, Country):
            country = Country.objects.filter(pk=country).prefetch_related("groups").first()
        if country is None:
            return self.none()
        through_countries = Opportunity.eligible_countries.through.objects
        through_groups = Opportunity.eligible_groups.through.objects
        open_to_all = ~Exists(through_countries.filter(opportunity=OuterRef("pk"))) & ~Exists(
            through_groups.filter(opportunity=OuterRef("pk"))
        )
        listed = Exists(through_countries.filter(opportunity=OuterRef("pk"), country=country.pk))
        in_group = Exists(
            through_groups.filter(opportunity=OuterRef("pk"), countrygroup__in=country.group_codes())
        )
        return self.filter(open_to_all | listed | in_group)

    def with_capacity_held(self):
        """Annotates `capacity_held`: the matches accepted, in progress or completed."""
        held = (
            Match.objects.filter(
                Q(offer=OuterRef("pk")) | Q(request=OuterRef("pk")), status__in=CAPACITY_HOLDING_STATUSES
            )
            .order_by()
            .annotate(n=Func(F("id"), function="COUNT"))
            .values("n")
        )
        return self.annotate(capacity_held=Coalesce(Subquery(held, output_field=IntegerField()), 0))

    def with_capacity_left(self):
        return self.with_capacity_held().filter(capacity_held__lt=F("capacity"))


class Opportunity(models.Model):
    """One opportunity: an offer of cooperation or a request for it, by an organization.
    A request's eligibility fields stay empty; an offer's empty eligibility means anyone."""

    direction = models.CharField(max_length=10, choices=Direction.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(
        max_length=DESCRIPTION_MAX_LENGTH, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    cooperation_type = models.ForeignKey(
        "matchmaking.CooperationType", on_delete=models.PROTECT, default="other", related_name="+"
    )
    themes = models.ManyToManyField("matchmaking.Theme", blank=True, related_name="opportunities")
    objectives = models.ManyToManyField("matchmaking.Objective", blank=True, related_name="opportunities")
    organization = models.ForeignKey(
        "matchmaking.Organization", on_delete=models.PROTECT, related_name="opportunities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    languages = models.ManyToManyField("matchmaking.Language", blank=True, related_name="+")
    eligible_groups = models.ManyToManyField("matchmaking.CountryGroup", blank=True, related_name="+")
    eligible_countries = models.ManyToManyField("matchmaking.Country", blank=True, related_name="+")
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    application_deadline = models.DateField(null=True, blank=True)
    capacity = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How many partners it can take: matches accepted, in progress or completed. One, unless "
            "it says it takes several."
        ),
    )
    status = models.CharField(
        max_length=10, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    # Structured needs (NEEDS_FIELDS), all optional.
    budget_min = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("The smallest budget, in whole units of the currency (an offer's: per partner)."),
    )
    budget_max = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("The largest budget, in whole units of the currency (an offer's: per partner)."),
    )
    budget_currency = models.CharField(
        max_length=3,
        blank=True,
        help_text=_("The currency of the budget and of the co-financing (ISO 4217, such as EUR)."),
    )
    cofinancing = models.BooleanField(
        null=True, blank=True, help_text=_("Requests: whether the requester brings co-financing.")
    )
    cofinancing_amount = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Requests: the co-financing brought, in the budget's currency."),
    )
    beneficiaries = models.CharField(
        max_length=300, blank=True, help_text=_("Requests: who benefits from the cooperation.")
    )
    beneficiaries_count = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BENEFICIARIES)],
        help_text=_("Requests: how many benefit."),
    )
    level = models.CharField(
        max_length=10, choices=Level.choices, blank=True, help_text=_("The scale it works at.")
    )
    expected_outputs = models.JSONField(
        default=list,
        blank=True,
        help_text=_("The outputs expected (keys of the outcome indicators, such as people_trained)."),
    )
    covers = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Costs: what an offer's provider covers, or what a request needs covered."),
    )
    duration_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MONTHS)],
        help_text=_("How many months the cooperation lasts."),
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    hide_contact = models.BooleanField(
        default=False, help_text=_("Show the contact details only to partners whose match was accepted.")
    )
    published_at = models.DateTimeField(null=True, blank=True)
    moderation = models.CharField(
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.APPROVED,
        help_text=_("Postings of unverified organizations wait for staff approval; staff may hide any."),
    )
    text_language = models.CharField(
        max_length=8,
        blank=True,
        help_text=_("The language the text is written in, as detected (ISO 639-1); empty when unknown."),
    )
    moderation_reason = models.TextField(
        blank=True, max_length=2000, help_text=_("Why staff hid the posting; shown to its editors.")
    )
    terms = models.BinaryField(
        null=True,
        editable=False,
        help_text=_("The words of the text, as matching reads them (written with the text)."),
    )
    # PostgreSQL: title and description for full-text search, kept by a trigger (migration 0009)
    # and GIN-indexed; empty on other databases, which search with LIKE.
    search_vector = SearchVectorField(null=True, editable=False)
    # The posting's key in the file it was imported from (`import_opportunities`): importing the file
    # again updates the posting instead of adding another.
    import_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="opportunity_capacity_at_least_one"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="opportunity_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_max__gte=F("budget_min")),
                name="opportunity_budget_max_not_below_min",
            ),
            models.CheckConstraint(
                condition=~Q(cofinancing=False, cofinancing_amount__isnull=False),
                name="opportunity_no_amount_without_cofinancing",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "direction"]),
            # the lists' default order: a page of them reads 20 rows, not all of them
            models.Index(fields=["-created_at", "-id"], name="opportunity_newest_first"),
        ]

    def __str__(self):
        return f"{self.get_direction_display()}: {self.title}"

    def clean(self):
        self.clean_dates(self.starts_on, self.ends_on, self.application_deadline)
        self.clean_needs(self.direction, {name: getattr(self, name) for name in NEEDS_FIELDS})

    @staticmethod
    def clean_dates(starts_on, ends_on, application_deadline):
        errors = {}
        if starts_on and ends_on and ends_on < starts_on:
            errors["ends_on"] = _("The end date must not be before the start date.")
        if application_deadline and ends_on and application_deadline > ends_on:
            errors["application_deadline"] = _("The application deadline must not be after the end date.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def clean_lists(direction, lists):
        """Checks list sizes, and that a request carries no eligibility restriction.
        `lists` maps field names (see LIST_LIMITS) to the submitted values."""
        errors = {}
        for name, values in lists.items():
            limit = LIST_LIMITS[name]
            if values is not None and len(values) > limit:
                errors[name] = _("At most %(limit)d items are allowed.") % {"limit": limit}
        if direction == Direction.REQUEST:
            for name in ("eligible_groups", "eligible_countries"):
                if lists.get(name):
                    errors[name] = _("A request has no eligibility restriction: leave this empty.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def clean_capacity(capacity, several_partners=None):
        """A posting, offer or request, takes one partner unless its author says it takes several, and
        then how many: its capacity, the matches it can hold (accepted, in progress or completed).
        `several_partners` None: the capacity alone says it."""
        if capacity is not None and capacity < 1:
            raise ValidationError({"capacity": _("A posting takes at least one partner.")})
        if several_partners and (capacity is None or capacity < 2):
            raise ValidationError(
                {"capacity": _("Say how many partners it can take: 2 or more.")}, code="required"
            )
        if several_partners is False and capacity not in (None, 1):
            raise ValidationError(
                {
                    "capacity": _(
                        "A posting that takes one partner has a capacity of 1: "
                        "say it takes several partners to take more."
                    )
                }
            )

    @property
    def several_partners(self):
        return self.capacity > 1

    @staticmethod
    def clean_needs(direction, values):
        """Checks the structured needs together: `values` maps the names of NEEDS_FIELDS to the values
        they will have (each field's own bounds are checked by its validators)."""
        errors = {}
        budget_min, budget_max = values.get("budget_min"), values.get("budget_max")
        if budget_min is not None and budget_max is not None and budget_max < budget_min:
            errors["budget_max"] = _("The largest budget must not be below the smallest.")
        currency = values.get("budget_currency") or ""
        amounts = [values.get(name) for name in ("budget_min", "budget_max", "cofinancing_amount")]
        has_amount = any(amount is not None for amount in amounts)
        if currency and currency not in currencies():
            errors["budget_currency"] = _(
                "Unknown currency: %(code)s. Give the ISO 4217 code of a currency in use, such as EUR, "
                "USD or XOF."
            ) % {"code": currency}
        elif has_amount and not currency:
            errors["budget_currency"] = _("Give the currency of the amounts.")
        elif currency and not has_amount:
            errors["budget_currency"] = _(
                "A currency needs a budget or a co-financing amount: give one, or leave the currency empty."
            )
        if values.get("cofinancing") is False and values.get("cofinancing_amount") is not None:
            errors["cofinancing_amount"] = _(
                "Co-financing is marked as not available: leave its amount empty, or mark it available."
            )
        for name, allowed in CHOICE_LIST_FIELDS.items():
            chosen = values.get(name) or []
            if not isinstance(chosen, list):
                errors[name] = _("Give a list.")
            elif unknown := [key for key in chosen if key not in allowed]:
                errors[name] = _("Unknown values: %(values)s.") % {"values": ", ".join(map(str, unknown))}
            elif len(set(chosen)) != len(chosen):
                errors[name] = _("Give each value once.")
        if direction == Direction.OFFER:
            for name in REQUEST_ONLY_FIELDS:
                if values.get(name) not in (None, ""):
                    errors[name] = _("Only a request says this: leave it empty on an offer.")
        if errors:
            raise ValidationError(errors)

    def settle_cofinancing(self):
        """An amount of co-financing says that there is some."""
        if self.cofinancing_amount is not None and self.cofinancing is None:
            self.cofinancing = True

    @property
    def expected_output_labels(self):
        return [Indicator(key).label for key in self.expected_outputs or () if key in Indicator.values]

    @property
    def cover_labels(self):
        return [Cost(key).label for key in self.covers or () if key in Cost.values]

    @property
    def has_needs(self):
        """Whether any of the structured needs is given."""
        return any(getattr(self, name) not in (None, "", []) for name in NEEDS_FIELDS)

    @staticmethod
    def moderation_for(user, organization, *, imported=False):
        """Where a new opportunity starts: approved when staff or a verified organization posts it (or
        a script, with no user), else waiting for a moderator. An import has no user either, but its
        rows come from outside: the organization's verification decides, as for its members."""
        if imported:
            return Moderation.APPROVED if organization.verified else Moderation.PENDING
        if user is None or not user.is_authenticated or user.is_staff or organization.verified:
            return Moderation.APPROVED
        return Moderation.PENDING

    @property
    def is_approved(self):
        return self.moderation == Moderation.APPROVED

    def is_expired(self, today=None):
        today = today or timezone.localdate()
        return bool(
            (self.ends_on and self.ends_on < today)
            or (self.application_deadline and self.application_deadline < today)
        )


def list_keys(ids):
    """Opportunity id -> list field (LIST_FIELDS) -> the keys of its rows (objectives by code, as the
    API and ranking name them), each list in the related model's ordering: one query per field and no
    model rows, for reading the lists of many opportunities at once."""
    keys = {pk: {field: [] for field in LIST_FIELDS} for pk in ids}
    for field in LIST_FIELDS:
        relation = getattr(Opportunity, field).field
        source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        rows = relation.remote_field.through.objects.filter(**{f"{source}_id__in": list(keys)})
        # Ordering by the relation orders by the related model's own ordering (when the relation is
        # not also selected under its name).
        rows = rows.order_by(f"{source}_id", target).values_list(
            f"{source}_id", f"{target}__code" if field == "objectives" else f"{target}_id"
        )
        for opportunity_id, key in rows:
            keys[opportunity_id][field].append(key)
    return keys


class OpportunityEmbedding(models.Model):
    """The vector of an opportunity's text, with the model that made it and a hash of the text, so that
    unchanged text is never embedded twice and a model change re-embeds."""

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    status = models.CharField(max_length=10, choices=EmbeddingStatus.choices, default=EmbeddingStatus.PENDING)
    model_name = models.CharField(max_length=200, blank=True)
    text_hash = models.CharField(max_length=64, blank=True)
    vector = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    detected_types = models.JSONField(
        default=dict, blank=True, help_text=_("Cooperation types the text speaks of, read from its vector.")
    )
    detected_themes = models.JSONField(
        default=dict, blank=True, help_text=_("Themes the text speaks of, read from its vector.")
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["opportunity_id"]

    def __str__(self):
        return f"{self.opportunity_id} {self.status} {self.model_name}"

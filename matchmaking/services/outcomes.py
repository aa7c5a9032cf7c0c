"""What completed matches achieved: completing a match records its outcome; either side's editors
may change it for OUTCOME_EDIT_DAYS (staff at any time)."""

import decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import NotificationKind
from matchmaking.models import Objective, Outcome, OutcomeIndicator
from matchmaking.models.matches import SIDES

from . import audit, notifications
from .errors import Conflict, NotAllowed, ServiceError
from .matches import sides_of, take_step


def complete_match(match, *, user, outcome):
    """Either side closes a match in progress with its outcome: `outcome` holds summary, achieved_on
    (default today), evidence_url, is_private, objectives (default: both opportunities'), indicators (a list
    of {key, label, value, unit}). Returns the Outcome."""
    fields = clean_outcome(outcome)
    with transaction.atomic():
        match = take_step(match, user=user, action="complete", note=fields["summary"][:500])
        objectives = fields.pop("objectives")
        indicators = fields.pop("indicators")
        record = Outcome.objects.create(match=match, created_by=user, **fields)
        if objectives is None:
            objectives = opportunity_objectives(match)
        record.objectives.set(objectives)
        OutcomeIndicator.objects.bulk_create(
            [OutcomeIndicator(outcome=record, **row) for row in (indicators or [])]
        )
        audit.record(
            record,
            user=user,
            operation="complete_match",
            after={
                **audit.snapshot(record, m2m=["objectives"]),
                "indicators": indicator_values(indicators or []),
            },
        )
        notifications.match_event(
            match,
            NotificationKind.MATCH_COMPLETED,
            organization_ids=[match.request.organization_id, match.offer.organization_id],
            actor=user,
            note=fields["summary"],
        )
    return record


def opportunity_objectives(match):
    """The objectives of both opportunities: an outcome's default."""
    return Objective.objects.filter(opportunities__in=[match.request_id, match.offer_id]).distinct()


OUTCOME_FIELDS = ("summary", "achieved_on", "evidence_url", "is_private", "objectives", "indicators")


def clean_outcome(data, *, partial=False):
    """Checks an outcome's fields (all of them, or those given when `partial`) and returns them with
    defaults filled in; `objectives` None means the opportunities' objectives."""
    unknown = set(data) - set(OUTCOME_FIELDS)
    if unknown:
        raise ServiceError(
            _("Unknown outcome fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_fields",
        )
    fields = dict(data)
    if not partial:
        fields.setdefault("achieved_on", None)
        fields.setdefault("objectives", None)
        fields.setdefault("indicators", [])
        fields.setdefault("summary", "")
    if "summary" in fields:
        fields["summary"] = (fields["summary"] or "").strip()
        if not fields["summary"]:
            raise ServiceError(_("Say what the cooperation achieved."), field="summary", code="required")
    if "achieved_on" in fields:
        if fields["achieved_on"] is None:
            fields["achieved_on"] = timezone.localdate()
        if fields["achieved_on"] > timezone.localdate():
            raise ServiceError(
                _("An outcome cannot be dated in the future."), field="achieved_on", code="in_future"
            )
    if "evidence_url" in fields:
        fields["evidence_url"] = fields["evidence_url"] or ""
    if "indicators" in fields:
        fields["indicators"] = [clean_indicator(row) for row in fields["indicators"] or []]
    return fields


def clean_indicator(row):
    row = {
        "key": row.get("key"),
        "label": row.get("label") or "",
        "value": row.get("value"),
        "unit": row.get("unit") or "",
    }
    indicator = OutcomeIndicator(**row)
    try:
        indicator.full_clean(exclude=["outcome"])
    except ValidationError as error:
        messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
        raise ServiceError(
            _("Indicator %(key)s: %(messages)s") % {"key": row["key"], "messages": messages},
            field="indicators",
            code="invalid",
        ) from error
    return {name: getattr(indicator, name) for name in row}


def update_outcome(outcome, *, user, data):
    """Either side's editors change an outcome within OUTCOME_EDIT_DAYS of its recording (staff at
    any time); `indicators`, when given, replace the old ones."""
    fields = clean_outcome(data, partial=True)
    with transaction.atomic():
        outcome = (
            Outcome.objects.select_for_update(of=("self",))
            .select_related(*(f"match__{name}" for name in SIDES))
            .get(pk=outcome.pk)
        )
        match = outcome.match
        if not sides_of(match, user):
            raise NotAllowed(
                _("Only the editors of the two organizations, and staff, may change this outcome."),
                code="not_a_side",
            )
        if not user.is_staff and timezone.now() > outcome.editable_until:
            raise Conflict(
                _("This outcome can no longer be changed: it could be for %(days)s days, until %(date)s.")
                % {"days": settings.OUTCOME_EDIT_DAYS, "date": f"{outcome.editable_until:%Y-%m-%d}"},
                code="locked",
            )
        objectives = fields.pop("objectives", False)
        indicators = fields.pop("indicators", None)
        before = {
            **audit.snapshot(outcome, m2m=["objectives"]),
            "indicators": indicator_values(outcome.indicators.values("key", "label", "value", "unit")),
        }
        for name, value in fields.items():
            setattr(outcome, name, value)
        outcome.save(update_fields=[*fields, "updated_at"])
        if objectives is not False:
            if objectives is None:
                objectives = opportunity_objectives(match)
            outcome.objectives.set(objectives)
        if indicators is not None:
            outcome.indicators.all().delete()
            OutcomeIndicator.objects.bulk_create(
                [OutcomeIndicator(outcome=outcome, **row) for row in indicators]
            )
        after = {
            **audit.snapshot(outcome, m2m=["objectives"]),
            "indicators": before["indicators"] if indicators is None else indicator_values(indicators),
        }
        audit.record(outcome, user=user, operation="update_outcome", before=before, after=after)
    return outcome


def indicator_values(rows):
    """An outcome's indicators as the audit log keeps them (values to the cent, as stored)."""
    cent = decimal.Decimal("0.01")
    return [
        {
            "key": row.get("key"),
            "label": row.get("label") or "",
            "value": None if row.get("value") is None else str(decimal.Decimal(row["value"]).quantize(cent)),
            "unit": row.get("unit") or "",
        }
        for row in rows
    ]

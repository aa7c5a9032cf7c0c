"""Offers and requests: create, change, close, reopen, renew, delete. Every write here is audited, and a
change of text schedules a new embedding (which also reads the text's language, see `embeddings`)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from matchmaking.choices import Moderation, OpportunityStatus
from matchmaking.models import Match, Opportunity, OpportunityEmbedding
from matchmaking.models.opportunities import LIST_FIELDS
from matchmaking.recommendations.index import terms_for

from . import audit
from .embeddings import reset_embedding, schedule_embedding
from .errors import Conflict, ServiceError
from .matches import close_proposals_if_full

# What a moderator read before approving: changed by an organization that is not verified, the
# opportunity waits for approval again.
REVIEWED_FIELDS = ("title", "description", "contact_name", "contact_email")


def _split_lists(data):
    """(the fields, the lists): the many-to-many fields are set once the row exists."""
    data = dict(data)
    lists = {name: data.pop(name) for name in LIST_FIELDS if name in data}
    return data, lists


def _snapshot_after(opportunity, lists):
    return {**audit.snapshot(opportunity), **{name: audit.keys(values) for name, values in lists.items()}}


def create_opportunity(*, user, data, embed=True, imported=False):
    """Creates an opportunity from validated data (lists as instances or keys). With `embed=False`
    the caller embeds it later (bulk imports embed in batches). An imported one (`imported=True`, no
    user) waits for approval unless its organization is verified (see `Opportunity.moderation_for`)."""
    data, lists = _split_lists(data)
    with transaction.atomic():
        opportunity = Opportunity(created_by=user if user and user.is_authenticated else None, **data)
        opportunity.moderation = Opportunity.moderation_for(user, opportunity.organization, imported=imported)
        opportunity.settle_cofinancing()
        opportunity.terms = terms_for(opportunity.title, opportunity.description)
        if opportunity.status == OpportunityStatus.OPEN:
            opportunity.published_at = timezone.now()
        opportunity.save()
        for name, values in lists.items():
            getattr(opportunity, name).set(values)
        OpportunityEmbedding.objects.create(opportunity=opportunity)
        audit.record(
            opportunity, user=user, operation="create_opportunity", after=_snapshot_after(opportunity, lists)
        )
        if embed:
            schedule_embedding(opportunity.pk)
    return opportunity


def update_opportunity(opportunity, *, user, data, embed=True, imported=False):
    """Changes an opportunity; embeds it again if its text changed (with `embed=False`, the caller
    embeds it later, as for `create_opportunity`). An approved opportunity of an organization that is
    not verified waits for approval again when its text or contact changes (unless staff change it;
    an import, `imported=True`, is not staff)."""
    data, lists = _split_lists(data)
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = audit.snapshot(opportunity, m2m=list(lists))
        old_text = (opportunity.title, opportunity.description)
        reviewed = [getattr(opportunity, name) for name in REVIEWED_FIELDS]
        _check_status_change(opportunity.status, data.get("status", opportunity.status))
        capacity_changed = "capacity" in data and data["capacity"] != opportunity.capacity
        if capacity_changed:
            _check_capacity_change(opportunity, data["capacity"])
        for name, value in data.items():
            setattr(opportunity, name, value)
        opportunity.settle_cofinancing()
        if (
            opportunity.moderation == Moderation.APPROVED
            and reviewed != [getattr(opportunity, name) for name in REVIEWED_FIELDS]
            and Opportunity.moderation_for(user, opportunity.organization, imported=imported)
            == Moderation.PENDING
        ):
            opportunity.moderation = Moderation.PENDING
        if opportunity.status == OpportunityStatus.OPEN and opportunity.published_at is None:
            opportunity.published_at = timezone.now()
        text_changed = (opportunity.title, opportunity.description) != old_text
        if text_changed:
            opportunity.text_language = ""  # read again with the new text's vector
            opportunity.terms = terms_for(opportunity.title, opportunity.description)
        opportunity.save()
        for name, values in lists.items():
            getattr(opportunity, name).set(values)
        audit.record(
            opportunity,
            user=user,
            operation="update_opportunity",
            before=before,
            after=_snapshot_after(opportunity, lists),
        )
        if text_changed:
            reset_embedding(opportunity.pk)
            if embed:
                schedule_embedding(opportunity.pk)
        if capacity_changed:
            close_proposals_if_full(opportunity, user=user)
    return opportunity


def _check_capacity_change(opportunity, capacity):
    """A capacity never falls below the matches that already hold a place (the row is locked)."""
    held = Opportunity.objects.with_capacity_held().get(pk=opportunity.pk).capacity_held
    if capacity < held:
        raise ServiceError(
            ngettext(
                "%(held)d partner already holds a place: the capacity cannot be less.",
                "%(held)d partners already hold a place: the capacity cannot be less.",
                held,
            )
            % {"held": held},
            field="capacity",
            code="below_held",
        )


def _check_status_change(current, new):
    """An edit may publish a draft; a published opportunity never returns to draft (its partners would
    lose it), and a closed one opens again only through `reopen_opportunity`."""
    if new == current:
        return
    if new == OpportunityStatus.DRAFT:
        raise ServiceError(
            _("A published posting cannot return to draft; close it instead."),
            field="status",
            code="no_return_to_draft",
        )
    if current == OpportunityStatus.CLOSED:
        raise ServiceError(
            _("Use the reopen action to open a closed posting again."), field="status", code="use_reopen"
        )


def reopen_opportunity(opportunity, *, user, today=None):
    """Opens a closed opportunity again, unless it has ended or its application deadline has passed
    (change those dates first)."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.status != OpportunityStatus.CLOSED:
            raise Conflict(_("Only a closed posting can be reopened."), code="not_closed")
        if opportunity.is_expired(today):
            raise ServiceError(
                _("This posting has ended or its application deadline has passed: change its dates first."),
                field="ends_on",
                code="ended",
            )
        before = audit.snapshot(opportunity)
        opportunity.status = OpportunityStatus.OPEN
        opportunity.save(update_fields=["status", "updated_at"])
        audit.record(opportunity, user=user, operation="reopen_opportunity", before=before)
    return opportunity


def renew_opportunity(opportunity, *, user, ends_on, application_deadline=None, today=None):
    """Extends an open or closed opportunity in one step: a new end date, in the future, later than the
    current one and at most RENEWAL_MAX_DAYS from today; its application deadline, if it has one, moves
    to `application_deadline` or, when none is given, by as many days as the end date. A closed
    opportunity opens again (as `reopen_opportunity` does, now that it has not ended): it is recommended
    again."""
    today = today or timezone.localdate()
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.status == OpportunityStatus.DRAFT:
            raise Conflict(
                _("A draft is not renewed: change its dates and publish it."), code="not_published"
            )
        if opportunity.ends_on is None:
            raise Conflict(
                _("This posting has no end date: it stays open until it is closed."), code="no_end_date"
            )
        deadline = _renewed_deadline(opportunity, ends_on, application_deadline, today)
        before = audit.snapshot(opportunity)
        opportunity.ends_on = ends_on
        opportunity.application_deadline = deadline
        opportunity.status = OpportunityStatus.OPEN
        if opportunity.published_at is None:  # a draft that was closed unpublished
            opportunity.published_at = timezone.now()
        opportunity.save(
            update_fields=["ends_on", "application_deadline", "status", "published_at", "updated_at"]
        )
        audit.record(opportunity, user=user, operation="renew_opportunity", before=before)
    return opportunity


def _renewed_deadline(opportunity, ends_on, application_deadline, today):
    """Checks the new end date, and returns the application deadline that goes with it."""
    latest = today + datetime.timedelta(days=settings.RENEWAL_MAX_DAYS)
    if ends_on <= today:
        raise ServiceError(
            _("The new end date must be in the future."), field="ends_on", code="not_in_future"
        )
    if ends_on <= opportunity.ends_on:
        raise ServiceError(
            _("The new end date must be later than the current one, %(date)s.")
            % {"date": formats.date_format(opportunity.ends_on, "DATE_FORMAT")},
            field="ends_on",
            code="not_later",
        )
    if ends_on > latest:
        raise ServiceError(
            ngettext(
                "A posting is renewed for at most %(days)d day: until %(date)s at the latest.",
                "A posting is renewed for at most %(days)d days: until %(date)s at the latest.",
                settings.RENEWAL_MAX_DAYS,
            )
            % {"days": settings.RENEWAL_MAX_DAYS, "date": formats.date_format(latest, "DATE_FORMAT")},
            field="ends_on",
            code="too_far",
        )
    current = opportunity.application_deadline
    if current is None:
        if application_deadline is not None:
            raise ServiceError(
                _("This posting has no application deadline: set one by editing it."),
                field="application_deadline",
                code="no_deadline",
            )
        return None
    if application_deadline is None:
        application_deadline = current + (ends_on - opportunity.ends_on)
        if application_deadline < today:
            raise ServiceError(
                _(
                    "Moved by as many days as the end date, the application deadline would still be past: "
                    "give a new one."
                ),
                field="application_deadline",
                code="required",
            )
        return application_deadline
    if application_deadline < max(today, current):
        raise ServiceError(
            _("The new application deadline must be neither past nor earlier than the current one."),
            field="application_deadline",
            code="not_later",
        )
    if application_deadline > ends_on:
        raise ServiceError(
            _("The application deadline must not be after the end date."),
            field="application_deadline",
            code="after_end",
        )
    return application_deadline


def close_opportunity(opportunity, *, user):
    """Closes an open or draft opportunity: it stays visible but is no longer recommended."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.status == OpportunityStatus.CLOSED:
            raise Conflict(_("This posting is already closed."), code="already_closed")
        before = audit.snapshot(opportunity)
        opportunity.status = OpportunityStatus.CLOSED
        opportunity.save(update_fields=["status", "updated_at"])
        audit.record(opportunity, user=user, operation="close_opportunity", before=before)
    return opportunity


def has_matches(opportunity):
    return Match.objects.filter(Q(request=opportunity) | Q(offer=opportunity)).exists()


def delete_opportunity(opportunity, *, user):
    """Deletes an opportunity that never had a match (one that had is closed instead, so that the
    history of its matches stays)."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if has_matches(opportunity):
            raise Conflict(
                _("A posting with matches cannot be deleted: close it instead."), code="has_matches"
            )
        audit.record_deletion(opportunity, user=user, operation="delete_opportunity", m2m=LIST_FIELDS)
        opportunity.delete()

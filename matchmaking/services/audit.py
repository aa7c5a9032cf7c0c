"""Writes the audit log (`matchmaking.models.AuditLog`). Services call `record` inside the transaction
of the change, so that a change and its entry are written together or not at all:

    before = audit.snapshot(opportunity)
    ... change and save the opportunity ...
    audit.record(opportunity, user=user, operation="close_opportunity", before=before)
"""

import datetime
import decimal

from matchmaking.models import AuditAction, AuditLog

CREATE, UPDATE, DELETE = AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE

# Bookkeeping that every save changes, and bulky binary data.
SKIPPED_FIELDS = {"created_at", "updated_at", "vector", "terms", "search_vector"}  # derived from other fields


def jsonable(value):
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, datetime.date | datetime.time):  # and datetimes
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def keys(values):
    """Instances or keys, as a sorted list of JSON-ready keys."""
    return sorted(jsonable(getattr(value, "pk", value)) for value in values)


def snapshot(instance, m2m=()):
    """The instance's field values, JSON-ready: its concrete fields (a foreign key by its key) and the
    many-to-many fields named in `m2m` (read from the database unless prefetched)."""
    opts = instance._meta
    values = {
        field.name: jsonable(field.value_from_object(instance))
        for field in opts.concrete_fields
        if not field.primary_key and field.name not in SKIPPED_FIELDS
    }
    for name in m2m:
        values[name] = keys(getattr(instance, name).all()) if instance.pk is not None else []
    return values


def record(instance, *, user=None, operation="", action=None, before=None, after=None):
    """Writes one entry about `instance` with the fields that differ between `before` and `after`
    (snapshots; `after` defaults to the instance now). With no `before` the object was created; with
    `action=DELETE` it was deleted (`after` is then empty). An update that changed nothing writes no
    entry. Returns the entry, or None."""
    if action is None:
        action = AuditAction.CREATE if before is None else AuditAction.UPDATE
    before = before or {}
    if after is None:
        after = {} if action == AuditAction.DELETE else snapshot(instance)
    changes = {
        name: [before.get(name), after.get(name)]
        for name in [*before, *(name for name in after if name not in before)]
        if before.get(name) != after.get(name)
    }
    if action == AuditAction.UPDATE and not changes:
        return None
    return AuditLog.objects.create(
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=user.get_username() if user is not None and user.is_authenticated else "",
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        operation=operation,
        changes=changes,
    )


def record_deletion(instance, *, user=None, operation="", m2m=()):
    """Writes the entry of an object about to be deleted (call it before `delete()`)."""
    return record(instance, user=user, operation=operation, action=DELETE, before=snapshot(instance, m2m=m2m))


def record_updates(model, ids, changes, *, user=None, operation=""):
    """One entry per object of `model` whose fields `changes` ({field: [old, new]}) changed in bulk."""
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=user if user is not None and user.is_authenticated else None,
                actor_name=user.get_username() if user is not None and user.is_authenticated else "",
                model=model._meta.label_lower,
                object_id=str(pk),
                action=AuditAction.UPDATE,
                operation=operation,
                changes=changes,
            )
            for pk in ids
        ]
    )

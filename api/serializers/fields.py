"""Fields the serializers share: reference rows read and written by their code or slug, and the
hints that say which codes exist."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matchmaking.labels import currencies

COUNTRY_HINT = _("Use ISO 3166-1 alpha-2 codes, as listed at /api/v1/countries/.")
LANGUAGE_HINT = _("Use ISO 639-1 codes such as en, fr, es.")
OBJECTIVE_HINT = _("Use objective codes such as 1.1 or GBF-TARGET-01, as listed at /api/v1/objectives/.")


def unknown_codes(model, codes, hint=None):
    """The message for codes that name no row: which ones, and which are allowed (or a hint where
    the list is too long to repeat)."""
    what = model._meta.verbose_name
    message = _("Unknown %(what)s: %(codes)s.") % {
        "what": what,
        "codes": ", ".join(str(code) for code in codes),
    }
    if hint is None:
        allowed = ", ".join(str(pk) for pk in model.objects.values_list("pk", flat=True))
        hint = _("Allowed: %(codes)s.") % {"codes": allowed}
    return serializers.ValidationError(f"{message} {hint}")


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.Field):
    """One reference row, by its code (its primary key unless `code_field` says otherwise)."""

    def __init__(self, model, code_field="pk", hint=None, **kwargs):
        self.model, self.code_field, self.hint = model, code_field, hint
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(_("Expected a code (a string)."))
        row = self.model.objects.filter(**{self.code_field: data}).first()
        if row is None:
            raise unknown_codes(self.model, [data], self.hint)
        return row

    def get_attribute(self, instance):
        if self.code_field == "pk" and len(self.source_attrs) == 1:
            key = f"{self.source_attrs[0]}_id"
            if hasattr(instance, key):  # a foreign key: its code, without reading the row
                return getattr(instance, key)
        return super().get_attribute(instance)

    def to_representation(self, value):
        return getattr(value, self.code_field) if isinstance(value, models.Model) else value


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CodeListField(serializers.ListField):
    """A list of reference rows by their codes, looked up in one query; duplicates are dropped."""

    def __init__(self, model, code_field="pk", hint=None, **kwargs):
        self.model, self.code_field, self.hint = model, code_field, hint
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        if self.max_length is not None and len(codes) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        rows = self.model.objects.filter(**{f"{self.code_field}__in": codes})
        found = {str(getattr(row, self.code_field)): row for row in rows}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise unknown_codes(self.model, unknown, self.hint)
        return [found[code] for code in codes]

    def get_attribute(self, instance):
        # A recommended opportunity carries its keys, read from the recommendation index (in the
        # related model's order): no query.
        known = getattr(instance, "list_keys", None)
        if known is not None and self.field_name in known:
            return KnownKeys(known[self.field_name])
        return super().get_attribute(instance)

    def to_representation(self, value):
        if isinstance(value, KnownKeys):
            return list(value)
        return [getattr(row, self.code_field) for row in value.all()]


class KnownKeys(tuple):
    """The keys of a list field, already known."""


@extend_schema_field({"type": "string", "enum": ["", *currencies()]})
class CurrencyField(serializers.CharField):
    """The ISO 4217 code of a currency in use (from CLDR), or "" for none; which codes are known is
    checked with the other needs, by `Opportunity.clean_needs`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class ChoiceListField(serializers.ListField):
    """A list of keys of a choice list; duplicates are dropped."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("max_length", len(choices))
        super().__init__(child=serializers.ChoiceField(choices=choices), **kwargs)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))

"""Names of reference rows in the reader's language: countries, languages and currencies from CLDR
(through Babel), and the country groups; and lists of names in the reader's alphabetical order."""

import datetime
from functools import cache

import pyuca
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, get_territory_currencies
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

# The groups' names are stored in English; these are the ones the pages show, translated.
GROUP_NAMES = {
    "AFR": _("African States"),
    "APAC": _("Asia-Pacific States"),
    "EEG": _("Eastern European States"),
    "GRULAC": _("Latin American and Caribbean States"),
    "WEOG": _("Western European and Other States"),
    "developing": _("Developing countries (OECD DAC list)"),
    "ldc": _("Least developed countries"),
    "sids": _("Small island developing States"),
    "eu": _("European Union"),
}


def group_name(group):
    code = getattr(group, "code", group)
    return GROUP_NAMES.get(code, code)


@cache
def _locale(language):
    try:
        return Locale.parse(to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def reader_locale():
    """The CLDR locale of the language the page or message is in."""
    return _locale(get_language() or "en")


def language_name(language):
    """A language's name (a Language row or an ISO 639-1 code) in the reader's language, from CLDR;
    its stored English name, or its code, where CLDR has none."""
    code = getattr(language, "code", language)
    name = reader_locale().languages.get(code)
    return name if name else getattr(language, "name", code)


def country_name(country):
    """A country's name (a Country row or an ISO 3166-1 alpha-2 code) in the reader's language, from
    CLDR; its stored English name, or its code, where CLDR has none."""
    code = getattr(country, "code", country)
    name = reader_locale().territories.get(code)
    return name if name else getattr(country, "name", code)


@cache
def currencies():
    """The ISO 4217 codes of the currencies that are legal tender in some territory today, from CLDR
    (not the withdrawn ones, such as DEM or FRF), sorted."""
    today = datetime.date.today()
    codes = set()
    for territory in Locale.parse("en").territories:
        if len(territory) == 2 and territory.isalpha():
            codes.update(get_territory_currencies(territory, today, tender=True))
    return tuple(sorted(codes))


def currency_name(code):
    """A currency's name (ISO 4217 code) in the reader's language, from CLDR."""
    return get_currency_name(code, locale=reader_locale()) if code else ""


def currency_choices():
    """(code, "code — name") of every currency in use, by code, named in the reader's language."""
    return [(code, f"{code} — {currency_name(code)}") for code in currencies()]


@cache
def _collator():
    return pyuca.Collator()


def reading_order(items, key=str):
    """The items sorted by `key` as readers expect: by the Unicode Collation Algorithm, so that
    "Égypte" comes before "Estonie" and after "Afghanistan" (not by code point, nor by ISO code). The
    root collation: Chinese names follow the root order of their characters, not pinyin."""
    sort_key = _collator().sort_key
    return sorted(items, key=lambda item: sort_key(key(item)))

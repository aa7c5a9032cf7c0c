"""Names of reference rows in the reader's language: languages from CLDR (through Babel), and the
country groups."""

from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language
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


def language_name(language):
    """A language's name (a Language row or an ISO 639-1 code) in the reader's language, from CLDR;
    its stored English name, or its code, where CLDR has none."""
    code = getattr(language, "code", language)
    try:
        locale = Locale.parse((get_language() or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    name = locale.languages.get(code)
    return name if name else getattr(language, "name", code)

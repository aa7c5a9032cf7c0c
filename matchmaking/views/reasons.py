"""The reasons of a recommendation in plain words, in the user's language, from the structured
reasons that `recommendations.recommend` returns (its own `summary` sentences are English only)."""

import functools

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from matchmaking.choices import Direction
from matchmaking.forms.fields import group_name, language_name
from matchmaking.models import CooperationType, Theme


class Vocabulary:
    """The cooperation types and themes, read once for all the reasons of a page."""

    def __init__(self):
        self.terms = {
            **{("type", t.slug): t for t in CooperationType.objects.all()},
            **{("theme", t.slug): t for t in Theme.objects.all()},
        }

    def label(self, kind, slug):
        term = self.terms.get((kind, slug))
        return term.localized_label() if term else slug

    def labels(self, kind, slugs):
        return ", ".join(self.label(kind, slug) for slug in slugs)


def plain_reasons(reasons, query, candidate, vocabulary=None):
    """Sentences for one recommended `candidate` of the opportunity `query`, seen by `query`'s side."""
    vocabulary = vocabulary or Vocabulary()
    _type_label = functools.partial(vocabulary.label, "type")
    sentences = []
    semantic = reasons.get("semantic") or 0
    if semantic >= 0.5:
        sentences.append(_("The two descriptions are close in meaning"))
    elif semantic >= 0.35:
        sentences.append(_("The two descriptions are related in meaning"))
    if reasons.get("shared_terms"):
        sentences.append(
            _("Uses the same key words: %(words)s") % {"words": ", ".join(reasons["shared_terms"])}
        )
    request_type, offer_type = reasons.get("request_type"), reasons.get("offer_type")
    type_fit = reasons.get("type_fit") or 0
    if request_type and offer_type:
        if type_fit >= 0.95 and request_type == offer_type:
            sentences.append(_("Same kind of cooperation: %(kind)s") % {"kind": _type_label(request_type)})
        elif type_fit >= 0.6:
            sentences.append(
                _("A “%(offer)s” offer can serve a “%(request)s” request")
                % {"offer": _type_label(offer_type), "request": _type_label(request_type)}
            )
        elif type_fit < 0.3:
            sentences.append(
                _("Different kinds of cooperation: “%(request)s” request, “%(offer)s” offer")
                % {"offer": _type_label(offer_type), "request": _type_label(request_type)}
            )
    if reasons.get("shared_themes"):
        sentences.append(
            _("Shares themes: %(themes)s") % {"themes": vocabulary.labels("theme", reasons["shared_themes"])}
        )
    if reasons.get("shared_objectives"):
        objectives = reasons["shared_objectives"]
        sentences.append(
            ngettext(
                "Serves the same objective: %(codes)s",
                "Serves the same objectives: %(codes)s",
                len(objectives),
            )
            % {"codes": ", ".join(objectives)}
        )
    if reasons.get("common_languages"):
        names = [language_name(code) for code in reasons["common_languages"]]
        sentences.append(_("Both work in %(languages)s") % {"languages": ", ".join(names)})
    if reasons.get("dates_overlap") is True:
        sentences.append(_("Their periods overlap"))
    elif reasons.get("dates_overlap") is False:
        sentences.append(_("Their periods do not overlap"))
    sentences.append(eligibility(query, candidate))
    return sentences


def eligibility(query, candidate):
    """Why the requesting side may take up the offer: "your country is eligible: ldc"."""
    if query.direction == Direction.REQUEST:
        request, offer, yours = query, candidate, True
    else:
        request, offer, yours = candidate, query, False
    country = request.organization.country
    groups = [group.code for group in offer.eligible_groups.all()]
    countries = [c.code for c in offer.eligible_countries.all()]
    if not groups and not countries:
        return _("The offer is open to every country")
    if country.code in countries:
        if yours:
            return _("Your country is listed among the eligible countries")
        return _("%(country)s is listed among the eligible countries") % {"country": country.name}
    shared = sorted(set(groups) & country.group_codes())
    names = ", ".join(str(group_name(code)) for code in shared)
    if yours:
        return _("Your country is eligible: %(groups)s") % {"groups": names}
    return _("%(country)s is eligible: %(groups)s") % {"country": country.name, "groups": names}

"""The reasons of a recommendation in plain words, in the reader's language (the active language of
the request), from the data of `ml.reasons` and the hard filters."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from matchmaking.choices import Cost, Direction, Indicator, Level
from matchmaking.labels import country_name, group_name, language_name
from matchmaking.models import CooperationType, Theme

from .embedding import covers


class TermLabels:
    """The cooperation types and themes, read once for all the reasons of a page or response."""

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


def summary(reasons, query, candidate, labels):
    """Sentences for one recommended `candidate` of the opportunity `query`, seen by `query`'s side."""
    return [
        *_text(reasons),
        *_structure(reasons, labels),
        *_needs(reasons.get("structured") or {}),
        eligibility(reasons["eligible_through"], query, candidate),
    ]


def _text(reasons):
    """What the two texts have in common, and why that may say little."""
    sentences = []
    query_language, candidate_language = reasons.get("text_languages") or ("", "")
    if not covers(query_language):
        sentences.append(
            _(
                "Your text is in %(language)s, which the matching model does not read: these matches rest "
                "on the kind of cooperation, the themes, the languages and the dates only"
            )
            % {"language": language_name(query_language)}
        )
    if not covers(candidate_language):
        sentences.append(
            _(
                "Its text is in %(language)s, which the matching model does not read: matched without its meaning"
            )
            % {"language": language_name(candidate_language)}
        )
    semantic = reasons.get("semantic") or 0
    if reasons.get("across_languages") and semantic >= 0.35:
        sentences.append(
            _("Matched by meaning across languages (%(query)s and %(candidate)s)")
            % {"query": language_name(query_language), "candidate": language_name(candidate_language)}
        )
    elif semantic >= 0.5:
        sentences.append(_("The two descriptions are close in meaning"))
    elif semantic >= 0.35:
        sentences.append(_("The two descriptions are related in meaning"))
    if reasons.get("shared_terms"):
        sentences.append(
            _("Uses the same key words: %(words)s") % {"words": ", ".join(reasons["shared_terms"])}
        )
    return sentences


def _structure(reasons, labels):
    """What the two sides declared, or their texts say, in common."""
    sentences = []
    request_type, offer_type = reasons.get("request_type"), reasons.get("offer_type")
    read_request, read_offer = reasons.get("matched_types") or (request_type, offer_type)
    type_fit = reasons.get("type_fit") or 0
    kinds = {"offer": labels.label("type", offer_type), "request": labels.label("type", request_type)}
    read = {"offer": labels.label("type", read_offer), "request": labels.label("type", read_request)}
    if type_fit >= 0.95 and request_type == offer_type:
        sentences.append(_("Same kind of cooperation: %(kind)s") % {"kind": kinds["request"]})
    elif type_fit >= 0.6 and (read_request, read_offer) != (request_type, offer_type):
        sentences.append(_("By what their texts say, a “%(offer)s” offer for a “%(request)s” request") % read)
    elif type_fit >= 0.6:
        sentences.append(_("A “%(offer)s” offer can serve a “%(request)s” request") % kinds)
    elif type_fit < 0.3:
        sentences.append(
            _("Different kinds of cooperation: “%(request)s” request, “%(offer)s” offer") % kinds
        )
    if reasons.get("shared_themes"):
        sentences.append(
            _("Shares themes: %(themes)s") % {"themes": labels.labels("theme", reasons["shared_themes"])}
        )
    elif reasons.get("read_themes"):
        sentences.append(
            _("Both texts deal with %(themes)s") % {"themes": labels.labels("theme", reasons["read_themes"])}
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
    elif reasons.get("no_common_language"):
        sentences.append(_("No common working language"))
    if reasons.get("dates_overlap") is True:
        sentences.append(_("Their periods overlap"))
    elif reasons.get("dates_overlap") is False:
        sentences.append(_("Their periods do not overlap"))
    return sentences


def _months(count):
    return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}


def _needs(structured):
    """What the structured needs that both sides gave say (`ml.reasons` "structured")."""
    sentences = []
    if budget := structured.get("budget"):
        currency = {"currency": budget["currency"]}
        if budget["overlap"]:
            sentences.append(_("Their budgets overlap (%(currency)s)") % currency)
        else:
            sentences.append(_("Their budgets do not overlap (%(currency)s)") % currency)
    if level := structured.get("level"):
        if level["same"]:
            sentences.append(_("Same level: %(level)s") % {"level": Level(level["request"]).label})
        else:
            sentences.append(
                _("Different levels: %(request)s for the request, %(offer)s for the offer")
                % {"request": Level(level["request"]).label, "offer": Level(level["offer"]).label}
            )
    if duration := structured.get("duration"):
        months = {"request": _months(duration["request"]), "offer": _months(duration["offer"])}
        if duration["fit"] >= 0.75:
            sentences.append(
                _("Similar durations: %(request)s for the request, %(offer)s for the offer") % months
            )
        else:
            sentences.append(
                _("Different durations: %(request)s for the request, %(offer)s for the offer") % months
            )
    if outputs := structured.get("expected_outputs"):
        if outputs["shared"]:
            names = ", ".join(str(Indicator(key).label) for key in outputs["shared"])
            sentences.append(_("Same expected outputs: %(outputs)s") % {"outputs": names})
        else:
            sentences.append(_("Different expected outputs"))
    if covers := structured.get("covers"):
        if covers["shared"]:
            names = ", ".join(str(Cost(key).label) for key in covers["shared"])
            sentences.append(
                _("The offer covers costs the request needs covered: %(costs)s") % {"costs": names}
            )
        else:
            sentences.append(_("The offer covers none of the costs the request needs covered"))
    return sentences


def eligibility(through, query, candidate):
    """Why the requesting side may take up the offer: "your country is eligible: ldc". `through` is
    {"open_to_all", "listed", "groups"} (see `filters.eligible_through`)."""
    yours = query.direction == Direction.REQUEST
    country = country_name((query if yours else candidate).organization.country_id)
    if through["open_to_all"]:
        return _("The offer is open to every country")
    if through["listed"]:
        if yours:
            return _("Your country is listed among the eligible countries")
        return _("%(country)s is listed among the eligible countries") % {"country": country}
    names = ", ".join(str(group_name(code)) for code in through["groups"])
    if yours:
        return _("Your country is eligible: %(groups)s") % {"groups": names}
    return _("%(country)s is eligible: %(groups)s") % {"country": country, "groups": names}

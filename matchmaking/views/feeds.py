"""Atom feeds of the open postings, with the browse page's filters, so that national CHM sites and
feed readers can follow them. A feed reader sends no cookie: the language of the feed's labels is
chosen in its URL (`lang`)."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from matchmaking.choices import Direction
from matchmaking.forms.opportunities import BrowseFilterSet
from matchmaking.models import Opportunity

FEED_ENTRIES = 50  # the newest postings that fit the filters
SUMMARY_WORDS = 80
MAX_AGE = 300  # seconds a reader or a proxy may keep a feed before asking again (with its ETag)
LANGUAGE_PARAMETER = "lang"


class LabelledAtomFeed(Atom1Feed):
    """Atom whose entries' categories carry a scheme and a label in the reader's language beside their
    term (Django's Atom1Feed writes the term alone): `labelled_categories` is [(scheme, term, label)]."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for scheme, term, label in item.get("labelled_categories", ()):
            handler.addQuickElement("category", "", {"term": term, "scheme": scheme, "label": label})


@dataclass
class Selection:
    """What one feed shows: its entries, the filters they were chosen by, and the query string of
    those filters (for the browse page they come from)."""

    entries: list
    direction: str
    query: str


class PostingsFeed(Feed):
    feed_type = LabelledAtomFeed

    def get_object(self, request, selection):
        self.request = request
        return selection

    def title(self, selection):
        if selection.direction == Direction.OFFER:
            return _("Open offers of cooperation: CHM cooperation matchmaking")
        if selection.direction == Direction.REQUEST:
            return _("Open requests for cooperation: CHM cooperation matchmaking")
        return _("Open offers and requests: CHM cooperation matchmaking")

    def subtitle(self, selection):
        return _(
            "The newest open postings of technical and scientific cooperation of the Clearing-House "
            "Mechanism of the Convention on Biological Diversity that fit this feed's filters."
        )

    def link(self, selection):
        return reverse("web:browse") + (f"?{selection.query}" if selection.query else "")

    def feed_url(self, selection):
        return self.request.get_full_path()

    def items(self, selection):
        return selection.entries

    def item_title(self, opportunity):
        return _("%(direction)s: %(title)s") % {
            "direction": opportunity.get_direction_display(),
            "title": opportunity.title,
        }

    def item_description(self, opportunity):
        # Atom's summary is HTML: the text is escaped, so that a reader shows it as it was typed
        return escape(Truncator(opportunity.description).words(SUMMARY_WORDS))

    def item_link(self, opportunity):
        return reverse("web:opportunity", args=[opportunity.pk])

    def item_author_name(self, opportunity):
        return f"{opportunity.organization.name} ({opportunity.organization.country.local_name})"

    def item_pubdate(self, opportunity):
        return opportunity.published_at or opportunity.created_at

    def item_updateddate(self, opportunity):
        return opportunity.updated_at

    def item_extra_kwargs(self, opportunity):
        build = self.request.build_absolute_uri
        categories = [
            (
                build(reverse("web:browse")) + "#direction",
                opportunity.direction,
                opportunity.get_direction_display(),
            ),
            (
                build(reverse("cooperation-type-list")),
                opportunity.cooperation_type_id,
                str(opportunity.cooperation_type),
            ),
        ]
        themes = build(reverse("theme-list"))
        categories += [(themes, theme.pk, str(theme)) for theme in opportunity.themes.all()]
        return {"labelled_categories": categories}


def feed_query(request_query):
    """The query string of the browse page's filters, without its page and the feed's language."""
    query = request_query.copy()
    for name in ("page", LANGUAGE_PARAMETER):
        query.pop(name, None)
    return query.urlencode()


def feed_link(filters, query):
    """The feed of the browse page's filters (a valid BrowseFilterSet, bound to `query`), in the
    reader's language. A feed reader has no account: "open to my country" becomes the user's country
    when their organizations are all of one country."""
    query = query.copy()
    query.pop("page", None)
    if query.pop("open_to_me", None):
        countries = filters.user_countries()
        wanted = filters.form.cleaned_data.get("open_to_me")
        if wanted and len(countries) == 1 and not query.get("eligible_for"):
            query["eligible_for"] = countries[0]
    query[LANGUAGE_PARAMETER] = translation.get_language()
    return reverse("web:postings_feed") + "?" + query.urlencode()


def postings_feed(request):
    """The Atom feed of the open postings that fit the browse page's filters given in the URL, newest
    first; never a draft, a posting waiting for approval or hidden, nor a closed or expired one. Bad
    filters (or language) get 400 with their messages."""
    language = request.GET.get(LANGUAGE_PARAMETER) or translation.get_language()
    try:
        language = translation.get_supported_language_variant(language)
    except LookupError:
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        message = _("Not one of the languages of the site: %(codes)s.") % {"codes": codes}
        return bad_request([f"{LANGUAGE_PARAMETER}: {message}"])
    with translation.override(language):
        filters = BrowseFilterSet(
            data=request.GET,
            queryset=Opportunity.objects.live().select_related("organization__country", "cooperation_type"),
        )
        if not filters.is_valid():
            return bad_request(
                f"{name}: {message}" for name, messages in filters.errors.items() for message in messages
            )
        entries = list(
            filters.qs.order_by(
                Coalesce("published_at", "created_at").desc(), F("id").desc()
            ).prefetch_related("themes")[:FEED_ENTRIES]
        )
        etag = quote_etag(version(language, entries))
        response = get_conditional_response(request, etag=etag)
        if response is None:
            selection = Selection(
                entries=entries,
                direction=filters.form.cleaned_data.get("direction") or "",
                query=feed_query(request.GET),
            )
            response = PostingsFeed()(request, selection=selection)
            # Syndication dates the feed by its newest entry, but a posting that leaves it (closed,
            # hidden, ended) changes it too: the ETag alone says whether it changed.
            del response.headers["Last-Modified"]
    response.headers["ETag"] = etag
    response.headers["Content-Language"] = language
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def version(language, entries):
    """A hash of everything a feed shows: its language, and each entry as changed last (with its
    organization)."""
    digest = hashlib.sha256(language.encode())
    for opportunity in entries:
        digest.update(
            f"|{opportunity.pk}:{opportunity.updated_at.isoformat()}:"
            f"{opportunity.organization.updated_at.isoformat()}".encode()
        )
    return digest.hexdigest()


def bad_request(lines):
    body = "\n".join([_("This feed's filters are not valid:"), *lines]) + "\n"
    return HttpResponse(body, status=400, content_type="text/plain; charset=utf-8")

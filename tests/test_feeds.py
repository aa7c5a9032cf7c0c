"""The Atom feeds of open postings: the browse page's filters, what an entry carries, the language of
its labels, what it never shows, bad filters, its size and its validator."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import Moderation
from matchmaking.models import Objective, Opportunity, Organization
from matchmaking.services.moderation import hide_opportunity
from matchmaking.services.opportunities import close_opportunity
from matchmaking.views import feeds
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/postings/feed/"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """A text filter embeds; the real model is never loaded here."""


def read_feed(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def entries(root):
    return root.findall(f"{ATOM}entry")


def entry_ids(response):
    """The ids of the postings a feed lists, in its order."""
    return [
        int(entry.find(f"{ATOM}link").get("href").rstrip("/").rsplit("/", 1)[1])
        for entry in entries(read_feed(response))
    ]


# --------------------------------------------------------------------------- what an entry carries


def test_an_entry_carries_title_summary_organization_dates_link_and_categories(client, institute_offer):
    root = read_feed(client.get(FEED, {"lang": "en"}))
    [entry] = entries(root)
    assert entry.find(f"{ATOM}title").text == "Offer: Hosting of national clearing-house mechanism websites"
    assert entry.find(f"{ATOM}summary").text.startswith(
        "Hosting of national clearing-house mechanism websites."
    )
    assert (
        entry.find(f"{ATOM}author/{ATOM}name").text == "Royal Belgian Institute of Natural Sciences (Belgium)"
    )
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver/postings/{institute_offer.pk}/"
    published = datetime.datetime.fromisoformat(entry.find(f"{ATOM}published").text)
    assert published == institute_offer.published_at
    assert datetime.datetime.fromisoformat(entry.find(f"{ATOM}updated").text) == institute_offer.updated_at
    categories = {(c.get("scheme"), c.get("term"), c.get("label")) for c in entry.findall(f"{ATOM}category")}
    assert categories == {
        ("http://testserver/postings/#direction", "offer", "Offer"),
        ("http://testserver/api/v1/cooperation-types/", "hosting", "Hosting"),
        ("http://testserver/api/v1/themes/", "information_systems", "Information systems"),
    }
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/postings/feed/?lang=en"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/postings/"


def test_the_labels_are_in_the_language_of_the_url(client, institute_offer):
    response = client.get(FEED, {"lang": "fr"}, HTTP_ACCEPT_LANGUAGE="es")
    root = read_feed(response)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert response["Content-Language"] == "fr"
    [entry] = entries(root)
    labels = {c.get("term"): c.get("label") for c in entry.findall(f"{ATOM}category")}
    assert labels == {
        "offer": "Offre",
        "hosting": "Hébergement",
        "information_systems": "Systèmes d'information",
    }
    assert entry.find(f"{ATOM}author/{ATOM}name").text.endswith("(Belgique)")


def test_without_a_language_the_feed_follows_the_readers_browser(client, institute_offer):
    root = read_feed(client.get(FEED, HTTP_ACCEPT_LANGUAGE="es"))
    labels = {c.get("term"): c.get("label") for c in entries(root)[0].findall(f"{ATOM}category")}
    assert labels["hosting"] == "Alojamiento"


def test_a_language_variant_is_understood(client, institute_offer):
    root = read_feed(client.get(FEED, {"lang": "zh"}))
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-hans"


def test_text_is_escaped_for_feed_readers(client, institute):
    make_opportunity(institute, "offer", "<b>Bold</b> offer", description="<script>alert(1)</script> & more")
    content = client.get(FEED).content.decode()
    assert "<script>" not in content and "<b>" not in content
    [entry] = entries(ET.fromstring(content))
    assert entry.find(f"{ATOM}title").text == "Offer: <b>Bold</b> offer"  # text: shown as typed
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.find(f"{ATOM}summary").text == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"


# --------------------------------------------------------------------------- what it never shows


def _draft(institute, staff):
    return make_opportunity(institute, "offer", "A draft", status="draft")


def _pending(institute, staff):
    unverified = Organization.objects.create(name="Unverified NGO", kind="ngo", country_id="FR")
    opportunity = make_opportunity(unverified, "offer", "Waiting for approval")
    Opportunity.objects.filter(pk=opportunity.pk).update(moderation=Moderation.PENDING)
    return opportunity


def _hidden(institute, staff):
    opportunity = make_opportunity(institute, "offer", "Hidden by staff")
    return hide_opportunity(opportunity, user=staff, reason="Spam")


def _closed(institute, staff):
    return close_opportunity(make_opportunity(institute, "offer", "Closed by its editors"), user=staff)


def _ended(institute, staff):
    return make_opportunity(
        institute,
        "offer",
        "Ended yesterday",
        starts_on=TODAY - datetime.timedelta(days=30),
        ends_on=TODAY - datetime.timedelta(days=1),
    )


def _past_deadline(institute, staff):
    return make_opportunity(
        institute, "offer", "Deadline passed", application_deadline=TODAY - datetime.timedelta(days=1)
    )


@pytest.mark.parametrize("make", [_draft, _pending, _hidden, _closed, _ended, _past_deadline])
def test_the_feed_never_shows_what_is_not_open_and_public(client, institute, institute_offer, staff, make):
    opportunity = make(institute, staff)
    client.force_login(staff)  # not even to staff, who see everything on the pages
    for query in (
        {},
        {"status": "closed"},
        {"q": opportunity.title},
        {"organization": opportunity.organization_id},
    ):
        assert opportunity.pk not in entry_ids(client.get(FEED, query))
    assert entry_ids(client.get(FEED)) == [institute_offer.pk]


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, {"request", "offer", "training", "taxonomy", "objective"}),
        ({"direction": "offer"}, {"offer", "training", "taxonomy", "objective"}),
        ({"direction": "request"}, {"request"}),
        ({"cooperation_type": "training"}, {"training"}),
        ({"cooperation_type": ["training", "hosting"]}, {"training", "offer", "request"}),
        ({"themes": "taxonomy"}, {"taxonomy"}),
        ({"objectives": "1.1"}, {"objective"}),
        ({"country": "CD"}, {"request"}),
        ({"un_group": "WEOG"}, {"offer", "training", "taxonomy", "objective"}),
        ({"eligible_for": "FR"}, {"request", "training", "taxonomy", "objective"}),
        ({"eligible_for": "FJ", "direction": "offer"}, {"offer", "training", "taxonomy", "objective"}),
        ({"language": "en"}, {"offer"}),
        ({"status": "closed"}, set()),
        ({"status": "open", "direction": "request"}, {"request"}),
        ({"on_behalf_of_party": "on"}, set()),
        ({"q": "webmasters"}, {"training"}),
        ({"created_after": TODAY.isoformat()}, {"request", "offer", "training", "taxonomy", "objective"}),
        ({"created_before": (TODAY - datetime.timedelta(days=1)).isoformat()}, set()),
        ({"open_on": TODAY.isoformat(), "direction": "request"}, {"request"}),
        ({"page": "3", "ordering": "title"}, {"request", "offer", "training", "taxonomy", "objective"}),
    ],
)
def test_every_browse_filter_works_on_the_feed(
    client, party_request, institute_offer, institute, query, expected
):
    opportunities = {
        "request": party_request,
        "offer": institute_offer,
        "training": make_opportunity(
            institute, "offer", "Training of webmasters", cooperation_type_id="training"
        ),
        "taxonomy": make_opportunity(institute, "offer", "Taxonomy grants", themes=["taxonomy"]),
        "objective": make_opportunity(
            institute, "offer", "Cooperation", objectives=list(Objective.objects.filter(code="1.1"))
        ),
        "closed": make_opportunity(institute, "offer", "An old offer", status="closed"),
    }
    shown = entry_ids(client.get(FEED, query))
    assert set(shown) == {opportunities[name].pk for name in expected}
    browse = client.get(reverse("web:browse"), query)  # the page lists the same, closed ones aside
    listed = {o.pk for o in browse.context["page"].paginator.object_list if o.status == "open"}
    assert set(shown) == listed


def test_training_offers_open_to_sids_in_french(client, institute, party):
    wanted = make_opportunity(
        institute,
        "offer",
        "Formation des webmestres",
        cooperation_type_id="training",
        languages=["fr"],
        eligible_groups=["sids"],
    )
    make_opportunity(
        institute, "offer", "Training in English", cooperation_type_id="training", languages=["en"]
    )
    make_opportunity(
        institute,
        "offer",
        "For the LDCs",
        cooperation_type_id="training",
        languages=["fr"],
        eligible_groups=["ldc"],
    )
    make_opportunity(institute, "offer", "Hébergement", cooperation_type_id="hosting", languages=["fr"])
    make_opportunity(party, "request", "Formation demandée", cooperation_type_id="training", languages=["fr"])
    query = {"direction": "offer", "cooperation_type": "training", "eligible_for": "FJ", "language": "fr"}
    assert entry_ids(client.get(FEED, query)) == [wanted.pk]


def test_a_bad_filter_gets_400_with_its_messages(client, institute_offer):
    response = client.get(
        FEED, {"cooperation_type": "juggling", "eligible_for": "XX", "created_after": "soon"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "This feed's filters are not valid:"
    assert {line.split(":")[0] for line in lines[1:]} == {"cooperation_type", "eligible_for", "created_after"}
    assert "juggling" in response.content.decode()


def test_the_messages_of_a_bad_filter_are_in_the_readers_language(client):
    response = client.get(FEED, {"eligible_for": "XX"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "Aucun pays n’a le code « XX »." in response.content.decode()


def test_an_unknown_language_gets_400(client):
    response = client.get(FEED, {"lang": "tlh"})
    assert response.status_code == 400
    assert response.content.decode().splitlines()[1].startswith("lang: Not one of the languages of the site")


# --------------------------------------------------------------------------- cheap and cacheable


def test_the_feed_keeps_the_newest_entries(client, institute, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_ENTRIES", 3)
    made = [make_opportunity(institute, "offer", f"Offer {i}") for i in range(5)]
    for days, opportunity in enumerate(made):  # the first made was published last
        Opportunity.objects.filter(pk=opportunity.pk).update(
            published_at=timezone.now() - datetime.timedelta(days=days)
        )
    assert entry_ids(client.get(FEED)) == [made[0].pk, made[1].pk, made[2].pk]


def test_the_feed_makes_a_fixed_number_of_queries(client, institute, django_assert_max_num_queries):
    for i in range(12):
        make_opportunity(institute, "offer", f"Offer {i}", themes=["taxonomy", "forest"])
    with django_assert_max_num_queries(6):
        assert len(entry_ids(client.get(FEED, {"direction": "offer", "themes": "taxonomy"}))) == 12


def test_an_unchanged_feed_answers_304_and_a_changed_one_is_sent_again(client, institute_offer, institute):
    first = client.get(FEED, {"lang": "en"})
    etag = first["ETag"]
    assert "Last-Modified" not in first
    assert "max-age=300" in first["Cache-Control"] and "public" in first["Cache-Control"]
    again = client.get(FEED, {"lang": "en"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert client.get(FEED, {"lang": "fr"}, HTTP_IF_NONE_MATCH=etag).status_code == 200  # other labels
    close_opportunity(institute_offer, user=None)  # it leaves the feed
    changed = client.get(FEED, {"lang": "en"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert entry_ids(changed) == []
    Organization.objects.filter(pk=institute.pk).update(name="Renamed institute")
    make_opportunity(institute, "offer", "A new offer")
    assert client.get(FEED, {"lang": "en"}, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


# --------------------------------------------------------------------------- the browse page's link


def test_the_browse_page_links_to_the_feed_of_its_filters(client, institute_offer, party_request):
    response = client.get(
        reverse("web:browse"), {"direction": "offer", "page": "1"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    html = response.content.decode()
    url = "/postings/feed/?direction=offer&amp;lang=fr"
    head = html[: html.index("</head>")]
    assert '<link rel="alternate" type="application/atom+xml" title="' in head
    assert f'href="{url}">' in head
    assert f'<a href="{url}" type="application/atom+xml">' in html  # and a visible link
    assert entry_ids(client.get(url.replace("&amp;", "&"))) == [institute_offer.pk]


def test_the_browse_page_offers_no_feed_of_bad_filters(client):
    html = client.get(reverse("web:browse"), {"eligible_for": "XX"}).content.decode()
    assert "application/atom+xml" not in html


def test_open_to_my_country_becomes_my_country_in_the_feed(client, client_as, party_editor, institute):
    for_ldc = make_opportunity(institute, "offer", "For LDCs", eligible_groups=["ldc"])
    make_opportunity(institute, "offer", "For SIDS", eligible_groups=["sids"])
    response = client_as(party_editor).get(reverse("web:browse"), {"open_to_me": "on", "direction": "offer"})
    url = response.context["feed_url"]
    assert url == "/postings/feed/?direction=offer&eligible_for=CD&lang=en"
    client.logout()  # a feed reader has no account
    assert entry_ids(client.get(url)) == [for_ldc.pk]

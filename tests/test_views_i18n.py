"""The six UN languages and Portuguese: complete catalogues, the language switcher, Arabic right to
left, vocabularies, dates and numbers in the user's language."""

import datetime
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from matchmaking.models import Opportunity
from matchmaking.recommendations.reasons import TermLabels, summary
from tests.conftest import make_opportunity

LOCALE = Path(settings.BASE_DIR) / "locale"


def po_entries(language):
    """{msgid: whether every msgstr of it is filled} for a language's catalogue, header left out."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        fields = {}  # keyword -> its text, continuation lines joined
        keyword = None
        for line in block.splitlines():
            if line.startswith("#") or not line:
                continue
            if line.startswith('"'):
                fields[keyword] += line[1:-1]
            else:
                keyword, _, value = line.partition(" ")
                fields[keyword] = value[1:-1]
        if fields.get("msgid"):
            entries[fields["msgid"]] = all(v for k, v in fields.items() if k.startswith("msgstr"))
    return entries


TRANSLATED = ["fr", "es", "ar", "zh_Hans", "ru", "pt"]


def test_the_site_speaks_the_six_un_languages_and_portuguese():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "fr", "es", "ar", "zh-hans", "ru", "pt"]
    assert sorted(path.name for path in LOCALE.iterdir() if path.is_dir()) == sorted(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_is_complete_and_compiled(language):
    entries = po_entries(language)
    assert len(entries) > 300
    assert [msgid for msgid, translated in entries.items() if not translated] == []
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Offers and requests") != "Offers and requests"
    assert len(catalogue._catalog) >= len(entries)  # compiled from this .po, not an older one


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, words",
    [
        ("en", ["Offers and requests", "Latest offers"]),
        ("fr", ["Offres et demandes", "Dernières offres", 'lang="fr"']),
        ("es", ["Ofertas y solicitudes", "Últimas ofertas", 'lang="es"']),
        ("ar", ['lang="ar" dir="rtl"', "العروض والطلبات"]),
        ("zh-hans", ['lang="zh-hans" dir="ltr"', "合作提供与合作需求"]),
        ("ru", ['lang="ru" dir="ltr"', "Предложения и запросы"]),
        ("pt", ['lang="pt" dir="ltr"', "Ofertas e pedidos"]),
    ],
)
def test_pages_speak_the_chosen_language(client, institute_offer, language, words):
    client.post(reverse("web:set_language"), {"language": language, "next": "/"})
    response = client.get("/")
    for word in words:
        assert word in response.text


@pytest.mark.django_db
def test_the_language_follows_the_browser(client):
    response = client.get("/", headers={"accept-language": "es-ES,es;q=0.9"})
    assert "Ofertas y solicitudes" in response.text


@pytest.mark.django_db
def test_the_switcher_comes_back_to_the_same_page(client):
    response = client.post(
        reverse("web:set_language"), {"language": "fr", "next": "/postings/?direction=offer"}
    )
    assert response.status_code == 302 and response.url == "/postings/?direction=offer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, labels",
    [
        ("fr", ["Hébergement", "Systèmes d&#x27;information"]),
        ("es", ["Alojamiento", "Sistemas de información"]),
    ],
)
def test_vocabularies_are_shown_in_the_users_language(client, party_editor, language, labels):
    client.force_login(party_editor)
    client.post(reverse("web:set_language"), {"language": language, "next": "/"})
    for url in (reverse("web:opportunity_create") + "?direction=request", reverse("web:browse")):
        text = client.get(url).text
        for label in labels:
            assert label in text, (url, label)


@pytest.mark.django_db
def test_an_opportunity_shows_dates_in_the_users_language(client, institute):
    opportunity = make_opportunity(institute, "offer", "Grants", ends_on=datetime.date(2027, 3, 15))
    client.post(reverse("web:set_language"), {"language": "fr", "next": "/"})
    text = client.get(reverse("web:opportunity", args=[opportunity.pk])).text
    assert "15 mars 2027" in text
    client.post(reverse("web:set_language"), {"language": "es", "next": "/"})
    assert "15 de marzo de 2027" in client.get(reverse("web:opportunity", args=[opportunity.pk])).text


@pytest.mark.django_db
def test_numbers_are_localised(client, institute):
    for n in range(3):
        make_opportunity(institute, "offer", f"Offer {n}")
    Opportunity.objects.update(capacity=1500)
    client.post(reverse("web:set_language"), {"language": "fr", "next": "/"})
    opportunity = Opportunity.objects.first()
    text = client.get(reverse("web:opportunity", args=[opportunity.pk])).text
    assert "1500 partenaires" in text or "1\u202f500 partenaires" in text or "1 500 partenaires" in text


@pytest.mark.django_db
def test_reasons_are_said_in_the_users_language(party_request, institute_offer):
    reasons = {
        "shared_themes": ["information_systems"],
        "request_type": "hosting",
        "offer_type": "hosting",
        "type_fit": 1.0,
        "eligible_through": {"open_to_all": False, "listed": False, "groups": ["developing"]},
    }
    with translation.override("fr"):
        sentences = summary(reasons, party_request, institute_offer, TermLabels())
    assert "Thèmes en commun : Systèmes d'information" in sentences
    assert "Même type de coopération : Hébergement" in sentences
    assert "Votre pays est éligible : Pays en développement (liste du CAD de l'OCDE)" in sentences


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, names",
    [
        ("fr", ["Afghanistan", "Égypte", "Estonie", "Zambie"]),  # not by code (EE < EG), nor by code point
        ("es", ["Afganistán", "Egipto", "Estonia", "Zambia"]),
        ("ru", ["Афганистан", "Египет", "Замбия", "Эстония"]),
        ("ar", ["أفغانستان", "إستونيا", "زامبيا", "مصر"]),
    ],
)
def test_countries_are_named_and_sorted_in_the_readers_language(client, party_editor, language, names):
    client.force_login(party_editor)
    client.post(reverse("web:set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("web:organization_create")).text
    positions = [page.index(f">{name}</option>") for name in names]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_a_posting_names_its_country_in_the_readers_language(client, institute_offer):
    client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})
    assert "比利时" in client.get(reverse("web:opportunity", args=[institute_offer.pk])).text
    client.post(reverse("web:set_language"), {"language": "ar", "next": "/"})
    assert "بلجيكا" in client.get(reverse("web:opportunity", args=[institute_offer.pk])).text

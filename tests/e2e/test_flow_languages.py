"""The whole cooperation again, in two other languages: the Party's focal point works in Arabic (the
pages right to left), the institute in Spanish. Every label is looked up in the catalogues, so the
test follows the translations; and the two sides write to each other in the match's conversation."""

import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Opportunity, Outcome, Theme
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "استضافة الموقع الوطني لآلية تبادل المعلومات في جمهورية الكونغو الديمقراطية"
TEXT = (
    "خادمنا الوطني غير موثوق ويتعطل كثيرًا. نبحث عن شريك يستضيف الموقع الإلكتروني الوطني لآلية تبادل "
    "المعلومات ويدرب مسؤول الموقع لدينا على صيانته."
)


def say(language, text):
    with translation.override(language):
        return gettext(text)


def in_language(page, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])


def test_a_cooperation_in_arabic_and_spanish(new_page, screenshot, cast):
    offer = cast["offer"]
    with translation.override("ar"):
        information_systems = Theme.objects.get(slug="information_systems").localized_label()

    # The focal point posts a request in Arabic; the page reads right to left.
    party = new_page()
    in_language(party, "ar")
    sign_in(party, "marie", PASSWORD)
    party.goto(party.base_url + "/postings/new/?direction=request")
    expect(party.locator("html")).to_have_attribute("dir", "rtl")
    expect(party.get_by_role("heading", level=1)).to_have_text(say("ar", "Post a request"))
    party.get_by_role("textbox", name=say("ar", "Title")).fill(TITLE)
    party.get_by_label(say("ar", "Description")).fill(TEXT)
    party.get_by_label(say("ar", "Kind of cooperation")).select_option("hosting")
    themes = party.locator(".choices-field", has=party.locator("legend", has_text=say("ar", "Themes")))
    themes.locator("summary").click()
    themes.get_by_label(information_systems).check()
    party.get_by_label(say("ar", "Working languages")).select_option(["ar", "fr"])
    screenshot(party, "post-request-ar")
    party.get_by_role("button", name=say("ar", "Publish")).click()
    expect(party.locator(".messages")).to_contain_text(say("ar", "Published."))
    expect(party.get_by_role("heading", level=1)).to_have_text(TITLE)
    request = Opportunity.objects.get(title=TITLE)
    assert request.status == "open"
    screenshot(party, "posting-ar")

    # The institute, in Spanish, finds it recommended for its offer and expresses interest.
    institute = new_page()
    in_language(institute, "es")
    sign_in(institute, "john", PASSWORD)
    institute.goto(f"{institute.base_url}/postings/{offer.pk}/")
    recommendation = institute.locator(".recommendation", has_text=TITLE)
    expect(recommendation).to_be_visible()
    recommendation.get_by_label(say("es", "Message (optional)")).fill(
        "Podemos alojar su sitio el mes próximo."
    )
    recommendation.get_by_role("button", name=say("es", "Express interest")).click()
    match = Match.objects.get()
    assert (match.request, match.offer, match.status) == (request, offer, MatchStatus.PROPOSED)

    # The focal point finds it waiting for an answer, accepts, and writes in the conversation.
    party.get_by_role("link", name=say("ar", "My organization")).first.click()
    waiting = party.locator(
        "section", has=party.get_by_role("heading", name=say("ar", "Waiting for your answer"))
    )
    waiting.get_by_role("link", name=re.compile("استضافة الموقع الوطني")).click()
    party.get_by_role("button", name=say("ar", "Accept"), exact=True).click()
    expect(party.locator("h1 .badge")).to_have_text(say("ar", "Accepted"))
    expect(party.get_by_text("chm-hosting@example.be")).to_be_visible()  # how to reach the institute
    party.get_by_label(say("ar", "Your message")).fill("شكرًا! متى يمكننا بدء نقل الموقع؟")
    party.get_by_role("button", name=say("ar", "Send")).click()
    expect(party.locator("#conversation")).to_contain_text("متى يمكننا بدء نقل الموقع")
    screenshot(party, "match-accepted-ar")

    # The institute reads the message in Spanish, starts the cooperation and records its outcome.
    institute.goto(f"{institute.base_url}/matches/{match.pk}/")
    expect(institute.locator("#conversation")).to_contain_text("متى يمكننا بدء نقل الموقع")
    institute.get_by_role("button", name=say("es", "Start the cooperation")).click()
    expect(institute.locator("h1 .badge")).to_have_text(say("es", "In progress"))
    institute.get_by_label(say("es", "What the cooperation achieved")).fill(
        "El sitio nacional del CHM de la RD del Congo está alojado en Bruselas y su webmaster fue formado."
    )
    institute.get_by_label(say("es", "Achieved on")).fill(timezone.localdate().isoformat())
    institute.locator("#id_indicators-0-key").select_option("websites_hosted")
    institute.locator("#id_indicators-0-value").fill("1")
    institute.get_by_role("button", name=say("es", "Complete"), exact=True).click()
    expect(institute.locator("h1 .badge")).to_have_text(say("es", "Completed"))
    assert Outcome.objects.filter(match=match).exists()

    # The focal point sees the completed match, in Arabic, on a phone.
    phone = new_page(width=390, height=844)
    in_language(phone, "ar")
    sign_in(phone, "marie", PASSWORD)
    phone.goto(f"{phone.base_url}/matches/{match.pk}/")
    expect(phone.locator("h1 .badge")).to_have_text(say("ar", "Completed"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "match-completed-ar-phone")

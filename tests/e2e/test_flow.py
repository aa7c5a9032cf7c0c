"""A whole cooperation in a real browser: a Party's focal point posts a request in French, an institute
sees it recommended for its English offer and expresses interest, the Party accepts, the institute
completes the match with an outcome, and the dashboard counts it. Screenshots of the key pages go to
docs/screenshots/ for the README."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Opportunity, Outcome
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_TITLE = "Hébergement du site national du CHM de la RD Congo"
REQUEST_TEXT = (
    "Notre serveur national est peu fiable et tombe souvent en panne. Nous cherchons un partenaire "
    "pour héberger le site web du centre d'échange (CHM) de la RD Congo et former notre webmestre."
)


def test_a_cooperation_from_request_to_outcome(new_page, screenshot, cast):
    offer = cast["offer"]

    # The Party's focal point switches to French, signs in and posts a request.
    party = new_page()
    party.goto(party.base_url + "/")
    party.get_by_role("button", name="Français").click()
    expect(party.locator("html")).to_have_attribute("lang", "fr")
    screenshot(party, "home-fr")
    sign_in(party, "marie", PASSWORD)
    party.goto(party.base_url + "/postings/new/?direction=request")
    expect(party.get_by_role("heading", level=1)).to_have_text("Publier une demande")
    party.get_by_role("textbox", name="Titre").fill(REQUEST_TITLE)
    party.get_by_label("Description").fill(REQUEST_TEXT)
    party.get_by_label("Type de coopération").select_option("hosting")
    themes = party.locator(".choices-field", has=party.locator("legend", has_text="Thèmes"))
    themes.locator("summary").click()  # the long lists of choices are closed until opened
    themes.get_by_label("Systèmes d'information").check()  # the vocabulary, in French
    objectives = party.locator(".choices-field", has=party.locator("legend", has_text="Objectifs servis"))
    objectives.locator("summary").click()
    objectives.locator('input[name=objectives][value="2.5"]').check()  # objective 2.5, under goal 2
    party.get_by_label("Langues de travail").select_option(["fr"])
    screenshot(party, "post-request-fr")
    party.get_by_role("button", name="Publier").click()
    expect(party.locator(".messages")).to_contain_text("Publiée.")
    expect(party.get_by_role("heading", level=1)).to_have_text(REQUEST_TITLE)
    expect(party.get_by_text("Offres recommandées")).to_be_visible()
    request = Opportunity.objects.get(title=REQUEST_TITLE)
    assert request.status == "open" and request.created_by.username == "marie"
    screenshot(party, "posting-with-recommendations-fr")

    # The institute sees the request recommended for its English offer, with reasons, and says so.
    institute = new_page()
    sign_in(institute, "john", PASSWORD)
    institute.goto(f"{institute.base_url}/postings/{offer.pk}/")
    recommendation = institute.locator(".recommendation", has_text=REQUEST_TITLE)
    expect(recommendation).to_be_visible()
    expect(recommendation.locator("meter")).to_be_visible()
    expect(recommendation).to_contain_text("Shares themes: Information systems")
    expect(recommendation).to_contain_text("Same kind of cooperation: Hosting")
    screenshot(institute, "offer-recommendations-en")
    recommendation.get_by_label("Message (optional)").fill("We can host your site from next month.")
    recommendation.get_by_role("button", name="Express interest").click()
    expect(institute.locator(".messages")).to_contain_text("Interest expressed")
    match = Match.objects.get()
    assert (match.request, match.offer, match.status) == (request, offer, MatchStatus.PROPOSED)

    # The Party finds it waiting for its answer, and accepts; the contact details show.
    party.get_by_role("link", name="Mon organisation").click()
    waiting = party.locator("section", has=party.get_by_role("heading", name="En attente de votre réponse"))
    waiting.get_by_role("link", name=re.compile("Hébergement du site national")).click()
    expect(party.locator(".message-quote")).to_have_text("We can host your site from next month.")
    party.get_by_label("Note").fill("Merci, avec plaisir !")
    party.get_by_role("button", name="Accepter").click()
    expect(party.locator("h1 .badge")).to_have_text("Acceptée")
    expect(party.get_by_text("chm-hosting@example.be")).to_be_visible()
    screenshot(party, "match-accepted-fr")

    # The institute starts the cooperation and completes it with its outcome.
    institute.goto(f"{institute.base_url}/matches/{match.pk}/")
    institute.get_by_role("button", name="Start the cooperation").click()
    expect(institute.locator("h1 .badge")).to_have_text("In progress")
    institute.get_by_label("What the cooperation achieved").fill(
        "The national CHM website of the DR Congo is hosted in Brussels and its webmaster was trained."
    )
    institute.get_by_label("Achieved on").fill(timezone.localdate().isoformat())
    institute.locator("#id_indicators-0-key").select_option("websites_hosted")
    institute.locator("#id_indicators-0-value").fill("1")
    institute.locator("#id_indicators-1-key").select_option("people_trained")
    institute.locator("#id_indicators-1-value").fill("1")
    screenshot(institute, "match-outcome-form-en")
    institute.get_by_role("button", name="Complete", exact=True).click()
    expect(institute.locator("h1 .badge")).to_have_text("Completed")
    expect(institute.get_by_role("heading", name="Outcome")).to_be_visible()
    screenshot(institute, "match-completed-en")
    outcome = Outcome.objects.get(match=match)
    assert {i.key for i in outcome.indicators.all()} == {"websites_hosted", "people_trained"}

    # The dashboard counts the completed match.
    institute.goto(institute.base_url + "/dashboard/")
    completed = institute.locator(
        "xpath=//dt[normalize-space()='Matches completed']/following-sibling::dd[1]"
    )
    expect(completed).to_have_text("1")
    screenshot(institute, "dashboard-en")

    # The institute's organization page lists the match among past ones.
    institute.goto(institute.base_url + "/organization/")
    expect(institute.get_by_role("heading", name="Past matches")).to_be_visible()
    screenshot(institute, "my-organization-en")


def test_switching_the_language(new_page, screenshot, cast):
    page = new_page()
    page.goto(page.base_url + "/postings/?direction=offer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offers and requests")
    screenshot(page, "browse-en")

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ofertas y solicitudes")
    expect(page).to_have_url(re.compile(r"/postings/\?direction=offer$"))  # the same page, in Spanish
    expect(page.locator("label", has_text="Alojamiento")).to_be_visible()  # vocabulary in Spanish
    expect(page.locator(".badge.offer").first).to_have_text("Oferta")

    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offres et demandes")
    expect(page.locator("label", has_text="Hébergement")).to_be_visible()
    page.get_by_role("link", name=cast["offer"].title).click()
    expect(page.get_by_text("Type de coopération")).to_be_visible()
    expect(page.get_by_text("Pays en développement (liste du CAD de l'OCDE)")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Kind of cooperation")).to_be_visible()


def test_the_pages_work_on_a_phone(new_page, screenshot, cast):
    page = new_page(width=390, height=844)
    page.goto(page.base_url + "/")
    expect(page.get_by_role("button", name="Search")).to_be_visible()
    page.get_by_label("Describe what you offer or need").fill("host our national website")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=cast["offer"].title)).to_be_visible()
    screenshot(page, "search-phone")
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_keyboard_reaches_the_content_first(new_page, cast):
    page = new_page()
    page.goto(page.base_url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#content$"))


def test_a_long_unbroken_title_does_not_widen_the_page(new_page, cast):
    Opportunity.objects.filter(pk=cast["offer"].pk).update(title="Hosting" + "x" * 190)
    for width in (390, 1280):
        page = new_page(width=width, height=844)
        page.goto(page.base_url + f"/postings/{cast['offer'].pk}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(page.base_url + "/postings/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

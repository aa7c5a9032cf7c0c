"""The forms as a user meets them in a browser: the error summary takes the focus and leads to each
field, a long posting form costs few Tab presses, destructive steps ask first, and the pages fit a
phone's screen (390 px wide) with a compact header, in English and in Arabic (right to left)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking.choices import MemberRole
from matchmaking.models import Membership, Objective, Opportunity, Organization
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.outcomes import complete_match
from tests.conftest import PASSWORD, make_opportunity, make_user

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
MAX_TABS_TO_PUBLISH = 30
MAX_HEADER_SHARE = 0.20  # of a phone's screen height


@pytest.fixture
def cast(fake_embedder):
    """A Party that requests hosting and an institute that offers it, with a match completed between
    them (the dashboard's tables then have rows), their editors, and a moderator."""
    party = Organization.objects.create(
        name="Point focal CHM de la RD Congo", kind="party", country_id="CD", verified=True
    )
    institute = Organization.objects.create(
        name="Royal Belgian Institute of Natural Sciences", kind="institute", country_id="BE", verified=True
    )
    marie = make_user("marie")
    john = make_user("john")
    make_user("moderator", is_staff=True)
    Membership.objects.create(user=marie, organization=party, role=MemberRole.EDITOR)
    Membership.objects.create(user=john, organization=institute, role=MemberRole.EDITOR)
    offer = make_opportunity(
        institute,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        cooperation_type_id="hosting",
        themes=["information_systems"],
        objectives=list(Objective.objects.filter(code="2.5")),
    )
    request = make_opportunity(
        party,
        "request",
        "Our national CHM website needs a reliable host",
        cooperation_type_id="hosting",
        themes=["information_systems"],
    )
    done = express_interest(user=john, request=request, offer=offer)
    accept_match(done, user=marie)
    start_match(done, user=marie)
    complete_match(
        done,
        user=marie,
        outcome={
            "summary": "The national CHM website is hosted in Brussels.",
            "achieved_on": timezone.localdate(),
            "indicators": [{"key": "websites_hosted", "value": 1, "label": "", "unit": ""}],
        },
    )
    return {"party": party, "institute": institute, "offer": offer, "request": request}


def tabs_to_publish(page):
    """Tab presses from the form's first field to its Publish button."""
    page.locator("form.posting-form").locator("input:not([type=hidden]), select, textarea").first.focus()
    for presses in range(1, 200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name === 'publish'"):
            return presses
    raise AssertionError("Publish is never reached with Tab")


def test_the_posting_form_reaches_publish_in_few_tab_presses(new_page, cast):
    page = new_page()
    sign_in(page, "marie", PASSWORD)
    presses = {}
    for direction in ("request", "offer"):
        page.goto(f"{page.base_url}/postings/new/?direction={direction}")
        presses[direction] = tabs_to_publish(page)
    print(f"Tab presses from the first field to Publish: {presses}")
    assert all(count <= MAX_TABS_TO_PUBLISH for count in presses.values()), presses


def test_the_error_summary_takes_the_focus_and_leads_to_each_field(new_page, cast):
    page = new_page()
    sign_in(page, "marie", PASSWORD)
    page.goto(page.base_url + "/postings/new/?direction=request")
    page.get_by_label("Title").fill("Training of two webmasters")
    # a theme the list does not offer (as a stale page would send): the error is inside a list of choices
    page.evaluate(
        "document.querySelector('form.posting-form').insertAdjacentHTML('beforeend', "
        "'<input type=hidden name=themes value=nonsense>')"
    )
    page.get_by_role("button", name="Publish").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Description: Describe what is offered or needed.",
            "Kind of cooperation: Choose the kind of cooperation.",
            re.compile("^Themes: Select a valid choice"),
        ]
    )
    summary.get_by_role("link", name=re.compile("^Kind of cooperation")).click()
    expect(page.locator("#id_cooperation_type")).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Themes")).click()
    expect(page.locator("#id_themes_0")).to_be_focused()  # the first checkbox of the list
    expect(page.get_by_label("Title")).to_have_value("Training of two webmasters")  # kept
    assert not Opportunity.objects.filter(title="Training of two webmasters").exists()


def test_a_closed_list_says_what_is_chosen(new_page, cast):
    page = new_page()
    sign_in(page, "marie", PASSWORD)
    page.goto(page.base_url + "/postings/new/?direction=request")
    themes = page.locator(".choices-field", has=page.locator("legend", has_text="Themes"))
    expect(themes.locator("details")).not_to_have_attribute("open", "")
    expect(themes.locator("[data-chosen]")).to_have_text("none chosen")
    themes.locator("summary").click()
    themes.get_by_label("Forest biodiversity").check()
    themes.get_by_label("Taxonomy").check()
    expect(themes.locator("[data-chosen]")).to_have_text("Forest biodiversity, Taxonomy")


def test_a_bad_filter_in_the_url_is_shown_by_its_field(new_page, cast):
    page = new_page()
    page.goto(page.base_url + "/postings/?open_on=notadate&country=XX")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Country of the organization: No country has the code “XX”.", "Running on: Enter a valid date."]
    )
    summary.get_by_role("link", name=re.compile("^Running on")).click()
    expect(page.locator("#id_open_on")).to_be_focused()
    expect(page.locator("#id_open_on_error")).to_have_text("Enter a valid date.")


def test_closing_a_posting_asks_first(new_page, cast):
    page = new_page()
    sign_in(page, "marie", PASSWORD)
    url = f"{page.base_url}/postings/{cast['request'].pk}/"
    page.goto(url)
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close this posting?")
    page.get_by_role("link", name="No, go back").click()
    expect(page).to_have_url(url)
    assert Opportunity.objects.get(pk=cast["request"].pk).status == "open"
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Yes, close it").click()
    expect(page.locator(".messages")).to_contain_text("Closed")
    assert Opportunity.objects.get(pk=cast["request"].pk).status == "closed"


def header_share(page):
    return (
        page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
        / PHONE["height"]
    )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_pages_fit_a_phone_with_a_compact_header(new_page, cast, language):
    page = new_page(**PHONE)
    sign_in(page, "moderator", PASSWORD)  # signed in and staff: the longest menu
    if language == "ar":
        page.locator("header button[value=ar]").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    urls = [
        "/",
        "/postings/",
        f"/postings/{cast['offer'].pk}/",
        "/postings/new/?direction=offer",
        "/dashboard/",
        f"/organizations/{cast['institute'].pk}/",
    ]
    for url in urls:
        page.goto(page.base_url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
        share = header_share(page)
        assert share <= MAX_HEADER_SHARE, (url, share)
    # the navigation is one tap away, and opens over the page without widening it
    menu = page.locator("header .menu")
    expect(menu.locator("nav")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.locator("nav").get_by_role("link").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_dashboards_tables_scroll_inside_their_own_region(new_page, cast):
    page = new_page(**PHONE)
    page.goto(page.base_url + "/dashboard/")
    regions = page.locator(".table-scroll[role=region]")
    assert regions.count() >= 8
    for index in range(regions.count()):
        region = regions.nth(index)
        name = region.get_attribute("aria-labelledby")
        expect(page.locator(f"[id='{name}']")).not_to_be_empty()  # named by the table's caption
        assert region.get_attribute("tabindex") == "0"  # the keyboard can scroll it
        assert region.evaluate("element => element.getBoundingClientRect().right") <= PHONE["width"]
    wide = regions.first
    assert wide.evaluate("element => element.scrollWidth > element.clientWidth")  # it scrolls, not the page


def test_a_wide_screen_shows_the_navigation_without_a_menu(new_page, cast):
    page = new_page()
    page.goto(page.base_url + "/")
    expect(page.locator("header nav").get_by_role("link", name="Offers and requests")).to_be_visible()
    expect(page.locator("header .menu > summary")).to_be_hidden()

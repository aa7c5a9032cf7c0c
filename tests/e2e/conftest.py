"""End-to-end tests: Debian's headless Chromium, driven by Playwright, against pytest-django's live
server. No browser is downloaded: `make test` installs the `chromium` package when it is missing."""

import os
import tempfile
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed with E2E_SCREENSHOTS=docs/screenshots; by default they go
# to a scratch folder, so a test run leaves the working tree as it was.
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or Path(tempfile.gettempdir()) / "chm-e2e-screenshots")

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# synchronous, so Django's guard against ORM calls from async code does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Opens a page in a fresh browser context (its own cookies: one per user), at a desktop size."""
    contexts = []

    def open_page(width=1280, height=900, bypass_csp=False):
        # bypass_csp: lets a test add axe-core to the page (the site's policy refuses inline scripts)
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-GB", bypass_csp=bypass_csp
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.base_url = live_server.url
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    def save(page, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # The whole page, by growing the viewport: Playwright's full_page option leaves headless
        # Chromium's later clicks offset on long pages.
        size = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        page.set_viewport_size(size)

    return save


@pytest.fixture(scope="module", autouse=True)
def reference_data_back(django_db_setup, django_db_blocker):
    """A live-server test runs in a transactional database that is emptied after it, reference data
    from migration 0002 included; put it back for the tests that run later."""
    yield
    from django.db import connections

    from matchmaking.reference import load_reference

    with django_db_blocker.unblock():
        load_reference()
        # Opened while Playwright's event loop ran: not the connection the test runner closes.
        connections.close_all()


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The countries, vocabularies and frameworks, whatever ran before."""
    from matchmaking.models import Country
    from matchmaking.reference import load_reference

    if not Country.objects.exists():
        load_reference()


def sign_in(page, username, password):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make axe` installs it (npm ci in tests/e2e).")
    return AXE.read_text()


@pytest.fixture
def axe_violations(axe_source):
    """Runs axe-core (WCAG 2.1 A and AA, and best practices) in the page as it is now; returns its
    violations as readable lines (rule, impact, and the elements at fault)."""

    def check(page):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            """async () => (await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            })).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
        )
        return [
            f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> {', '.join(v['targets'])}"
            for v in violations
        ]

    return check


@pytest.fixture
def cast(fake_embedder):
    """A verified Party of the DR Congo and a Belgian institute with an English offer of hosting."""
    from matchmaking.choices import MemberRole
    from matchmaking.models import Membership, Organization
    from tests.conftest import make_opportunity, make_user

    party = Organization.objects.create(
        name="Point focal CHM de la RD Congo", kind="party", country_id="CD", verified=True
    )
    institute = Organization.objects.create(
        name="Royal Belgian Institute of Natural Sciences", kind="institute", country_id="BE", verified=True
    )
    marie = make_user("marie", first_name="Marie")
    john = make_user("john")
    Membership.objects.create(user=marie, organization=party, role=MemberRole.EDITOR)
    Membership.objects.create(user=john, organization=institute, role=MemberRole.EDITOR)
    offer = make_opportunity(
        institute,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        description=(
            "We host the national CHM website of developing countries whose server is unreliable, "
            "and train their webmasters to maintain it."
        ),
        cooperation_type_id="hosting",
        themes=["information_systems"],
        languages=["en", "fr"],
        eligible_groups=["developing"],
        contact_name="John Smith",
        contact_email="chm-hosting@example.be",
        hide_contact=True,
    )
    return {"party": party, "institute": institute, "offer": offer}

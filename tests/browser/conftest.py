"""Browser tests: Playwright driving the system Chromium against a live server and the sandbox.

They skip, with the reason, where no Chromium is installed (`apt-get install chromium`). A
failing test leaves a screenshot and the page's HTML in `test-artifacts/browser/`.
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if sync_playwright is None or not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (install the Debian package 'chromium') or no Playwright",
        allow_module_level=True,
    )

pytestmark = pytest.mark.browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="module")
def playwright_driver():
    """Playwright for one test module (tests run in random order, but a module's stay together).

    Its sync API keeps an event loop in the test thread while it runs; the database calls the
    tests make from that thread are still ordinary synchronous ones, so Django is told so, for
    exactly as long as the loop lives: no test outside the browser modules runs with it.
    """
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def site(live_server, sandbox, settings, transactional_db):
    """The live site with demo content, paying through the sandbox, webhooks delivered."""
    settings.MOLLIE_API_KEY = "test_browsertests012345678901234567"
    settings.MOLLIE_API_ENDPOINT = sandbox.base_url
    settings.MOLLIE_WEBHOOK_BASE_URL = live_server.url
    settings.MOLLIE_CHECKOUT_ORIGIN = sandbox.base_url
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", sandbox.base_url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    settings.PUBLIC_BASE_URL = live_server.url
    settings.LOGIN_CODE_MIN_RESPONSE_SECONDS = 0
    sandbox.wait_for_webhooks(5)
    sandbox.reset()
    call_command("load_demo", verbosity=0)
    return live_server


class Watch:
    """Everything a page did that the privacy and quality checks look at."""

    def __init__(self, allowed_origins: set[str]):
        self.allowed_origins = allowed_origins
        self.requests: list[str] = []
        self.console_errors: list[str] = []

    def on_console(self, message) -> None:
        # A page answered with 4xx on purpose (a form with errors) is logged by Chromium as a
        # failed load; failed loads are checked in on_response instead, where the kind is known.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def on_response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} for {response.url}")

    def foreign_requests(self) -> list[str]:
        def origin(url: str) -> str:
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}"

        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "about:")) and origin(url) not in self.allowed_origins
        ]


def make_page(chromium, site, sandbox, request, *, viewport, javascript=True, language="en"):
    context = chromium.new_context(
        viewport=viewport,
        java_script_enabled=javascript,
        locale="nl-NL" if language == "nl" else "en-GB",
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch({site.url.rstrip("/"), sandbox.base_url})
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    page.on("pageerror", lambda error: watch.console_errors.append(str(error)))
    page.watch = watch
    page.javascript_enabled = javascript
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content())
        except Exception as error:  # the page may be gone; the test report says why it failed
            (ARTIFACTS / f"{name}.txt").write_text(f"no screenshot: {error}")
    context.close()


@pytest.fixture
def page_factory(chromium, site, sandbox, request):
    """Make pages with a chosen size, language and JavaScript on or off; closed afterwards."""
    made = []

    def factory(**options):
        generator = make_page(chromium, site, sandbox, request, **options)
        made.append(generator)
        return next(generator)

    yield factory
    for generator in made:
        next(generator, None)

"""Browser tests: the real app on a real port, driven by Playwright in Debian's headless Chromium.

Playwright never downloads a browser here (`playwright install` cannot work on these machines):
it launches /usr/bin/chromium, which .ci/run installs when missing. The app is served by werkzeug
in a thread from its own app (CSRF on, as in production) on the test database; the data a test
makes is committed (the `committed` marker empties the tables afterwards).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mediation.extensions import limiter
from tests.factories import PASSWORD
from tests.live import live_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Collects what the browser reports as Content-Security-Policy violations (init scripts run outside the CSP).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.committed)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_url(app, db) -> Iterator[str]:
    """The app served on 127.0.0.1:<port> by werkzeug in a thread, with CSRF protection on."""
    served = live_app(app, CELERY_DISABLED=True, WTF_CSRF_ENABLED=True, TESTING=False)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-web", daemon=True)
    thread.start()
    limiter.reset()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        limiter.reset()
        app.extensions["celery"].set_default()


class Browser:
    """A browser context in one language with the page, its console and its CSP violations."""

    def __init__(self, chromium, base_url: str, locale: str = "zh-CN") -> None:
        self.context = chromium.new_context(viewport=DESKTOP, locale=locale, base_url=base_url)
        self.context.add_init_script(CSP_PROBE)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str):
        return self.page.goto(path)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto("/login")
        self.page.get_by_label(self.label("username")).fill(username)
        self.page.get_by_label(self.label("password")).fill(password)
        self.page.locator('[data-action="login"]').click()
        self.page.wait_for_load_state()

    def label(self, field: str) -> str:
        zh = self.page.locator("html").get_attribute("lang") == "zh-CN"
        return {"username": "用户名" if zh else "Username", "password": "密码" if zh else "Password"}[field]

    def csp_violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__cspViolations || []"))
        found += [line for line in self.console if "Content Security Policy" in line]
        return found

    def assert_clean(self) -> None:
        """No CSP violation and no script error on the page shown."""
        assert self.csp_violations() == [], self.csp_violations()
        assert self.errors == [], self.errors

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browser(chromium, live_url) -> Iterator[Browser]:
    b = Browser(chromium, live_url)
    yield b
    b.close()


@pytest.fixture
def open_browser(chromium, live_url):
    """Opens more contexts (another language, another user); closes them all afterwards."""
    opened: list[Browser] = []

    def make(locale: str = "zh-CN") -> Browser:
        b = Browser(chromium, live_url, locale)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.close()


def screenshot(page, name: str) -> list[Path]:
    """Saves `docs/screenshots/<name>-desktop.png` (1366 px) and `<name>-phone.png` (390 px), whole pages;
    the page is left at desktop width. Returns the two paths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
    paths = []
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(50)
        path = SCREENSHOTS / f"{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        paths.append(path)
    page.set_viewport_size(DESKTOP)
    return paths


def fits_phone(page) -> bool:
    """At 390 px nothing is wider than the screen (no sideways scrolling)."""
    page.set_viewport_size(PHONE)
    try:
        return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        page.set_viewport_size(DESKTOP)

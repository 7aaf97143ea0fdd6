"""Sign-in, language, error pages, headers and the header's unread count, in headless Chromium."""
from __future__ import annotations

import re

from mediation.notifications import notify
from tests.browser.conftest import fits_phone, screenshot
from tests.factories import make_dispute

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def main_text(page) -> str:
    """What a person reads on the page, less the language switch (named in its own language)."""
    return page.evaluate("""() => {
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll('[data-locale], script').forEach(e => e.remove());
      copy.querySelectorAll('a[href="/api/v1/docs"]').forEach(e => e.remove());
      return copy.innerText; }""")


def test_sign_in_page_in_chinese_and_in_english(world, db, browser, open_browser):
    response = browser.goto("/login")
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()} or \
        "content-security-policy" in response.headers
    page = browser.page
    assert page.locator("h1").inner_text() == "登录"
    assert not LATIN_WORD.search(main_text(page)), main_text(page)
    page.keyboard.press("Tab")  # the first stop of the keyboard is the skip link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    assert page.locator("label[for=username]").count() == 1 and page.locator("label[for=password]").count() == 1
    assert fits_phone(page)
    screenshot(page, "sign-in")
    browser.assert_clean()

    english = open_browser("en-US")
    english.goto("/login")
    assert english.page.locator("h1").inner_text() == "Sign in"
    assert not CJK.search(main_text(english.page)), main_text(english.page)
    screenshot(english.page, "sign-in-en")
    english.assert_clean()


def test_wrong_password_is_said_in_the_users_language(world, db, browser):
    browser.sign_in(world.m1.username, "wrong-password-1")
    assert browser.page.locator('[data-error="login"]').inner_text() == "用户名或密码错误。"
    assert browser.page.get_by_label("用户名").input_value() == world.m1.username


def test_language_switch_is_remembered(world, db, browser, open_browser):
    browser.sign_in(world.m1.username)
    page = browser.page
    assert page.locator("h1").inner_text() == "我的待办案件"
    page.locator('button[data-locale="en"]').click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "My work queue"
    assert not CJK.search(main_text(page).replace(world.m1.display_name, "").replace(world.cv1.name, ""))
    page.locator('[data-action="logout"]').click()
    page.wait_for_url("**/login")
    assert page.locator("h1").inner_text() == "Sign in"  # this browser remembers (cookie)
    other = open_browser("zh-CN")  # another browser: the user's saved choice wins over Chinese
    other.sign_in(world.m1.username)
    assert other.page.locator("h1").inner_text() == "My work queue"
    other.assert_clean()


def test_error_pages_speak_one_language(world, db, browser, open_browser):
    response = browser.goto("/no/such/page")
    assert response.status == 404
    page = browser.page
    assert page.locator("h1").inner_text() == "页面不存在"
    assert not LATIN_WORD.search(main_text(page)), main_text(page)
    screenshot(page, "error-404")
    browser.assert_clean()
    english = open_browser("en-GB")
    english.goto("/no/such/page")
    assert english.page.locator("h1").inner_text() == "Page not found"
    assert not CJK.search(main_text(english.page))
    api = english.goto("/api/v1/no-such-thing")
    assert api.status == 404 and api.json()["error"]["code"] == "not_found"


def test_header_unread_count_and_no_csp_violation_on_any_page(world, db, browser):
    dispute = make_dispute(world.cv1)
    notify.create_notifications([{"recipient_id": world.m1.id, "kind": "due_soon", "channel": "in_app",
                                  "dispute_id": dispute.id, "dedupe_key": f"browser-{i}"} for i in range(2)])
    username = world.m1.username
    db.session.commit()
    browser.sign_in(username)
    page = browser.page
    assert page.locator("[data-unread-count]").get_attribute("data-unread-count") == "2"
    for path in ("/", "/?q=x&state=registered", "/no/such/page", "/api/v1/docs"):
        response = browser.goto(path)
        assert "content-security-policy" in response.headers, path
        if path == "/api/v1/docs":
            page.wait_for_selector(".swagger-ui .info", timeout=20000)
        browser.assert_clean()

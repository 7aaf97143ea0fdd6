"""The web's language, error pages and security headers, through the test client."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from werkzeug.exceptions import Forbidden

from mediation.common import names
from mediation.models import enums
from mediation.notifications import notify
from tests.factories import PASSWORD, make_dispute
from tests.web.conftest import clear_request_state

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def fresh() -> None:
    """Requests in these tests share the session-wide app context (and `g`): start each afresh."""
    clear_request_state()


def visible_text(html: str) -> str:
    """The words a person reads: no tags, attributes, scripts, nor the language switch (which names
    the other language in that language, as every switch does)."""
    html = re.sub(r'<button[^>]*data-locale="[^"]*"[^>]*>.*?</button>', "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r'<a href="/api/v1/docs">/api/v1/docs</a>', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def sign_in(client, user, password=PASSWORD):
    fresh()
    r = client.post("/login", data={"username": user.username, "password": password})
    fresh()
    return r


# -- language ----------------------------------------------------------------------------------------
def test_sign_in_page_is_chinese_by_default_and_english_on_request(client, db):
    fresh()
    zh = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "人民调解案件管理系统" in zh and "用户名" in zh
    assert not LATIN_WORD.search(visible_text(zh).replace("API", "")), visible_text(zh)
    fresh()
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.1"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "Mediation Case Management" in en and "Username" in en
    assert not CJK.search(visible_text(en)), visible_text(en)
    fresh()
    assert '<html lang="zh-CN">' in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_anonymous_choice_is_a_cookie_and_beats_accept_language(client, db):
    fresh()
    r = client.post("/locale", data={"locale": "en", "next": "/login"})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    cookie = r.headers["Set-Cookie"]
    assert "locale=en" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    fresh()
    page = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    fresh()
    r = client.post("/locale", data={"locale": "xx", "next": "//evil.example.org/"})
    assert r.headers["Location"] == "/" and "Set-Cookie" not in r.headers  # unknown: ignored, never off-site


def test_signed_in_users_choice_is_saved_on_the_user(world, client, db):
    assert world.m1.locale == "zh"
    sign_in(client, world.m1)
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    fresh()
    r = client.post("/locale", data={"locale": "en", "next": "/?q=x"})
    assert r.status_code == 302 and r.headers["Location"] == "/?q=x"
    db.session.refresh(world.m1)
    assert world.m1.locale == "en"
    client.delete_cookie("locale")
    fresh()
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "My work queue" in page  # the user's choice, not the browser's


def test_chinese_catalogue_is_complete():
    with open("mediation/translations/zh/LC_MESSAGES/messages.po", "rb") as f:
        catalogue = read_po(f, locale="zh")
    untranslated = [(m.context, m.id) for m in catalogue
                    if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))]
    assert untranslated == []
    with open("mediation/translations/messages.pot", "rb") as f:
        template = read_po(f)
    assert {(m.context, m.id) for m in template if m.id} == {(m.context, m.id) for m in catalogue if m.id}


@pytest.mark.parametrize(("table", "codes"), [
    ("dispute_type", enums.DISPUTE_TYPES), ("source", enums.SOURCES), ("prevention_kind", enums.PREVENTION_KINDS),
    ("risk_level", enums.RISK_LEVELS), ("outcome", enums.OUTCOMES), ("party_role", enums.PARTY_ROLES),
    ("party_kind", enums.PARTY_KINDS), ("session_mode", enums.SESSION_MODES), ("role", enums.ROLES),
    ("agreement_form", enums.AGREEMENT_FORMS), ("confirmation", enums.CONFIRMATION_STATES),
    ("performance", enums.PERFORMANCE), ("follow_up_method", enums.FOLLOW_UP_METHODS),
    ("reject_reason", enums.REJECT_REASONS), ("referral", enums.REFERRALS), ("deadline_kind", enums.DEADLINE_KINDS),
    ("org_level", enums.ORG_LEVELS), ("committee_kind", enums.COMMITTEE_KINDS), ("day_count", enums.DAY_COUNTS),
    ("notification_kind", enums.NOTIFICATION_KINDS)])
def test_every_code_has_a_name_in_both_languages(app, table, codes):
    from flask_babel import force_locale

    assert set(codes) <= set(names.TABLES[table])
    with app.test_request_context("/"):
        with force_locale("zh"):
            zh = {code: names.name(table, code) for code in codes}
        with force_locale("en"):
            en = {code: names.name(table, code) for code in codes}
    assert all(CJK.search(v) for v in zh.values()), zh
    assert not any(CJK.search(v) for v in en.values()), en
    if isinstance(codes, dict):  # the Chinese names DESIGN.md gives (enums keep them too)
        assert zh == codes


def test_glossary_words(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("zh"):
        assert names.name("state", "registered") == "待受理"
        assert names.name("risk_level", "none") == "无" and names.name("performance", "none") == "未履行"
        assert names.name("deadline_kind", "follow_up") == "回访期限" and names.name("state", "follow_up") == "回访中"
        assert names.name("state", "no_such_code") == "no_such_code" and names.name("state", None) == ""


def test_filters(app):
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from mediation.web.filters import localdate, localtime, money

    assert money(Decimal("1200")) == "¥1,200.00" and money("1234567.891") == "¥1,234,567.89" and money(None) == ""
    moment = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
    assert localtime(moment) == "2026-12-01 01:05" and localdate(moment) == "2026-12-01"
    assert localdate(date(2026, 1, 2)) == "2026-01-02"


def test_english_email_names_the_dispute_type(app):
    from mediation.notifications.delivery import _name

    with app.app_context():
        assert _name("dispute_type", "marriage_family", "en") == "Marriage & family"
        assert _name("dispute_type", "marriage_family", "zh") == "婚姻家庭"


# -- header ------------------------------------------------------------------------------------------
def test_header_shows_user_place_and_unread_count(world, client, db):
    d = make_dispute(world.cv1)
    notify.create_notifications([
        {"recipient_id": world.m1.id, "kind": "risk_alert", "channel": "in_app", "dispute_id": d.id,
         "dedupe_key": f"h{i}"} for i in range(3)])
    sign_in(client, world.m1)
    page = client.get("/").get_data(as_text=True)
    assert 'data-unread-count="3"' in page
    assert world.m1.display_name in page and world.cv1.name in page and "调解员" in page
    assert 'action="/logout"' in page and 'href="#main"' in page


# -- error pages -------------------------------------------------------------------------------------
def test_not_found_page_in_one_language_and_api_keeps_json(client, db):
    fresh()
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"
    text = visible_text(r.get_data(as_text=True))
    assert "页面不存在" in text and not LATIN_WORD.search(text)
    fresh()
    r = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert "Page not found" in r.get_data(as_text=True) and not CJK.search(visible_text(r.get_data(as_text=True)))
    fresh()
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.post("/api/v1/auth/token", data="{", content_type="application/json")
    assert r.status_code in (400, 422) and "error" in r.json


def test_forbidden_page(app):
    from mediation.web.errors import error_page

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        fresh()
        r = error_page(Forbidden())
    assert r.status_code == 403 and "Not allowed" in r.get_data(as_text=True)


def test_too_many_attempts_page(world, client, db):
    # the limiter counts per username (a fresh one here), so no reset is needed: an earlier test may
    # have pointed the shared limiter at a Redis of its own that is gone by now (it then counts in memory)
    for _ in range(5):
        assert sign_in(client, world.s_co, "wrong-password").status_code == 401
    r = sign_in(client, world.s_co, "wrong-password")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "尝试次数过多" in r.get_data(as_text=True) and r.mimetype == "text/html"


def test_server_error_page(app):
    from tests.live import live_app

    other = live_app(app, CELERY_DISABLED=True, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @other.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @other.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError("boom")

    with other.app_context():
        client = other.test_client()
        r = client.get("/boom", headers={"Accept-Language": "en"})
        assert r.status_code == 500 and "Something went wrong" in r.get_data(as_text=True)
        assert "Traceback" not in r.get_data(as_text=True)
        r = client.get("/api/v1/boom")
        assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"
    app.extensions["celery"].set_default()


def test_expired_csrf_token_keeps_the_form(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    r = client.post("/login", data={"username": world.m1.username, "password": PASSWORD, "csrf_token": "stale"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert f'value="{world.m1.username}"' in page and 'data-message="csrf-expired"' in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    fresh()
    r = client.post("/login", data={"username": world.m1.username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302  # the fresh token of the re-rendered form works
    fresh()
    r = client.post("/locale", data={"locale": "en"})  # a form that cannot re-render: the product's page
    assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True)


# -- security headers --------------------------------------------------------------------------------
def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def test_security_headers_on_pages_and_api(client, db):
    r = client.get("/login")
    csp = directives(r.headers["Content-Security-Policy"])
    nonce = re.search(r"'nonce-([^']+)'", csp["script-src"]).group(1)
    assert csp["script-src"].startswith("'self'") and "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert csp["style-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # only when configured for TLS
    page = r.get_data(as_text=True)
    assert "<style" not in page and " style=" not in page
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page))
    fresh()
    api = client.get("/api/v1/openapi.json")
    assert api.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in api.headers
    fresh()
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    docs_nonce = re.search(r"'nonce-([^']+)'", docs.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{docs_nonce}">' in docs.get_data(as_text=True)


def test_session_cookie_flags_and_configured_tls(world, client, app):
    r = sign_in(client, world.m1)
    cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    from tests.live import live_app

    tls = live_app(app, CELERY_DISABLED=True, SESSION_COOKIE_SECURE=True, TALISMAN_HSTS=True,
                   TALISMAN_FORCE_HTTPS=True)
    with tls.app_context():
        r = tls.test_client().get("/login")
        assert r.status_code == 302 and r.headers["Location"].startswith("https://")
        r = tls.test_client().get("/login", base_url="https://localhost")
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    app.extensions["celery"].set_default()

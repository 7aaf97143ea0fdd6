"""API test helpers: a client that carries a bearer token, and row counts to prove refusals change nothing."""
from __future__ import annotations

from typing import Any, Optional

import pytest
from sqlalchemy import func, select

from mediation.extensions import db as _db
from mediation.extensions import limiter
from mediation.models import (
    Agreement,
    ApiToken,
    Assignment,
    Committee,
    Deadline,
    Dispute,
    Event,
    FollowUp,
    MediationSession,
    Notification,
    OrgPolicy,
    OrgUnit,
    Party,
    PreventionRecord,
    ReportSubscription,
    User,
)
from mediation.orgs import users
from tests.api.contract import ContractClient, contract_of

API = "/api/v1"
COUNTED = (OrgUnit, OrgPolicy, Committee, User, ApiToken, Dispute, Party, Assignment, MediationSession, Agreement,
           FollowUp, PreventionRecord, Deadline, Event, Notification, ReportSubscription)


class ApiClient:
    """The Flask test client speaking to /api/v1 with one user's bearer token."""

    def __init__(self, client, token: Optional[str] = None) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if body is not None:
            kwargs["json"] = body
        return self.client.open(API + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def client(app, db):
    """The test client of every API test: each /api/v1 response is validated against the
    OpenAPI document (tests/api/contract.py); a drift fails the test that saw it."""
    test_client = ContractClient(app, app.response_class, use_cookies=True)
    test_client.contract = contract_of(app)
    return test_client


@pytest.fixture
def as_user(client):
    """`as_user(world.m1)` → an ApiClient with a fresh token of that user; `as_user(None)` → no token."""
    def make(user: Optional[User]) -> ApiClient:
        return ApiClient(client, users.issue_token(user)[0] if user is not None else None)
    return make


@pytest.fixture
def fresh_limits():
    """Login failures counted by earlier tests (same address) must not leak into this one."""
    limiter.reset()
    yield
    limiter.reset()


def row_counts() -> dict[str, int]:
    """How many rows each table holds (a refused request must leave every count as it was)."""
    return {model.__tablename__: _db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def snapshot(dispute_id: Optional[int] = None) -> dict[str, Any]:
    """Row counts, and the dispute's state and version when one is named."""
    _db.session.expire_all()
    state = row_counts()
    if dispute_id is not None:
        row = _db.session.get(Dispute, dispute_id)
        state["dispute"] = (row.state, row.version, row.outcome, row.summary, row.amount, row.risk_level,
                            row.committee_id)
    return state


def error_of(response, status: int, code: Optional[str] = None) -> dict[str, Any]:
    """Asserts the status and the error shape; returns the error object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error

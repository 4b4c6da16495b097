"""Fixtures for the page tests: personas logged in through the real login form, and a small brand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api._support import (  # noqa: F401
    API,
    L1_ATTITUDE,
    PASSWORD,
    add_attachment_directly,
    assign,
    fast_passwords,
    new_ticket,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PERSONAS = ("anonymous", "analyst", "outsider", "owner", "supervisor", "admin")


@pytest.fixture(autouse=True)
def _cheap_hashing(fast_passwords: None) -> None:  # noqa: F811
    """Keep Argon2 cheap so creating agents does not dominate the runtime."""


def csrf_of(client: TestClient) -> str:
    """The session's CSRF secret, read from a form as a browser would (the portal form is public)."""
    response = client.get("/portal/new")
    assert response.status_code == 200, response.text
    match = CSRF_RE.search(response.text)
    assert match, "no CSRF field on the form"
    return match.group(1)


def browser_for(app: Any, email: str | None) -> tuple[TestClient, str]:
    """A cookie-keeping client, logged in through the login form when an e-mail is given."""
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client)
    if email is None:
        return client, token
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/app/queue"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/app/queue", response.text
    return client, csrf_of(client)  # login rotates the CSRF secret


@dataclass
class Web:
    app: Any
    api: Any  # the API test client
    ids: dict[str, int]
    emails: dict[str, str]
    headers: dict[str, dict[str, str]]
    browsers: dict[str, TestClient]
    csrf: dict[str, str]
    ticket_id: int
    attachment_id: int
    customer_id: int
    order_number: str
    portal_token: str
    policy_id: int
    counter: Any = field(default=None)
    database: Any = None
    clock: Any = None
    settings: Any = None
    persona: str = "admin"  # who the matrix is sending as, for builders that need the persona's own records

    @property
    def client(self) -> Any:
        """The API client under the name the API matrix's builders (api/_loop_support.py) use."""
        return self.api

    def resolved_ticket(self) -> int:
        ticket_id = self.owned_ticket()
        response = self.api.post(
            f"{API}/tickets/{ticket_id}/transitions", headers=self.headers["admin"], json={"action": "resolve"}
        )
        assert response.status_code == 200, response.text
        return ticket_id

    def n(self) -> int:
        self.counter = (self.counter or 0) + 1
        return int(self.counter)

    def owned_ticket(self) -> int:
        ticket = new_ticket(self.api, self.headers["admin"], L1_ATTITUDE, phone="13900000002")
        assign(self.api, self.headers["admin"], ticket["id"], self.ids["owner"])
        return int(ticket["id"])

    def post(self, persona: str, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = {"csrf_token": self.csrf[persona], **(data or {})}
        return self.browsers[persona].post(url, data=body, **kwargs)


@pytest.fixture
def web(app, client, database, settings, clock, make_agent, admin, supervisor, analyst) -> Web:
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    emails: dict[str, str] = {}
    for persona, (role, department) in {
        "owner": ("agent", "customer_service"),
        "member": ("agent", "customer_service"),
        "outsider": ("agent", "logistics"),
        "target": ("agent", "quality"),
    }.items():
        emails[persona] = f"{persona}@brand.example"
        ids[persona], headers[persona] = make_agent(role, department, capacity=100, email=emails[persona])
    for persona, made in (("admin", admin), ("supervisor", supervisor), ("analyst", analyst)):
        ids[persona], headers[persona] = made
        emails[persona] = client.get(f"{API}/me", headers=headers[persona]).json()["email"]
    h = headers["admin"]
    ticket = new_ticket(client, h, L1_ATTITUDE)
    assign(client, h, ticket["id"], ids["owner"])
    attachment_id = add_attachment_directly(database, settings, ticket["id"], clock.now())
    product = client.post(f"{API}/products", headers=h, json={"sku": "SKU-1", "name": "鲜牛奶", "category": "milk"})
    assert product.status_code == 201, product.text
    order = client.post(
        f"{API}/orders",
        headers=h,
        json={
            "number": "ORD-0",
            "customer_id": ticket["customer_id"],
            "placed_at": "2026-11-20T10:00:00+08:00",
            "items": [{"product_sku": "SKU-1"}],
        },
    )
    assert order.status_code == 201, order.text
    link = client.post(f"{API}/tickets/{ticket['id']}/customer-link", headers=h).json()
    policy = client.get(f"{API}/sla/policies", headers=h).json()[-1]
    browsers: dict[str, TestClient] = {}
    csrf: dict[str, str] = {}
    for persona in PERSONAS:
        browsers[persona], csrf[persona] = browser_for(app, None if persona == "anonymous" else emails[persona])
    return Web(
        app=app,
        api=client,
        ids=ids,
        emails=emails,
        headers=headers,
        browsers=browsers,
        csrf=csrf,
        ticket_id=ticket["id"],
        attachment_id=attachment_id,
        customer_id=ticket["customer_id"],
        order_number="ORD-0",
        portal_token=link["token"],
        policy_id=policy["id"],
        database=database,
        clock=clock,
        settings=settings,
    )

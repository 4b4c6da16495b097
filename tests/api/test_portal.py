"""Customers follow and answer their ticket through a signed link, and see nothing internal."""

from __future__ import annotations

import base64
import json
import time
import types

import pytest

from aftersales.kit.security import LinkSigner

from ._support import API, L1_ATTITUDE, L3_DIARRHOEA, act, error, get_ticket, new_ticket, png_bytes

PORTAL = f"{API}/portal/tickets"
NOTE = "内部备注：这位客户上次也投诉过，注意措辞"


@pytest.fixture
def owner(make_agent):
    return make_agent("agent", "customer_service", capacity=20)


@pytest.fixture
def ticket(client, owner):
    """A ticket owned by ``owner`` with an internal note, a public reply and a progress line."""
    _, headers = owner
    created = new_ticket(client, headers, L1_ATTITUDE, phone="13811112222")
    assert created["assignee_id"] == owner[0]
    for path, body in (
        ("notes", NOTE),
        ("messages", "您好，非常抱歉给您带来不好的体验"),
        ("progress", "已联系当班客服主管核实"),
    ):
        response = client.post(f"{API}/tickets/{created['id']}/{path}", headers=headers, json={"body": body})
        assert response.status_code == 201, response.text
    return created


def link(client, headers, ticket_id):
    response = client.post(f"{API}/tickets/{ticket_id}/customer-link", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == f"{PORTAL}/{body['token']}"
    return body["token"]


def test_link_shows_the_public_timeline_only(client, owner, ticket):
    token = link(client, owner[1], ticket["id"])
    response = client.get(f"{PORTAL}/{token}")  # no agent token: the link is the credential
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == ticket["id"]
    assert body["status"] == "in_progress"
    assert body["status_label"] == "处理中"
    assert set(body) == {"id", "subject", "status", "status_label", "created_at", "timeline"}
    bodies = [e["body"] for e in body["timeline"]]
    assert L1_ATTITUDE in bodies and "您好，非常抱歉给您带来不好的体验" in bodies and "已联系当班客服主管核实" in bodies
    assert all(e["visibility"] == "public" for e in body["timeline"])
    kinds = {e["kind"] for e in body["timeline"]}
    assert kinds.isdisjoint({"note", "triage", "sla_policy", "assignment", "sla_event", "escalation"})
    text = response.text
    assert NOTE not in text
    for internal in ("service_attitude", "severity", "confidence", "rules", "assignee"):
        assert internal not in text, internal
    # The agents' view of the same ticket does have them, so the portal really filtered them out.
    full = get_ticket(client, owner[1], ticket["id"])
    assert {"note", "triage", "sla_policy", "assignment"} <= {e["kind"] for e in full["timeline"]}


def test_customer_reply_on_waiting_ticket_moves_it_to_in_progress(client, owner, ticket):
    act(client, owner[1], ticket["id"], "wait_on_customer")
    token = link(client, owner[1], ticket["id"])
    assert client.get(f"{PORTAL}/{token}").json()["status_label"] == "等待您的回复"
    response = client.post(f"{PORTAL}/{token}/messages", json={"body": "照片已经拍好了，批号是20261101"})
    assert response.status_code == 201, response.text
    entry = response.json()
    assert (entry["author_type"], entry["author_id"], entry["visibility"]) == (
        "customer",
        ticket["customer_id"],
        "public",
    )
    after = get_ticket(client, owner[1], ticket["id"])
    assert after["status"] == "in_progress"
    change = [e for e in after["timeline"] if e["kind"] == "status_change"][-1]
    assert change["data"]["from"] == "waiting_on_customer"
    assert change["data"]["to"] == "in_progress"
    assert change["data"]["reason"] == "customer replied"


def test_customer_cannot_write_to_a_closed_ticket(client, owner, ticket):
    act(client, owner[1], ticket["id"], "resolve")
    act(client, owner[1], ticket["id"], "close")
    token = link(client, owner[1], ticket["id"])
    response = client.post(f"{PORTAL}/{token}/messages", json={"body": "还有问题"})
    assert response.status_code == 409
    assert get_ticket(client, owner[1], ticket["id"])["status"] == "closed"


MANGLES = [
    lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],  # signature altered (a full 6-bit char)
    lambda t: t + "x",
    lambda t: "x" + t,
    lambda t: "not-a-signed-link-at-all",
]


def test_tampered_link_is_not_found(client, owner, ticket):
    token = link(client, owner[1], ticket["id"])
    for mangle in MANGLES:
        for method, path, kwargs in (
            ("GET", "", {}),
            ("POST", "/messages", {"json": {"body": "hi"}}),
            ("POST", "/attachments", {"files": {"file": ("p.png", png_bytes(), "image/png")}}),
        ):
            response = client.request(method, f"{PORTAL}/{mangle(token)}{path}", **kwargs)
            assert response.status_code == 404, (path, response.text)
            assert error(response)["field"] == "token"


def _swap_ticket_id(token: str, ticket_id: int) -> str:
    payload, rest = token.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["t"] = ticket_id
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{forged}.{rest}"


def test_link_for_one_ticket_cannot_read_another(client, app, owner, ticket):
    other = new_ticket(client, owner[1], L3_DIARRHOEA, phone="13633334444")
    token_a = link(client, owner[1], ticket["id"])
    swapped = _swap_ticket_id(token_a, other["id"])
    for response in (
        client.get(f"{PORTAL}/{swapped}"),
        client.post(f"{PORTAL}/{swapped}/messages", json={"body": "偷看"}),
        client.post(f"{PORTAL}/{swapped}/attachments", files={"file": ("p.png", png_bytes(), "image/png")}),
    ):
        assert response.status_code == 404, response.text
    # A genuinely signed link naming ticket B but customer A is refused too.
    mixed = app.state.signer.sign(other["id"], ticket["customer_id"])
    assert client.get(f"{PORTAL}/{mixed}").status_code == 404
    assert client.post(f"{PORTAL}/{mixed}/messages", json={"body": "偷看"}).status_code == 404
    assert all(e["body"] != "偷看" for e in get_ticket(client, owner[1], other["id"])["timeline"])
    # And link A still only shows A.
    assert client.get(f"{PORTAL}/{token_a}").json()["id"] == ticket["id"]


def test_expired_link_is_not_found(client, app, settings, owner, ticket, monkeypatch):
    import itsdangerous.timed

    signer = LinkSigner(settings.resolved_secret_key(), max_age_days=settings.customer_link_max_age_days)
    old = time.time() - (settings.customer_link_max_age_days + 1) * 86400
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: old))
    expired = signer.sign(ticket["id"], ticket["customer_id"])
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: old + 2 * 86400))  # 89 days old
    fresh_enough = signer.sign(ticket["id"], ticket["customer_id"])
    monkeypatch.undo()
    assert client.get(f"{PORTAL}/{fresh_enough}").status_code == 200
    for response in (
        client.get(f"{PORTAL}/{expired}"),
        client.post(f"{PORTAL}/{expired}/messages", json={"body": "还在吗"}),
        client.post(f"{PORTAL}/{expired}/attachments", files={"file": ("p.png", png_bytes(), "image/png")}),
    ):
        assert response.status_code == 404, response.text
        assert error(response)["field"] == "token"


def test_customer_uploads_a_photo_through_the_link(client, owner, ticket):
    token = link(client, owner[1], ticket["id"])
    image = png_bytes(4, 3)
    response = client.post(f"{PORTAL}/{token}/attachments", files={"file": ("瓶盖.png", image, "image/png")})
    assert response.status_code == 201, response.text
    row = response.json()
    assert (row["ticket_id"], row["content_type"], row["size_bytes"]) == (ticket["id"], "image/png", len(image))
    entry = [e for e in get_ticket(client, owner[1], ticket["id"])["timeline"] if e["kind"] == "attachment"][-1]
    assert (entry["author_type"], entry["visibility"]) == ("customer", "public")
    download = client.get(f"{API}/tickets/{ticket['id']}/attachments/{row['id']}", headers=owner[1])
    assert download.status_code == 200
    assert download.content == image
    assert any(e["kind"] == "attachment" for e in client.get(f"{PORTAL}/{token}").json()["timeline"])


def _nothing_written(client, owner, ticket_id, settings):
    kinds = [e["kind"] for e in get_ticket(client, owner[1], ticket_id)["timeline"]]
    assert "attachment" not in kinds
    storage = settings.data_dir / "attachments"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


NOT_IMAGES = [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/x-msdownload"),
    ("photos.zip", b"PK\x03\x04" + b"\x00" * 100, "application/zip"),
    ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
    ("fake.png", b"<html><script>alert(1)</script></html>", "image/png"),  # declared PNG, is not one
]


def test_customer_upload_of_a_non_image_is_refused_and_nothing_is_written(client, owner, ticket, settings):
    token = link(client, owner[1], ticket["id"])
    for name, content, content_type in NOT_IMAGES:
        response = client.post(f"{PORTAL}/{token}/attachments", files={"file": (name, content, content_type)})
        assert response.status_code == 415, (name, response.text)
        assert error(response)["field"] == "file"
        _nothing_written(client, owner, ticket["id"], settings)


def test_customer_upload_over_the_size_limit_is_refused_and_nothing_is_written(client, owner, ticket, settings):
    settings.attachment_max_bytes = 2048
    token = link(client, owner[1], ticket["id"])
    big = png_bytes() + b"\x00" * 4096
    response = client.post(f"{PORTAL}/{token}/attachments", files={"file": ("big.png", big, "image/png")})
    assert response.status_code == 413, response.text
    assert error(response)["field"] == "file"
    _nothing_written(client, owner, ticket["id"], settings)
    exactly = png_bytes() + b"\x00" * (2048 - len(png_bytes()))
    ok = client.post(f"{PORTAL}/{token}/attachments", files={"file": ("ok.png", exactly, "image/png")})
    assert ok.status_code == 201, ok.text

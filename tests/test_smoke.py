"""The service starts, migrates and takes a ticket on both databases."""


def test_health_reports_the_database(client, database):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == database.engine.dialect.name


def test_created_ticket_is_triaged_and_gets_an_sla(client, make_agent):
    _, headers = make_agent("agent", "quality")
    response = client.post(
        "/api/v1/tickets",
        headers=headers,
        json={
            "description": "昨天收到的鲜牛奶打开就是酸的，已经结块了",
            "channel": "chat",
            "customer": {"phone": "13812345678", "name": "王女士"},
        },
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["status"] in ("triaged", "assigned")
    assert ticket["sla"]["state"] == "ok"
    kinds = [e["kind"] for e in ticket["timeline"]]
    assert kinds[:4] == ["message", "triage", "status_change", "sla_policy"]

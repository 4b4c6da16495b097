"""List endpoints of the resolution loop issue the same number of SQL statements for 1 row as for many (no N+1)."""

from __future__ import annotations

from typing import Any

from api._support import API, L1_SOUR, counted, new_ticket

LISTS = ("/callbacks", "/actions", "/inbox", "/webhooks/deliveries")


def _work(client: Any, headers: dict[str, str], dispatcher: Any, n: int) -> int:
    ticket_id = 0
    for _ in range(n):
        ticket_id = new_ticket(client, headers, L1_SOUR)["id"]
        client.post(f"{API}/tickets/{ticket_id}/actions", headers=headers, json={"kind": "reissue"})
        client.post(f"{API}/tickets/{ticket_id}/actions", headers=headers, json={"kind": "exchange"})
        client.post(f"{API}/tickets/{ticket_id}/transitions", headers=headers, json={"action": "resolve"})
    dispatcher.run_until_idle()
    return ticket_id


def _costs(
    client: Any, database: Any, admin_h: dict[str, str], owner_h: dict[str, str], ticket_id: int
) -> dict[str, tuple[int, int]]:
    costs = {}
    for path in (*LISTS, f"/tickets/{ticket_id}/actions"):
        headers = owner_h if path == "/inbox" else admin_h  # the owner's inbox has their assignments
        with counted(database) as statements:
            response = client.get(f"{API}{path}", headers=headers)
        assert response.status_code == 200, response.text
        key = path if not path.startswith("/tickets/") else "/tickets/{id}/actions"
        costs[key] = (len(statements), len(response.json()))
    return costs


def test_list_endpoints_cost_the_same_for_one_row_and_many(client, database, admin, make_agent, dispatcher, receiver):
    _, h = admin
    _, owner_h = make_agent("agent", "quality", skills=["quality"])
    client.post(f"{API}/webhooks", headers=h, json={"name": "erp", "url": receiver.url})
    few = _costs(client, database, h, owner_h, _work(client, owner_h, dispatcher, 1))
    many = _costs(client, database, h, owner_h, _work(client, owner_h, dispatcher, 4))
    for path in few:
        assert many[path][1] >= few[path][1] > 0, (path, few[path], many[path])
        assert many[path][0] == few[path][0], (
            f"{path}: {few[path][0]} statements for {few[path][1]} rows, {many[path][0]} for {many[path][1]}"
        )

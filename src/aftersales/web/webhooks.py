"""Admin page for webhooks: endpoints, the secret shown once at creation, recent deliveries and dead letters.

Calls events/api.py's handlers, so validation (URL, topics, secret length) and the admin-only rule are the API's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.events import api as events_api
from aftersales.events.schemas import WebhookCreate
from aftersales.kit.actor import Actor
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import DomainError
from aftersales.web.auth import AdminPage
from aftersales.web.forms import blank_to_none, parse
from aftersales.web.nav import ADMINS, NavItem, register
from aftersales.web.render import page, redirect
from aftersales.web.session import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.webhooks", "/app/admin/webhooks", ADMINS))


def _values(actor: Actor, db: Session) -> dict[str, Any]:
    endpoints = events_api.list_webhooks(actor, db)
    return {
        "endpoints": endpoints,
        "names": {e.id: e.name for e in endpoints},
        "dead": events_api.list_deliveries(actor, db, "dead", None, 100),
        "recent": events_api.list_deliveries(actor, db, None, None, 30),
        "created": None,
        "error": None,
        "values": {},
    }


@router.get("/app/admin/webhooks")
def webhooks_page(request: Request, actor: AdminPage, db: DbSession) -> Response:
    return page(request, "admin/webhooks.html", actor, **_values(actor, db))


@router.post("/app/admin/webhooks")
def create_webhook(
    request: Request,
    actor: AdminPage,
    db: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=100)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    topics: Annotated[str, Form(max_length=2000)] = "*",
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {"name": name, "url": url, "topics": topics}
    try:
        body = parse(
            WebhookCreate,
            name=name.strip(),
            url=url.strip(),
            topics=[t.strip() for t in topics.replace("，", ",").split(",") if t.strip()] or ["*"],
            secret=blank_to_none(secret),
        )
        created = events_api.create_webhook(body, actor, db, now)
    except DomainError as exc:
        db.rollback()
        return page(
            request, "admin/webhooks.html", actor, status_code=exc.status_code,
            **{**_values(actor, db), "error": exc.message, "values": values},
        )  # fmt: skip
    # The secret is shown on this response only; it is never listed again.
    return page(request, "admin/webhooks.html", actor, status_code=201, **{**_values(actor, db), "created": created})


@router.post("/app/admin/webhooks/deliveries/{delivery_id}/replay")
def replay(delivery_id: PathId, request: Request, actor: AdminPage, db: DbSession, now: Now) -> Response:
    events_api.replay_delivery(delivery_id, actor, db, now)
    return redirect(request, "/app/admin/webhooks")

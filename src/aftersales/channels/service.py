"""Rendering messages (Jinja2, Chinese and English) and queueing them for a customer or for agents."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.agents.models import Agent
from aftersales.catalog.models import Customer
from aftersales.events.models import Notification
from aftersales.kit.settings import Settings
from aftersales.tickets.models import Ticket

LOCALES = ("zh", "en")


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Plain-text messages: no HTML escaping; a missing variable is a bug, not an empty string.
    env = Environment(
        loader=PackageLoader("aftersales.channels", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["local"] = local_time
    return env


def local_time(value: Any) -> str:
    """An ISO time from an event's payload as people read it: minutes, in the brand's time zone."""
    from zoneinfo import ZoneInfo

    from aftersales.kit.settings import get_settings

    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    try:
        zone = get_settings().timezone
    except ValueError:  # a bad setting fails the server's start-up, not a message
        zone = "Asia/Shanghai"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def render(template: str, locale: str, **variables: Any) -> tuple[str, str]:
    """(subject, body) of a template in the locale (Chinese unless English is asked for)."""
    tmpl = _env().get_template(f"{locale if locale in LOCALES else 'zh'}/{template}.j2")
    context = tmpl.new_context(variables)
    subject = "".join(tmpl.blocks["subject"](context)).strip()
    body = "".join(tmpl.blocks["body"](context)).strip()
    return subject, body


def customer_route(settings: Settings, customer: Customer | None) -> tuple[str, str] | None:
    """(channel, recipient) to reach a customer: e-mail if both sides have it, else the SMS gateway."""
    if customer is None:
        return None
    if customer.email and settings.smtp_host:
        return "email", customer.email
    if customer.phone and settings.sms_gateway_url:
        return "sms", customer.phone
    return None


def can_reach(db: Session, settings: Settings, ticket: Ticket) -> bool:
    """Whether a message to this ticket's customer would be queued (checked before signing links for it)."""
    customer = db.get(Customer, ticket.customer_id) if ticket.customer_id else None
    return customer_route(settings, customer) is not None


def notify_customer(
    db: Session,
    settings: Settings,
    ticket: Ticket,
    template: str,
    now: datetime,
    *,
    event_id: int | None = None,
    **variables: Any,
) -> Notification | None:
    customer = db.get(Customer, ticket.customer_id) if ticket.customer_id else None
    route = customer_route(settings, customer)
    if route is None or customer is None:
        return None
    channel, recipient = route
    locale = settings.notification_locale
    subject, body = render(template, locale, ticket_id=ticket.id, customer_name=customer.name, **variables)
    row = Notification(
        channel=channel,
        recipient=recipient,
        ticket_id=ticket.id,
        event_id=event_id,
        template=template,
        locale=locale,
        subject=subject,
        body=body,
        data={},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(row)
    return row


def notify_agents(
    db: Session,
    agent_ids: list[int],
    template: str,
    now: datetime,
    *,
    locale: str = "zh",
    ticket_id: int | None = None,
    event_id: int | None = None,
    **variables: Any,
) -> list[Notification]:
    """In-app inbox items, readable at once (nothing to send)."""
    subject, body = render(template, locale, ticket_id=ticket_id, **variables)
    rows = [
        Notification(
            channel="inbox",
            recipient="",
            agent_id=agent_id,
            ticket_id=ticket_id,
            event_id=event_id,
            template=template,
            locale=locale,
            subject=subject,
            body=body,
            data=variables_for_data(variables),
            status="sent",
            attempts=0,
            next_attempt_at=now,
            sent_at=now,
            created_at=now,
        )
        for agent_id in dict.fromkeys(agent_ids)
    ]
    db.add_all(rows)
    return rows


def variables_for_data(variables: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in variables.items()}


def agents_with_roles(db: Session, roles: tuple[str, ...]) -> list[int]:
    return list(db.scalars(select(Agent.id).where(Agent.role.in_(roles), Agent.active.is_(True)).order_by(Agent.id)))


def inbox(db: Session, agent_id: int, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.agent_id == agent_id, Notification.channel == "inbox")
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.scalars(stmt))

"""Imports every model so metadata is complete (Alembic autogenerate and the schema test rely on it)."""

from aftersales.agents.models import Agent, ApiToken
from aftersales.assistant.models import Conversation, ConversationMessage, ReviewItem
from aftersales.catalog.models import Batch, Customer, Order, OrderItem, Product
from aftersales.kb.models import KbEntry, KbEntryVersion
from aftersales.kit.db import Base
from aftersales.kit.outbox import OutboxEvent
from aftersales.sla.models import BusinessCalendarRecord, SlaPolicyRecord
from aftersales.tickets.models import Attachment, IdempotencyKey, Ticket, TicketCollaborator, TicketEntry

__all__ = [
    "Agent",
    "ApiToken",
    "Attachment",
    "Base",
    "Batch",
    "BusinessCalendarRecord",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "IdempotencyKey",
    "KbEntry",
    "KbEntryVersion",
    "Order",
    "OrderItem",
    "OutboxEvent",
    "Product",
    "ReviewItem",
    "SlaPolicyRecord",
    "Ticket",
    "TicketCollaborator",
    "TicketEntry",
]

"""Imports every model so metadata is complete (Alembic autogenerate and the schema test rely on it)."""

from aftersales.actions.models import ResolutionAction
from aftersales.agents.models import Agent, ApiToken
from aftersales.assistant.models import Conversation, ConversationMessage, ReviewItem
from aftersales.catalog.models import Batch, Customer, Order, OrderItem, Product
from aftersales.events.models import Notification, WebhookDelivery, WebhookEndpoint
from aftersales.kb.models import KbEntry, KbEntryVersion
from aftersales.kit.db import Base
from aftersales.kit.outbox import OutboxEvent
from aftersales.sla.models import BusinessCalendarRecord, SlaPolicyRecord
from aftersales.surveys.models import CallbackTask, Survey
from aftersales.tickets.models import Attachment, IdempotencyKey, Ticket, TicketCollaborator, TicketEntry
from aftersales.triage.models import TriageRuleVersion

__all__ = [
    "Agent",
    "ApiToken",
    "Attachment",
    "Base",
    "Batch",
    "BusinessCalendarRecord",
    "CallbackTask",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "IdempotencyKey",
    "KbEntry",
    "KbEntryVersion",
    "Notification",
    "Order",
    "OrderItem",
    "OutboxEvent",
    "Product",
    "ResolutionAction",
    "ReviewItem",
    "SlaPolicyRecord",
    "Survey",
    "Ticket",
    "TicketCollaborator",
    "TicketEntry",
    "TriageRuleVersion",
    "WebhookDelivery",
    "WebhookEndpoint",
]

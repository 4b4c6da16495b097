"""The agents' in-app inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from aftersales.channels.service import inbox
from aftersales.events.models import Notification
from aftersales.kit.deps import DbSession, Now, PathId, Reader
from aftersales.kit.errors import NotFound

router = APIRouter(prefix="/inbox", tags=["inbox"])


class InboxItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    template: str
    subject: str
    body: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


@router.get("", response_model=list[InboxItem], summary="My notifications, newest first")
def my_inbox(
    actor: Reader, db: DbSession, unread: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[InboxItem]:
    assert actor.id is not None
    return [InboxItem.model_validate(n) for n in inbox(db, actor.id, unread_only=unread, limit=limit)]


@router.post("/{notification_id}/read", response_model=InboxItem)
def mark_read(notification_id: PathId, actor: Reader, db: DbSession, now: Now) -> InboxItem:
    row = db.get(Notification, notification_id)
    # Someone else's item answers like a missing one: ids do not reveal other people's inboxes.
    if row is None or row.channel != "inbox" or row.agent_id != actor.id:
        raise NotFound(f"inbox item {notification_id} does not exist", field="notification_id")
    if row.read_at is None:
        row.read_at = now
    db.commit()
    return InboxItem.model_validate(row)

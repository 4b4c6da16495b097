"""Knowledge base routes: entries with their versions, and one-click knowledge lookup for agents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from aftersales.kb import service
from aftersales.kb.models import KbEntry
from aftersales.kb.schemas import KbEntryIn, KbEntryOut, KbVersionOut, LookupHit
from aftersales.kit.deps import DbSession, Now, PathId, Reader, Supervisor

router = APIRouter(prefix="/kb", tags=["knowledge base"])


@router.get("/entries", response_model=list[KbEntryOut])
def list_entries(
    actor: Reader,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_retired: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[KbEntry]:
    return service.list_entries(db, q=q, include_retired=include_retired, limit=limit, offset=offset)


@router.post("/entries", response_model=KbEntryOut, status_code=status.HTTP_201_CREATED)
def create_entry(body: KbEntryIn, actor: Supervisor, db: DbSession, now: Now) -> KbEntry:
    record = service.create(db, service.validate(body.model_dump()), actor, now)
    db.commit()
    return record


@router.get("/entries/{entry_id}", response_model=KbEntryOut)
def get_entry(entry_id: PathId, actor: Reader, db: DbSession) -> KbEntry:
    return service.get(db, entry_id)


@router.put("/entries/{entry_id}", response_model=KbEntryOut)
def update_entry(entry_id: PathId, body: KbEntryIn, actor: Supervisor, db: DbSession, now: Now) -> KbEntry:
    record = service.get(db, entry_id, for_update=True)
    service.update(db, record, service.validate(body.model_dump()), actor, now)
    db.commit()
    return record


@router.delete("/entries/{entry_id}", response_model=KbEntryOut)
def retire_entry(entry_id: PathId, actor: Supervisor, db: DbSession, now: Now) -> KbEntry:
    """Retire an entry: the assistant stops using it; its history stays, and a PUT brings it back."""
    record = service.get(db, entry_id, for_update=True)
    service.retire(db, record, actor, now)
    db.commit()
    return record


@router.get("/entries/{entry_id}/versions", response_model=list[KbVersionOut])
def entry_versions(entry_id: PathId, actor: Reader, db: DbSession) -> list[Any]:
    return service.versions(db, service.get(db, entry_id))


@router.get("/lookup", response_model=list[LookupHit])
def lookup(
    request: Request, actor: Reader, db: DbSession, now: Now, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> list[dict[str, Any]]:
    """Knowledge lookup for agents: the entries that best match a question, with answers filled from the catalogue."""
    from aftersales.assistant.service import lookup as do_lookup

    return do_lookup(db, request.app.state.assistant.get(db), q, now)

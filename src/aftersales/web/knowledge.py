"""Knowledge base pages: entries (search, create, edit, their versions) and the assistant's review queue of
unanswered and down-rated questions, turned into new entries or new phrasings.

Calls kb/api.py and assistant/api.py handlers: validation, versioning and the supervisor rule are theirs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.assistant import api as assistant_api
from aftersales.assistant.schemas import ReviewConvert
from aftersales.kb import api as kb_api
from aftersales.kb.schemas import KbEntryIn
from aftersales.kit.actor import Actor
from aftersales.kit.db import MAX_ID
from aftersales.kit.deps import DbSession, Now, PathId
from aftersales.kit.errors import DomainError, ValidationFailed
from aftersales.web.auth import ReaderPage, SupervisorPage
from aftersales.web.forms import blank_to_none, int_or_none, parse
from aftersales.web.nav import ALL_ROLES, NavItem, register
from aftersales.web.render import page, redirect
from aftersales.web.session import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.kb", "/app/kb", ALL_ROLES, shortcut="k"))

FORM_FIELDS = ("key", "intent", "category", "kind", "questions", "answer", "tags", "products", "valid_from", "valid_to")


def _list(text: str, *, lines: bool = False) -> list[str]:
    parts = text.splitlines() if lines else text.replace("，", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def entry_body(form: dict[str, str]) -> KbEntryIn:
    return parse(
        KbEntryIn,
        key=form.get("key", "").strip(),
        intent=form.get("intent", "").strip(),
        category=blank_to_none(form.get("category")),
        kind=form.get("kind") or "faq",
        questions=_list(form.get("questions", ""), lines=True),
        answer=form.get("answer", "").strip(),
        tags=_list(form.get("tags", "")),
        products=_list(form.get("products", "")),
        valid_from=blank_to_none(form.get("valid_from")),
        valid_to=blank_to_none(form.get("valid_to")),
    )


def _form_of(entry: Any) -> dict[str, str]:
    return {
        "key": entry.key,
        "intent": entry.intent,
        "category": entry.category or "",
        "kind": entry.kind,
        "questions": "\n".join(entry.questions),
        "answer": entry.answer,
        "tags": ", ".join(entry.tags),
        "products": ", ".join(entry.products),
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else "",
        "valid_to": entry.valid_to.isoformat() if entry.valid_to else "",
    }


def _index_values(actor: Actor, db: Session, q: str) -> dict[str, Any]:
    return {
        "entries": kb_api.list_entries(actor, db, q or None, False, 200, 0),
        "review": assistant_api.review_queue(actor, db, "open"),
        "q": q,
        "can_edit": actor.role in ("supervisor", "admin"),
        "error": None,
    }


@router.get("/app/kb")
def kb_index(
    request: Request, actor: ReaderPage, db: DbSession, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    return page(request, "kb/index.html", actor, **_index_values(actor, db, q.strip()))


def _entry_page(
    request: Request, actor: Actor, db: Session, entry: Any, form: dict[str, str], error: str | None, status: int
) -> Response:
    versions = kb_api.entry_versions(entry.id, actor, db) if entry is not None else []
    return page(
        request, "kb/entry.html", actor, status_code=status, entry=entry, form=form, versions=versions, error=error,
        can_edit=actor.role in ("supervisor", "admin"), fields=FORM_FIELDS,
    )  # fmt: skip


@router.get("/app/kb/entries/new")
def new_entry(
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    question: Annotated[str, Query(max_length=500)] = "",
    review: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The entry form, pre-filled with a review item's question when started from the review queue."""
    form = {"questions": question, "kind": "faq", "review_item": str(review) if review else ""}
    return _entry_page(request, actor, db, None, form, None, 200)


@router.get("/app/kb/entries/{entry_id}")
def show_entry(entry_id: PathId, request: Request, actor: ReaderPage, db: DbSession) -> Response:
    entry = kb_api.get_entry(entry_id, actor, db)
    return _entry_page(request, actor, db, entry, _form_of(entry), None, 200)


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {name: str(data.get(name, ""))[:5000] for name in (*FORM_FIELDS, "review_item")}


@router.post("/app/kb/entries")
def create_entry(
    request: Request, actor: SupervisorPage, db: DbSession, now: Now, form: Annotated[dict[str, str], Depends(_form)]
) -> Response:
    """A new entry; started from a review item, the entry and the item's conversion are one transaction."""
    try:
        body = entry_body(form)
        review_item = int_or_none(form.get("review_item"), "review_item")
        if review_item is None:
            created_id = kb_api.create_entry(body, actor, db, now).id
        else:
            if not 1 <= review_item <= MAX_ID:
                raise ValidationFailed("review_item must be a review item's number", field="review_item")
            item = assistant_api.convert_review(review_item, ReviewConvert(new_entry=body), actor, db, now)
            created_id = _entry_id(db, item.entry_key or "")
    except DomainError as exc:
        db.rollback()
        return _entry_page(request, actor, db, None, form, exc.message, exc.status_code)
    return redirect(request, f"/app/kb/entries/{created_id}")


def _entry_id(db: Session, key: str) -> int:
    from aftersales.kb.service import by_key

    record = by_key(db, key)
    assert record is not None  # just created in this request
    return int(record.id)


@router.post("/app/kb/entries/{entry_id}")
def update_entry(
    entry_id: PathId,
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    now: Now,
    form: Annotated[dict[str, str], Depends(_form)],
) -> Response:
    try:
        kb_api.update_entry(entry_id, entry_body(form), actor, db, now)
    except DomainError as exc:
        db.rollback()
        entry = kb_api.get_entry(entry_id, actor, db)
        return _entry_page(request, actor, db, entry, form, exc.message, exc.status_code)
    return redirect(request, f"/app/kb/entries/{entry_id}")


@router.post("/app/kb/review/{item_id}/convert")
def convert_review(
    item_id: PathId,
    request: Request,
    actor: SupervisorPage,
    db: DbSession,
    now: Now,
    add_to_key: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Add the customer's question as a new phrasing of an existing entry (a new entry: the "new entry" link)."""
    body = parse(ReviewConvert, add_to_key=add_to_key.strip() or None)
    assistant_api.convert_review(item_id, body, actor, db, now)
    return redirect(request, "/app/kb")


@router.post("/app/kb/review/{item_id}/dismiss")
def dismiss_review(item_id: PathId, request: Request, actor: SupervisorPage, db: DbSession, now: Now) -> Response:
    assistant_api.dismiss_review(item_id, actor, db, now)
    return redirect(request, "/app/kb")

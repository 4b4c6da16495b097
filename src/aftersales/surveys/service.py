"""Callbacks after resolution and satisfaction surveys: scheduling, completing, answering, overdue flags."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.actions.policy import ServicePolicies
from aftersales.kit.actor import Actor
from aftersales.kit.errors import Conflict, Forbidden, NotFound
from aftersales.kit.outbox import emit
from aftersales.sla import service as sla_service
from aftersales.surveys.models import CallbackTask, Survey
from aftersales.tickets import service as ticket_service
from aftersales.tickets.models import Ticket
from aftersales.tickets.timeline import append

SYSTEM_CALLBACKS = Actor(type="system", name="callbacks")


def _task_event(db: Session, topic: str, task: CallbackTask, now: datetime, **extra: Any) -> None:
    emit(
        db,
        topic,
        "callback_task",
        task.id,
        {
            "task_id": task.id,
            "ticket_id": task.ticket_id,
            "kind": task.kind,
            "status": task.status,
            "due_at": task.due_at.isoformat(),
            **extra,
        },
        now,
    )


def callback_due(
    db: Session, policies: ServicePolicies, ticket: Ticket, resolved_at: datetime, now: datetime
) -> datetime:
    """The tier's deadline from resolution, or the SLA follow-up due time if that comes first."""
    hours = policies.callback_due_hours.get(ticket.severity, 24.0)
    due = resolved_at + timedelta(hours=hours)
    report, _ = sla_service.compute(db, ticket, now)
    follow_up = report.metrics.get("follow_up")
    if follow_up is not None and follow_up.due_at is not None and follow_up.fulfilled_at is None:
        due = min(due, follow_up.due_at)
    return due


def schedule_after_resolution(
    db: Session, policies: ServicePolicies, ticket: Ticket, now: datetime
) -> tuple[CallbackTask, Survey] | None:
    """Idempotent: one follow-up callback and one survey per resolution."""
    if ticket.status not in ("resolved", "closed") or ticket.resolved_at is None:
        return None
    existing = db.scalars(
        select(CallbackTask).where(
            CallbackTask.ticket_id == ticket.id,
            CallbackTask.kind == "follow_up",
            # A task cancelled by a reopen belonged to the resolution that was undone.
            CallbackTask.status != "cancelled",
            CallbackTask.created_at >= ticket.resolved_at,
        )
    ).first()
    if existing is not None:
        return None
    survey = Survey(ticket_id=ticket.id, customer_id=ticket.customer_id, sent_at=now, low_score=False)
    db.add(survey)
    db.flush()
    task = CallbackTask(
        ticket_id=ticket.id,
        kind="follow_up",
        status="open",
        assignee_id=ticket.assignee_id,
        assignee_role="agent",
        due_at=callback_due(db, policies, ticket, ticket.resolved_at, now),
        attempts=0,
        reason="resolution follow-up",
        survey_id=survey.id,
        created_at=now,
    )
    db.add(task)
    db.flush()
    append(
        db,
        ticket,
        "survey",
        SYSTEM_CALLBACKS,
        now,
        body="已邀请您评价本次服务",
        visibility="public",
        data={"survey_id": survey.id, "callback_task_id": task.id, "callback_due_at": task.due_at.isoformat()},
    )
    _task_event(db, "callback.scheduled", task, now)
    emit(db, "survey.sent", "survey", survey.id, {"survey_id": survey.id, "ticket_id": ticket.id}, now)
    return task, survey


def cancel_follow_ups(db: Session, ticket: Ticket, now: datetime, reason: str) -> int:
    tasks = list(
        db.scalars(
            select(CallbackTask).where(
                CallbackTask.ticket_id == ticket.id, CallbackTask.kind == "follow_up", CallbackTask.status == "open"
            )
        )
    )
    for task in tasks:
        task.status, task.outcome, task.completed_at = "cancelled", reason, now
        _task_event(db, "callback.cancelled", task, now, reason=reason)
    return len(tasks)


def close_follow_ups(db: Session, ticket_id: int, now: datetime, actor_id: int | None) -> int:
    """The follow-up call was recorded on the ticket (any route): its open tasks are done."""
    tasks = list(
        db.scalars(
            select(CallbackTask).where(
                CallbackTask.ticket_id == ticket_id, CallbackTask.kind == "follow_up", CallbackTask.status == "open"
            )
        )
    )
    for task in tasks:
        task.status, task.completed_at, task.completed_by = "done", now, actor_id
        task.outcome = task.outcome or "callback recorded on the ticket"
        _task_event(db, "callback.completed", task, now, reached=True)
    return len(tasks)


def get_task(db: Session, task_id: int, *, for_update: bool = False) -> CallbackTask:
    stmt = select(CallbackTask).where(CallbackTask.id == task_id)
    if for_update and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    task = db.scalars(stmt).first()
    if task is None:
        raise NotFound(f"callback task {task_id} does not exist", field="task_id")
    return task


def complete_task(
    db: Session, task: CallbackTask, ticket: Ticket, *, reached: bool, summary: str, actor: Actor, now: datetime
) -> CallbackTask:
    if task.status != "open":
        raise Conflict(f"the callback task is {task.status}", field="task_id", current=task.status)
    if task.kind == "second_callback" and actor.role not in ("supervisor", "admin"):
        raise Forbidden("a second callback after a low score is a supervisor's call", field="task_id")
    if task.kind == "second_callback":
        append(
            db,
            ticket,
            "callback",
            actor,
            now,
            body=summary,
            data={"reached": reached, "task_id": task.id, "second": True},
        )
    else:
        # The core's follow-up record: reaching the customer fulfils the SLA follow-up clock.
        ticket_service.record_callback(db, ticket, reached=reached, summary=summary, actor=actor, now=now)
    task.attempts += 1
    if reached:
        task.status, task.completed_at, task.completed_by, task.outcome = "done", now, actor.id, summary
        _task_event(db, "callback.completed", task, now, reached=True)
    else:
        task.outcome = summary
        _task_event(db, "callback.attempted", task, now, reached=False)
    return task


def list_tasks(
    db: Session,
    now: datetime,
    *,
    status: str | None,
    overdue: bool | None,
    assignee_id: int | None,
    ticket_id: int | None,
    limit: int,
) -> list[CallbackTask]:
    stmt = select(CallbackTask).order_by(CallbackTask.due_at, CallbackTask.id).limit(limit)
    if status:
        stmt = stmt.where(CallbackTask.status == status)
    if overdue is True:
        stmt = stmt.where(CallbackTask.status == "open", CallbackTask.due_at < now)
    elif overdue is False:
        stmt = stmt.where(CallbackTask.due_at >= now)
    if assignee_id is not None:
        stmt = stmt.where(CallbackTask.assignee_id == assignee_id)
    if ticket_id is not None:
        stmt = stmt.where(CallbackTask.ticket_id == ticket_id)
    return list(db.scalars(stmt))


def flag_overdue_callbacks(db: Session, now: datetime, *, limit: int = 200) -> int:
    """Emit callback.overdue once per task that passed its deadline (the inbox handler tells people)."""
    stmt = (
        select(CallbackTask)
        .where(CallbackTask.status == "open", CallbackTask.due_at < now, CallbackTask.overdue_notified_at.is_(None))
        .order_by(CallbackTask.due_at)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    tasks = list(db.scalars(stmt))
    for task in tasks:
        task.overdue_notified_at = now
        _task_event(db, "callback.overdue", task, now, assignee_id=task.assignee_id)
    return len(tasks)


# ---------------------------------------------------------------- surveys


def get_survey(db: Session, survey_id: int, *, for_update: bool = False) -> Survey:
    stmt = select(Survey).where(Survey.id == survey_id)
    if for_update and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    survey = db.scalars(stmt).first()
    if survey is None:
        raise NotFound("this survey link is invalid or has expired", field="token")
    return survey


def answer(
    db: Session,
    survey: Survey,
    *,
    speed: int,
    attitude: int,
    result: int,
    nps: int,
    comment: str | None,
    threshold: float,
    now: datetime,
) -> Survey:
    # A conditional update makes a double submit (two tabs, a retry) lose cleanly instead of overwriting.
    overall = round((speed + attitude + result) / 3, 2)
    low = overall < threshold
    changed = db.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(
            answered_at=now,
            csat_speed=speed,
            csat_attitude=attitude,
            csat_result=result,
            csat_overall=overall,
            nps=nps,
            comment=comment,
            low_score=low,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this survey was already answered; thank you", field="token")
    db.refresh(survey)
    ticket = db.get(Ticket, survey.ticket_id)
    assert ticket is not None
    append(
        db,
        ticket,
        "survey",
        Actor(type="customer", id=survey.customer_id),
        now,
        body=f"客户评价：速度 {speed}，态度 {attitude}，结果 {result}，推荐意愿 {nps}"
        + (f"。{comment}" if comment else ""),
        visibility="public",
        data={"survey_id": survey.id, "csat_overall": overall, "nps": nps, "low_score": low},
    )
    emit(
        db,
        "survey.answered",
        "survey",
        survey.id,
        {
            "survey_id": survey.id,
            "ticket_id": ticket.id,
            "csat_speed": speed,
            "csat_attitude": attitude,
            "csat_result": result,
            "csat_overall": overall,
            "nps": nps,
            "low_score": low,
        },
        now,
    )
    return survey


def after_low_score(
    db: Session, policies: ServicePolicies, survey: Survey, now: datetime, *, reopen: bool
) -> CallbackTask | None:
    """A second callback for a supervisor, once per survey; reopens the ticket when the brand wants that."""
    exists = db.scalars(
        select(CallbackTask).where(CallbackTask.survey_id == survey.id, CallbackTask.kind == "second_callback")
    ).first()
    if exists is not None:
        return None
    ticket = db.get(Ticket, survey.ticket_id)
    assert ticket is not None
    task = CallbackTask(
        ticket_id=ticket.id,
        kind="second_callback",
        status="open",
        assignee_id=None,
        assignee_role="supervisor",
        due_at=now + timedelta(hours=policies.second_callback_hours),
        attempts=0,
        reason=f"low satisfaction score {survey.csat_overall}",
        survey_id=survey.id,
        created_at=now,
    )
    db.add(task)
    db.flush()
    _task_event(db, "callback.scheduled", task, now, reason=task.reason)
    if reopen and ticket.status in ("resolved", "closed"):
        ticket_service.transition(
            db,
            ticket,
            "reopen",
            Actor(type="system", name="surveys"),
            now,
            reason=f"low satisfaction score {survey.csat_overall}",
        )
    return task

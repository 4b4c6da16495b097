"""Internal event handlers that close the loop: resolution -> callback + survey; low score -> second callback."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aftersales.actions.policy import ServicePolicies, load_policies
from aftersales.channels.service import agents_with_roles, can_reach, notify_agents, notify_customer
from aftersales.events.registry import HandlerContext, registry
from aftersales.kit.outbox import OutboxEvent
from aftersales.surveys import service
from aftersales.surveys.links import portal_url, survey_url
from aftersales.surveys.models import Survey
from aftersales.tickets import repository as ticket_repo


def _policies(ctx: HandlerContext) -> ServicePolicies:
    path = ctx.settings.service_policies
    return load_policies(str(path) if path else None)


@registry.on("ticket.status_changed")
def on_status_changed(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    payload = event.payload
    ticket = ticket_repo.get(db, event.aggregate_id, for_update=True)
    if payload.get("reopen"):
        service.cancel_follow_ups(db, ticket, ctx.now, reason="ticket reopened")
        return
    # Judge by the ticket as it is now: a resolution that was undone before this ran schedules nothing.
    if payload.get("status") != "resolved" or ticket.status not in ("resolved", "closed"):
        return
    scheduled = service.schedule_after_resolution(db, _policies(ctx), ticket, ctx.now)
    if scheduled is None:
        return
    _task, survey = scheduled
    if not can_reach(db, ctx.settings, ticket):
        return
    notify_customer(
        db,
        ctx.settings,
        ticket,
        "survey_invitation",
        ctx.now,
        event_id=event.id,
        subject=ticket.subject,
        survey_url=survey_url(ctx.settings, survey.id),
        portal_url=portal_url(ctx.settings, ticket.id, ticket.customer_id),
    )


@registry.on("ticket.callback_recorded")
def on_callback_recorded(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    if event.payload.get("reached"):
        service.close_follow_ups(db, event.aggregate_id, ctx.now, None)


@registry.on("survey.answered")
def on_survey_answered(db: Session, event: OutboxEvent, ctx: HandlerContext) -> None:
    if not event.payload.get("low_score"):
        return
    survey = db.get(Survey, event.aggregate_id)
    if survey is None:
        return
    ticket_repo.get(db, survey.ticket_id, for_update=True)
    task = service.after_low_score(db, _policies(ctx), survey, ctx.now, reopen=ctx.settings.survey_reopen_on_low_score)
    if task is None:
        return
    notify_agents(
        db,
        agents_with_roles(db, ("supervisor",)) or agents_with_roles(db, ("admin",)),
        "low_score",
        ctx.now,
        locale=ctx.settings.notification_locale,
        ticket_id=survey.ticket_id,
        event_id=event.id,
        overall=survey.csat_overall,
        speed=survey.csat_speed,
        attitude=survey.csat_attitude,
        result=survey.csat_result,
        nps=survey.nps,
        comment=survey.comment or "",
        due_at=task.due_at.isoformat(timespec="minutes"),
    )

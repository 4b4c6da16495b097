"""Callback task routes for agents, and the survey a customer opens through a signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from aftersales.kit.deps import DbSession, Now, PathId, Reader, Writer
from aftersales.kit.errors import Forbidden, NotFound, ValidationFailed
from aftersales.surveys import service
from aftersales.surveys.links import survey_signer
from aftersales.surveys.models import TASK_STATUSES, CallbackTask
from aftersales.surveys.schemas import CallbackComplete, CallbackTaskOut, SurveyAnswer, SurveyOut, SurveyQuestions
from aftersales.tickets import repository as ticket_repo

router = APIRouter(tags=["callbacks and surveys"])
SurveyToken = Annotated[str, Path(min_length=10, max_length=500)]

QUESTIONS = {
    "speed": "您对我们的处理速度满意吗？（1-5 分）",
    "attitude": "您对客服的服务态度满意吗？（1-5 分）",
    "result": "您对处理结果满意吗？（1-5 分）",
    "nps": "您有多大可能把我们推荐给亲友？（0-10 分）",
    "comment": "还有什么想对我们说的？（选填）",
}


def _out(task: CallbackTask, now) -> CallbackTaskOut:  # type: ignore[no-untyped-def]
    out = CallbackTaskOut.model_validate(task)
    out.overdue = task.status == "open" and task.due_at < now
    return out


@router.get("/callbacks", response_model=list[CallbackTaskOut], summary="Callback tasks by due time; overdue=true")
def list_callbacks(
    actor: Reader,
    db: DbSession,
    now: Now,
    status_: Annotated[str | None, Query(alias="status")] = None,
    overdue: bool | None = None,
    mine: bool = False,
    ticket_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CallbackTaskOut]:
    if status_ is not None and status_ not in TASK_STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(TASK_STATUSES)}", field="status")
    tasks = service.list_tasks(
        db,
        now,
        status=status_,
        overdue=overdue,
        assignee_id=actor.id if mine else None,
        ticket_id=ticket_id,
        limit=limit,
    )
    return [_out(t, now) for t in tasks]


@router.post(
    "/callbacks/{task_id}/complete",
    response_model=CallbackTaskOut,
    summary="Record the call: reached closes the task (and fulfils the follow-up SLA), not reached counts a try",
)
def complete(task_id: PathId, body: CallbackComplete, actor: Writer, db: DbSession, now: Now) -> CallbackTaskOut:
    task = service.get_task(db, task_id, for_update=True)
    ticket = ticket_repo.get(db, task.ticket_id, for_update=True)
    if actor.role == "agent" and task.assignee_id not in (None, actor.id) and ticket.assignee_id != actor.id:
        raise Forbidden("this callback belongs to another agent", field="task_id")
    service.complete_task(db, task, ticket, reached=body.reached, summary=body.summary, actor=actor, now=now)
    db.commit()
    return _out(task, now)


def _survey_id(request: Request, token: str) -> int:
    survey_id = survey_signer(request.app.state.settings).verify(token)
    if survey_id is None:
        raise NotFound("this survey link is invalid or has expired", field="token")
    return survey_id


@router.get("/surveys/{token}", response_model=SurveyQuestions, summary="The survey behind a signed link")
def survey_questions(token: SurveyToken, request: Request, db: DbSession) -> SurveyQuestions:
    survey = service.get_survey(db, _survey_id(request, token))
    ticket = ticket_repo.get(db, survey.ticket_id)
    return SurveyQuestions(ticket_subject=ticket.subject, answered=survey.answered_at is not None, questions=QUESTIONS)


@router.post("/surveys/{token}", response_model=SurveyOut, status_code=status.HTTP_201_CREATED)
def answer_survey(token: SurveyToken, body: SurveyAnswer, request: Request, db: DbSession, now: Now) -> SurveyOut:
    survey = service.get_survey(db, _survey_id(request, token), for_update=True)
    ticket_repo.get(db, survey.ticket_id, for_update=True)
    settings = request.app.state.settings
    service.answer(
        db,
        survey,
        speed=body.speed,
        attitude=body.attitude,
        result=body.result,
        nps=body.nps,
        comment=body.comment.strip() if body.comment and body.comment.strip() else None,
        threshold=settings.survey_low_csat_threshold,
        now=now,
    )
    db.commit()
    return SurveyOut.model_validate(survey)

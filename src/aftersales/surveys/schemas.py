"""Shapes for callback tasks and surveys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CallbackTaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    kind: str
    status: str
    assignee_id: int | None
    assignee_role: str
    due_at: datetime
    attempts: int
    reason: str
    outcome: str | None
    survey_id: int | None
    created_at: datetime
    completed_at: datetime | None
    overdue: bool = False


class CallbackComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reached: bool = Field(description="false: nobody answered; the task stays open and counts the attempt")
    summary: str = Field(min_length=1, max_length=5000)

    @field_validator("summary")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class SurveyQuestions(BaseModel):
    """What the customer's survey page shows (Chinese)."""

    ticket_subject: str
    answered: bool
    questions: dict[str, str]


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speed: int = Field(ge=1, le=5, description="处理速度 1-5")
    attitude: int = Field(ge=1, le=5, description="服务态度 1-5")
    result: int = Field(ge=1, le=5, description="处理结果 1-5")
    nps: int = Field(ge=0, le=10, description="推荐意愿 0-10")
    comment: str | None = Field(default=None, max_length=2000)


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    answered_at: datetime | None
    csat_overall: float | None
    nps: int | None
    low_score: bool
    thanks: str = "感谢您的评价！"

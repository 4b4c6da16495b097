"""Turning form fields into the API's request bodies, so pages validate exactly as the API does."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from aftersales.kit.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], **fields: Any) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or model.__name__
        raise ValidationFailed(f"{field}: {first.get('msg', 'invalid')}", field=field) from exc


def blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def int_or_none(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be a whole number", field=field) from exc

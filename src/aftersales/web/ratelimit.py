"""Rate limits for public pages (portal, login), with the `limits` library's moving-window counter."""

from __future__ import annotations

from fastapi import Request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from aftersales.kit.errors import DomainError


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"


class RateLimits:
    """In-process counters: right for one server process; several workers each count on their own."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, rule: str, scope: str, key: str) -> None:
        for item in parse_many(rule):
            if not self._limiter.hit(item, scope, key):
                raise TooManyRequests(f"too many requests; the limit is {item}. Please wait a moment and retry")


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"

"""Retry timing and webhook signatures: plain functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Aftersales-Signature"


def retry_delay_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff: base after the first failed attempt, doubling each time, never above cap."""
    if attempts < 1:
        return 0.0
    # Bound the exponent before computing it: a large attempt count must not overflow the float.
    return float(min(cap, base * (2 ** min(attempts - 1, 60))))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``; the timestamp lets receivers refuse old replays."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int | None = None, tolerance: int = 300) -> bool:
    """What a receiver does with the signature header (used by the tests and documented for integrators)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if now is not None and abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)

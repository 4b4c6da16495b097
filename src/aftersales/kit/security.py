"""Passwords (Argon2id), API tokens (random, stored as SHA-256) and signed customer links."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()
TOKEN_PREFIX = "ast_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; a KDF would only slow every request.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LinkSigner:
    """Signs customer links that grant access to exactly one ticket."""

    def __init__(self, secret_key: str, *, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="aftersales.customer-link")
        self.max_age_seconds = max_age_days * 86400

    def sign(self, ticket_id: int, customer_id: int | None) -> str:
        return self._serializer.dumps({"t": ticket_id, "c": customer_id})

    def verify(self, token: str) -> tuple[int, int | None] | None:
        """Returns (ticket_id, customer_id), or None for a forged, altered or expired link."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("t"), int):
            return None
        return data["t"], data.get("c")

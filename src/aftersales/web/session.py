"""The browser session: a signed cookie holding a CSRF secret and, once logged in, an API token.

Keeping the API token (not just an agent id) in the cookie means the workspace and the API share one notion of
a login: logging out, deactivating an agent or changing a password revokes the token and ends the browser
session too, with no session table.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from aftersales.kit.errors import Forbidden

COOKIE = "as_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class WebSession:
    csrf: str
    token: str | None = None
    changed: bool = False

    def log_in(self, token: str) -> None:
        # A new CSRF secret at login: one planted before login is useless afterwards.
        self.token, self.csrf, self.changed = token, secrets.token_urlsafe(32), True

    def log_out(self) -> None:
        self.token, self.csrf, self.changed = None, secrets.token_urlsafe(32), True


class SessionCodec:
    def __init__(self, secret_key: str, *, max_age_seconds: int, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="aftersales.web-session")
        self.max_age_seconds = max_age_seconds
        self.secure = secure

    def load(self, raw: str | None) -> WebSession | None:
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age_seconds)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        token = data.get("tok")
        return WebSession(csrf=data["csrf"], token=token if isinstance(token, str) else None)

    def dump(self, session: WebSession) -> str:
        return self._serializer.dumps({"csrf": session.csrf, "tok": session.token})


def session_of(request: Request) -> WebSession:
    """This request's session; a visitor without a valid cookie gets a fresh one (saved with the response)."""
    cached = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    codec: SessionCodec = request.app.state.web.sessions
    session = codec.load(request.cookies.get(COOKIE))
    if session is None:
        session = WebSession(csrf=secrets.token_urlsafe(32), changed=True)
    request.state.web_session = session
    return session


def save_session(request: Request, response: Response) -> Response:
    session = getattr(request.state, "web_session", None)
    if session is not None and session.changed:
        codec: SessionCodec = request.app.state.web.sessions
        response.set_cookie(
            COOKIE,
            codec.dump(session),
            max_age=codec.max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=codec.secure,
            path="/",
        )
    return response


async def check_csrf(request: Request) -> None:
    """Every state-changing page request must echo the session's CSRF secret (form field or HTMX header)."""
    if request.method in SAFE_METHODS:
        return
    expected = session_of(request).csrf
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette, so the route still reads its fields
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            "the form's security token is missing or stale; reload the page and try again", field=CSRF_FIELD
        )

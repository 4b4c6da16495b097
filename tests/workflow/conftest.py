from __future__ import annotations

import pytest

from api._support import fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def _cheap_hashing(fast_passwords: None) -> None:  # noqa: F811
    """Keep Argon2 cheap so creating agents does not dominate the runtime."""

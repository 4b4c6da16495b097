from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api._support import fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def _cheap_hashing(fast_passwords: None) -> None:  # noqa: F811
    """Keep Argon2 cheap so creating agents does not dominate the runtime."""


FIXTURE_KB = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="session")
def mini_entries() -> list[Any]:
    from aftersales.assistant.knowledge import parse_pack

    return parse_pack(FIXTURE_KB.read_text("utf-8"), "mini")[1]


@pytest.fixture(scope="session")
def mini_assistant(mini_entries: list[Any]) -> Any:
    from aftersales.assistant.engine import Assistant

    return Assistant(mini_entries)

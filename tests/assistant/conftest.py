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


@pytest.fixture(scope="session")
def ask_pack() -> Any:
    """``ask_pack(pack, *messages)``: the last reply of a conversation with a shipped pack's assistant on the
    evaluation day, the assistant built once per test session."""
    from aftersales.assistant.engine import CustomerContext, DialogueState
    from aftersales.assistant.evaluate import EVAL_DAY, build_assistant, demo_catalogue

    built: dict[str, Any] = {}

    def ask(pack: str, *messages: str) -> Any:
        if pack not in built:
            built[pack] = build_assistant(pack)[0]
        context = CustomerContext(today=EVAL_DAY, catalogue=demo_catalogue(pack))
        state = DialogueState()
        reply = None
        for message in messages:
            reply = built[pack].respond(state, message, context)
        return reply

    return ask

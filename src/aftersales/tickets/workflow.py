"""The ticket status workflow as plain data: which moves are legal and which are automatic."""

from __future__ import annotations

from aftersales.kit.errors import IllegalTransition

# target status -> statuses it may be reached from
_ALLOWED: dict[str, frozenset[str]] = {
    "triaged": frozenset({"new", "assigned", "in_progress", "waiting_on_customer"}),  # back to the queue
    "assigned": frozenset({"triaged", "assigned", "in_progress", "waiting_on_customer"}),
    "in_progress": frozenset({"assigned", "waiting_on_customer", "resolved", "closed"}),  # last two = reopen
    "waiting_on_customer": frozenset({"assigned", "in_progress"}),
    "resolved": frozenset({"assigned", "in_progress", "waiting_on_customer"}),
    "closed": frozenset({"resolved"}),
}

# Names of the moves a person asks for through the API; each maps to a target status.
ACTIONS: dict[str, str] = {
    "start": "in_progress",
    "wait_on_customer": "waiting_on_customer",
    "resume": "in_progress",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "in_progress",
}


# Some actions share a target status but not a starting point ("resume" and "reopen" both lead to in_progress).
_ACTION_SOURCES: dict[str, frozenset[str]] = {
    "start": frozenset({"assigned"}),
    "wait_on_customer": frozenset({"assigned", "in_progress"}),
    "resume": frozenset({"waiting_on_customer"}),
    "resolve": frozenset({"assigned", "in_progress", "waiting_on_customer"}),
    "close": frozenset({"resolved"}),
    "reopen": frozenset({"resolved", "closed"}),
}


def allowed_actions(current: str) -> list[str]:
    return [action for action, sources in _ACTION_SOURCES.items() if current in sources]


def check_action(action: str, current: str) -> None:
    if action not in _ACTION_SOURCES:
        raise IllegalTransition(f"unknown action '{action}'", field="action")
    if current not in _ACTION_SOURCES[action]:
        legal = ", ".join(allowed_actions(current)) or "none"
        raise IllegalTransition(
            f"'{action}' is not possible for a ticket that is '{current}'; possible now: {legal}",
            field="action",
            current=current,
        )


def allowed_targets(current: str) -> list[str]:
    return sorted(target for target, sources in _ALLOWED.items() if current in sources)


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransition, naming the legal moves, unless current -> target is allowed."""
    if target not in _ALLOWED:
        raise IllegalTransition(f"unknown status '{target}'", field="to")
    if current not in _ALLOWED[target]:
        legal = ", ".join(allowed_targets(current)) or "none"
        raise IllegalTransition(
            f"a ticket cannot move from '{current}' to '{target}'; from '{current}' it can move to: {legal}",
            field="to",
            current=current,
            target=target,
        )


def is_reopen(current: str, target: str) -> bool:
    return current in {"resolved", "closed"} and target == "in_progress"

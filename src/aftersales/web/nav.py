"""The workspace's navigation, as a registry: a page module registers its entry and the roles that see it.

A later capability (resolution actions, surveys, webhooks, the assistant) adds its page by registering one
NavItem next to its routes; the layout and the authorization test pick it up without other edits.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"agent", "supervisor", "admin", "analyst"})
WRITERS = frozenset({"agent", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
DASHBOARD_ROLES = frozenset({"supervisor", "admin", "analyst"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class NavItem:
    key: str  # message key of the label, e.g. "nav.queue"
    path: str
    roles: frozenset[str]
    shortcut: str | None = None  # "g" then this key jumps here
    badge: str | None = None  # a page fragment with a count shown next to the label (unread notifications)


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> NavItem:
    if all(existing.path != item.path for existing in _ITEMS):
        _ITEMS.append(item)
    return item


def visible_items(role: str | None) -> list[NavItem]:
    return [item for item in _ITEMS if role in item.roles]


def all_items() -> list[NavItem]:
    return list(_ITEMS)

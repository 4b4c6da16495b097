"""Programmatic Alembic: `aftersales db upgrade` and the test suite build schemas the same way."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from aftersales.kit.db import sqlite_path

# Objects that exist only in one dialect's migration (full-text index structures) are not in the models.
_DIALECT_ONLY = {"ticket_fts", "ix_tickets_search_gin", "search_tsv", "ix_tickets_search_tsv"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Alembic filter: leave the dialect-specific search structures out of model comparisons."""
    return not (name in _DIALECT_ONLY or (name or "").startswith("ticket_fts"))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "aftersales:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    # On a fresh checkout the SQLite file's folder (var/) does not exist yet; SQLite would not create it.
    path = sqlite_path(url) if url.startswith("sqlite") else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)

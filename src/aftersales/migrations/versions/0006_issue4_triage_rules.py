"""issue4: the brand's edits to its industry pack's triage rules

Revision ID: 0006i4
Revises: 0005
One row per saved version of the brand's overlay on the shipped pack (who, when, what changed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aftersales.kit.db

revision: str = "0006i4"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_rule_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pack", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "overlay", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("change", sa.String(length=300), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", aftersales.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_rule_versions")),
        sa.UniqueConstraint("pack", "version", name=op.f("uq_triage_rule_versions_pack")),
    )


def downgrade() -> None:
    op.drop_table("triage_rule_versions")

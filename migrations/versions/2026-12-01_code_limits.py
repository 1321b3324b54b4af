"""Usage limits and share-link visits of referral codes, with visits counted per UTC day.

Revision ID: code_limits
Revises: referral_daily
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "code_limits"
down_revision: str | tuple[str, ...] | None = "referral_daily"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("referral_code", sa.Column("max_uses", sa.Integer(), nullable=True))
    op.add_column(
        "referral_code", sa.Column("uses", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "referral_code", sa.Column("visits", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "code_visit_daily",
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["referral_code.id"],
            name=op.f("fk_code_visit_daily_code_id_referral_code"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_id", "day", name=op.f("pk_code_visit_daily")),
    )


def downgrade() -> None:
    op.drop_table("code_visit_daily")
    op.drop_column("referral_code", "visits")
    op.drop_column("referral_code", "uses")
    op.drop_column("referral_code", "max_uses")

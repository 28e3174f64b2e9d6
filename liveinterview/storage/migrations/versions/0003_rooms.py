"""Rooms: per-interview auto-admit and when an interviewer ended the call; the zone the
booking window's days were chosen in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from liveinterview.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_admit", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("room_ended_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("window_timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.drop_column("window_timezone")
        batch_op.drop_column("room_ended_at")
        batch_op.drop_column("auto_admit")

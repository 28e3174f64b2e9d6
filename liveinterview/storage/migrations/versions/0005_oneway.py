"""One-way interviews: question sets, sent interviews with their question snapshots,
recorded takes, ratings and recommendations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from liveinterview.storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_question_sets_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_sets")),
    )
    op.create_table(
        "oneway_interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("candidate_name", sa.String(length=120), nullable=False),
        sa.Column("candidate_email", sa.String(length=254), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=40), nullable=False),
        sa.Column("consent_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["users.id"], name=op.f("fk_oneway_interviews_recruiter_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["question_sets.id"],
            name=op.f("fk_oneway_interviews_set_id_question_sets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneway_interviews")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oneway_interviews_token_hash")),
    )
    with op.batch_alter_table("oneway_interviews", schema=None) as batch_op:
        batch_op.create_index("ix_oneway_interviews_position", ["position"], unique=False)
        batch_op.create_index(
            "ix_oneway_interviews_state_deadline", ["state", "deadline"], unique=False
        )

    op.create_table(
        "set_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("prep_seconds", sa.Integer(), nullable=False),
        sa.Column("answer_seconds", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["question_sets.id"],
            name=op.f("fk_set_questions_set_id_question_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_questions")),
    )
    with op.batch_alter_table("set_questions", schema=None) as batch_op:
        batch_op.create_index("ix_set_questions_set_id", ["set_id"], unique=False)

    op.create_table(
        "oneway_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("prep_seconds", sa.Integer(), nullable=False),
        sa.Column("answer_seconds", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["oneway_interviews.id"],
            name=op.f("fk_oneway_questions_interview_id_oneway_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneway_questions")),
        sa.UniqueConstraint("interview_id", "idx", name="uq_oneway_questions_interview_idx"),
    )
    op.create_table(
        "oneway_takes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("question_idx", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("directory", sa.String(length=200), nullable=False),
        sa.Column("file", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["oneway_interviews.id"],
            name=op.f("fk_oneway_takes_interview_id_oneway_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneway_takes")),
    )
    with op.batch_alter_table("oneway_takes", schema=None) as batch_op:
        batch_op.create_index("ix_oneway_takes_interview_id", ["interview_id"], unique=False)

    op.create_table(
        "oneway_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("recommendation", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["oneway_interviews.id"],
            name=op.f("fk_oneway_verdicts_interview_id_oneway_interviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_oneway_verdicts_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneway_verdicts")),
        sa.UniqueConstraint(
            "interview_id", "reviewer_id", name="uq_oneway_verdicts_interview_reviewer"
        ),
    )
    op.create_table(
        "oneway_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_oneway_ratings_rating")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_oneway_ratings_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["take_id"],
            ["oneway_takes.id"],
            name=op.f("fk_oneway_ratings_take_id_oneway_takes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneway_ratings")),
        sa.UniqueConstraint("take_id", "reviewer_id", name="uq_oneway_ratings_take_reviewer"),
    )


def downgrade() -> None:
    op.drop_table("oneway_ratings")
    op.drop_table("oneway_verdicts")
    with op.batch_alter_table("oneway_takes", schema=None) as batch_op:
        batch_op.drop_index("ix_oneway_takes_interview_id")

    op.drop_table("oneway_takes")
    op.drop_table("oneway_questions")
    with op.batch_alter_table("set_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_set_questions_set_id")

    op.drop_table("set_questions")
    with op.batch_alter_table("oneway_interviews", schema=None) as batch_op:
        batch_op.drop_index("ix_oneway_interviews_state_deadline")
        batch_op.drop_index("ix_oneway_interviews_position")

    op.drop_table("oneway_interviews")
    op.drop_table("question_sets")

"""Scheduling: availability, busy times, interview requests, bookings, links, reminders,
and the outgoing mail queue.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from liveinterview.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_queue_dedupe_key")),
    )
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_queue_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "availability_overrides",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_availability_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_availability_overrides")),
    )
    op.create_table(
        "calendar_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("next_fetch_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_sources_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sources")),
    )
    with op.batch_alter_table("calendar_sources", schema=None) as batch_op:
        batch_op.create_index("ix_calendar_sources_user_id", ["user_id"], unique=False)

    op.create_table(
        "interview_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("candidate_name", sa.String(length=120), nullable=False),
        sa.Column("candidate_email", sa.String(length=254), nullable=False),
        sa.Column("candidate_timezone", sa.String(length=64), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("step_minutes", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("recorded", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=True),
        sa.Column("end_at", UTCDateTime(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reschedule_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["users.id"], name=op.f("fk_interview_requests_recruiter_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_requests")),
        sa.UniqueConstraint("uid", name=op.f("uq_interview_requests_uid")),
    )
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.create_index("ix_interview_requests_recruiter_id", ["recruiter_id"], unique=False)
        batch_op.create_index(
            "ix_interview_requests_status_start_at", ["status", "start_at"], unique=False
        )

    op.create_table(
        "interviewer_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("max_per_day", sa.Integer(), nullable=True),
        sa.Column("max_per_week", sa.Integer(), nullable=True),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("feed_salt", sa.String(length=40), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_interviewer_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_interviewer_settings")),
        sa.UniqueConstraint(
            "feed_token_hash", name=op.f("uq_interviewer_settings_feed_token_hash")
        ),
    )
    op.create_table(
        "weekly_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("start_minute < end_minute", name=op.f("ck_weekly_hours_order")),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440", name=op.f("ck_weekly_hours_minutes")
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_weekly_hours_weekday")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_weekly_hours_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_hours")),
    )
    with op.batch_alter_table("weekly_hours", schema=None) as batch_op:
        batch_op.create_index("ix_weekly_hours_user_id", ["user_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("busy_from", UTCDateTime(), nullable=False),
        sa.Column("busy_until", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interviewer_id"], ["users.id"], name=op.f("fk_bookings_interviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["interview_requests.id"],
            name=op.f("fk_bookings_request_id_interview_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_interviewer_id_start_at", ["interviewer_id", "start_at"], unique=False
        )
        batch_op.create_index("ix_bookings_request_id", ["request_id"], unique=False)

    op.create_table(
        "busy_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["calendar_sources.id"],
            name=op.f("fk_busy_times_source_id_calendar_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_busy_times")),
    )
    with op.batch_alter_table("busy_times", schema=None) as batch_op:
        batch_op.create_index(
            "ix_busy_times_source_id_start_at", ["source_id", "start_at"], unique=False
        )

    op.create_table(
        "interview_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["interview_requests.id"],
            name=op.f("fk_interview_links_request_id_interview_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_interview_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_interview_links_token_hash")),
    )
    with op.batch_alter_table("interview_links", schema=None) as batch_op:
        batch_op.create_index("ix_interview_links_request_id", ["request_id"], unique=False)

    op.create_table(
        "panel_members",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("pool", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["interview_requests.id"],
            name=op.f("fk_panel_members_request_id_interview_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_panel_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("request_id", "pool", "user_id", name=op.f("pk_panel_members")),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["interview_requests.id"],
            name=op.f("fk_reminders_request_id_interview_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "request_id", "recipient", "offset_minutes", "due_at", name="uq_reminders_once"
        ),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_request_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["interview_requests.id"],
            name=op.f("fk_request_events_request_id_interview_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index("ix_request_events_request_id", ["request_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )

    if op.get_bind().dialect.name == "postgresql":
        # The last guard against double booking (DESIGN.md §5): no two active bookings of one
        # interviewer may overlap, buffers included. int4range(id, id, '[]') lets plain GiST
        # compare the interviewer id, so no btree_gist extension (and no superuser) is needed.
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_no_overlap EXCLUDE USING gist ("
            "int4range(interviewer_id, interviewer_id, '[]') WITH &&, "
            "tstzrange(busy_from, busy_until, '[)') WITH &&) WHERE (active)"
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("timezone")

    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.drop_index("ix_request_events_request_id")

    op.drop_table("request_events")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_status_due_at")

    op.drop_table("reminders")
    op.drop_table("panel_members")
    with op.batch_alter_table("interview_links", schema=None) as batch_op:
        batch_op.drop_index("ix_interview_links_request_id")

    op.drop_table("interview_links")
    with op.batch_alter_table("busy_times", schema=None) as batch_op:
        batch_op.drop_index("ix_busy_times_source_id_start_at")

    op.drop_table("busy_times")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_request_id")
        batch_op.drop_index("ix_bookings_interviewer_id_start_at")

    op.drop_table("bookings")
    with op.batch_alter_table("weekly_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_weekly_hours_user_id")

    op.drop_table("weekly_hours")
    op.drop_table("interviewer_settings")
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_interview_requests_status_start_at")
        batch_op.drop_index("ix_interview_requests_recruiter_id")

    op.drop_table("interview_requests")
    with op.batch_alter_table("calendar_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_sources_user_id")

    op.drop_table("calendar_sources")
    op.drop_table("availability_overrides")
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_queue_status_next_attempt_at")

    op.drop_table("mail_queue")

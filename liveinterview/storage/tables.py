"""Table definitions (SQLAlchemy Core). Alembic migrations must match these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false

from liveinterview.storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deactivated_at", UTCDateTime, nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), primary_key=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Column("user_agent", String(300), nullable=False, default=""),
    Index("ix_staff_sessions_user_id", "user_id"),
)

action_tokens = Table(
    "action_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("purpose", String(20), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_action_tokens_user_id", "user_id"),
)

signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_signin_failures_email_at", "email", "at"),
    Index("ix_signin_failures_address_at", "address", "at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(60), nullable=False),
    Column("subject", String(200), nullable=False, default=""),
    Column("address", String(64), nullable=False, default=""),
    Column("details", JSON, nullable=False, default=dict),
    Index("ix_audit_events_at", "at"),
)

# --- outgoing email: written in the transaction, delivered after commit ------------------------

mail_queue = Table(
    "mail_queue",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message", LargeBinary, nullable=False),
    # A reminder or notification that must go out once carries a key; a second one is refused.
    Column("dedupe_key", String(120), nullable=True, unique=True),
    Column("status", String(10), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=False, default=""),
    Index("ix_mail_queue_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- interviewers' availability -----------------------------------------------------------

interviewer_settings = Table(
    "interviewer_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("buffer_before_minutes", Integer, nullable=False, default=0),
    Column("buffer_after_minutes", Integer, nullable=False, default=0),
    Column("max_per_day", Integer, nullable=True),
    Column("max_per_week", Integer, nullable=True),
    Column("min_notice_minutes", Integer, nullable=False, default=720),
    # The interviewer's own subscribable feed: token = HMAC(secret, salt), like interview links.
    Column("feed_token_hash", String(64), nullable=True, unique=True),
    Column("feed_salt", String(40), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

weekly_hours = Table(
    "weekly_hours",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday
    Column("start_minute", Integer, nullable=False),
    Column("end_minute", Integer, nullable=False),  # 1440 = midnight at the end of the day
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    CheckConstraint("start_minute >= 0 AND end_minute <= 1440", name="minutes"),
    CheckConstraint("start_minute < end_minute", name="order"),
    Index("ix_weekly_hours_user_id", "user_id"),
)

availability_overrides = Table(
    "availability_overrides",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("ranges", JSON, nullable=False),  # [[start_minute, end_minute], ...]; [] = day off
)

calendar_sources = Table(
    "calendar_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),  # feed | upload
    Column("label", String(200), nullable=False),
    Column("url", Text, nullable=True),
    Column("status", String(10), nullable=False),  # pending | ok | error
    Column("error", Text, nullable=False, default=""),
    Column("event_count", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    Column("next_fetch_at", UTCDateTime, nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    Index("ix_calendar_sources_user_id", "user_id"),
)

busy_times = Table(
    "busy_times",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "source_id",
        Integer,
        ForeignKey("calendar_sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Index("ix_busy_times_source_id_start_at", "source_id", "start_at"),
)

# --- interview requests and bookings ------------------------------------------------------

interview_requests = Table(
    "interview_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(80), nullable=False, unique=True),  # the calendar UID, never changes
    Column("recruiter_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("candidate_name", String(120), nullable=False),
    Column("candidate_email", String(254), nullable=False),
    Column("candidate_timezone", String(64), nullable=True),
    Column("position", String(200), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("step_minutes", Integer, nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    # The zone the recruiter picked the window's days in, to name those days to the candidate.
    Column("window_timezone", String(64), nullable=False, server_default="UTC"),
    Column("recorded", Boolean, nullable=False, default=True),
    Column("auto_admit", Boolean, nullable=False, server_default=sa_false(), default=False),
    Column("note", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("start_at", UTCDateTime, nullable=True),
    Column("end_at", UTCDateTime, nullable=True),
    Column("sequence", Integer, nullable=False, default=0),
    Column("reschedule_count", Integer, nullable=False, default=0),
    Column("room_ended_at", UTCDateTime, nullable=True),  # an interviewer ended the call
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_interview_requests_status_start_at", "status", "start_at"),
    Index("ix_interview_requests_recruiter_id", "recruiter_id"),
)

panel_members = Table(
    "panel_members",
    metadata,
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("pool", Integer, primary_key=True),  # -1 = required; 0, 1, ... = pool index
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("interviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    # The meeting widened by the interviewer's buffers; PostgreSQL excludes overlaps of these.
    Column("busy_from", UTCDateTime, nullable=False),
    Column("busy_until", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_bookings_interviewer_id_start_at", "interviewer_id", "start_at"),
    Index("ix_bookings_request_id", "request_id"),
)

interview_links = Table(
    "interview_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    # The token is HMAC(secret key, salt + what it opens), so emails sent later (reminders,
    # updates) can carry the same link again while the database alone never reveals it.
    Column("salt", String(40), nullable=False),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("purpose", String(10), nullable=False),  # book | manage | join
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),  # None: the candidate
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_interview_links_request_id", "request_id"),
)

request_events = Table(
    "request_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("actor", String(120), nullable=False),  # shown in the history: a name or "candidate"
    Column("kind", String(40), nullable=False),
    Column("details", JSON, nullable=False, default=dict),
    Index("ix_request_events_request_id", "request_id"),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("recipient", String(20), nullable=False),  # "candidate" or "user:<id>"
    Column("offset_minutes", Integer, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | sent | cancelled
    Column("sent_at", UTCDateTime, nullable=True),
    Index("ix_reminders_status_due_at", "status", "due_at"),
    UniqueConstraint(
        "request_id", "recipient", "offset_minutes", "due_at", name="uq_reminders_once"
    ),
)

# --- recordings -------------------------------------------------------------------------------

recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    # recording | stopped | processing | ready | failed | deleted
    Column("status", String(12), nullable=False),
    Column("directory", String(200), nullable=False),  # relative to the recordings root
    Column("started_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=True),
    Column("failure", Text, nullable=False, default=""),
    Column("review_file", String(200), nullable=True),
    Column("review_seconds", Integer, nullable=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_recordings_status_expires_at", "status", "expires_at"),
)

recording_consents = Table(
    "recording_consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("participant", String(40), nullable=False),  # "candidate" or "user:<id>"
    Column("name", String(120), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_recording_consents_request_id", "request_id"),
)

session_events = Table(
    "session_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("interview_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("participant", String(40), nullable=False),
    Column("name", String(120), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("interviewers_only", Boolean, nullable=False, default=False),  # notes, bookmarks
    Index("ix_session_events_request_id_at", "request_id", "at"),
)

compose_jobs = Table(
    "compose_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "recording_id",
        Integer,
        ForeignKey("recordings.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(10), nullable=False),  # pending | running | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("progress", Integer, nullable=False, default=0),  # per mille
    Column("error", Text, nullable=False, default=""),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_compose_jobs_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- one-way (asynchronous) interviews --------------------------------------------------------

question_sets = Table(
    "question_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

set_questions = Table(
    "set_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("set_id", Integer, ForeignKey("question_sets.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # order in the set; the practice question first
    Column("text", Text, nullable=False),
    Column("prep_seconds", Integer, nullable=False),
    Column("answer_seconds", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("practice", Boolean, nullable=False, default=False),
    Index("ix_set_questions_set_id", "set_id"),
)

oneway_interviews = Table(
    "oneway_interviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recruiter_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("set_id", Integer, ForeignKey("question_sets.id", ondelete="SET NULL"), nullable=True),
    Column("title", String(200), nullable=False),  # the set's title when it was sent
    Column("position", String(200), nullable=False),
    Column("candidate_name", String(120), nullable=False),
    Column("candidate_email", String(254), nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("state", String(12), nullable=False),  # invited | started | completed | ...
    # The candidate's link: token = HMAC(secret, salt + scope), only the hash is stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("salt", String(40), nullable=False),
    Column("consent_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=False),  # retention of the answers
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_oneway_interviews_position", "position"),
    Index("ix_oneway_interviews_state_deadline", "state", "deadline"),
)

oneway_questions = Table(
    "oneway_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "interview_id",
        Integer,
        ForeignKey("oneway_interviews.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("idx", Integer, nullable=False),  # 0, 1, ...; the practice question is -1
    Column("text", Text, nullable=False),
    Column("prep_seconds", Integer, nullable=False),
    Column("answer_seconds", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("practice", Boolean, nullable=False, default=False),
    UniqueConstraint("interview_id", "idx", name="uq_oneway_questions_interview_idx"),
)

oneway_takes = Table(
    "oneway_takes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "interview_id",
        Integer,
        ForeignKey("oneway_interviews.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("question_idx", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),  # 0 for practice
    Column("status", String(12), nullable=False),  # domain.oneway.TakeStatus
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("directory", String(200), nullable=False),  # relative to the recordings root
    Column("file", String(200), nullable=True),  # the playable answer, once merged
    Index("ix_oneway_takes_interview_id", "interview_id"),
)

oneway_ratings = Table(
    "oneway_ratings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("take_id", Integer, ForeignKey("oneway_takes.id", ondelete="CASCADE"), nullable=False),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    UniqueConstraint("take_id", "reviewer_id", name="uq_oneway_ratings_take_reviewer"),
)

oneway_verdicts = Table(
    "oneway_verdicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "interview_id",
        Integer,
        ForeignKey("oneway_interviews.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("recommendation", String(12), nullable=False),  # strong_yes | yes | no | strong_no
    Column("comment", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("interview_id", "reviewer_id", name="uq_oneway_verdicts_interview_reviewer"),
)

__all__ = [
    "action_tokens",
    "audit_events",
    "availability_overrides",
    "bookings",
    "busy_times",
    "calendar_sources",
    "compose_jobs",
    "interview_links",
    "interview_requests",
    "interviewer_settings",
    "mail_queue",
    "metadata",
    "oneway_interviews",
    "oneway_questions",
    "oneway_ratings",
    "oneway_takes",
    "oneway_verdicts",
    "panel_members",
    "question_sets",
    "recording_consents",
    "recordings",
    "reminders",
    "request_events",
    "session_events",
    "set_questions",
    "signin_failures",
    "staff_sessions",
    "user_roles",
    "users",
    "weekly_hours",
]

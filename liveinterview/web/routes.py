"""Every URL of the service, each with a name for url_for."""

from __future__ import annotations

from aiohttp import web

from liveinterview.domain.accounts import Permission
from liveinterview.paths import STATIC_DIR
from liveinterview.web.handlers import (
    answer,
    availability,
    candidate,
    feeds,
    health,
    home,
    interviews,
    oneway,
    recordings,
    room,
    signin,
    staff,
)
from liveinterview.web.session import staff_only

TOKEN = "{token:[A-Za-z0-9_-]+}"  # noqa: S105 - a URL pattern, not a secret


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", home.index, name="index")
    r.add_get("/healthz", health.healthz, name="healthz")
    r.add_static("/static/", STATIC_DIR, name="static", append_version=True)

    r.add_get("/signin", signin.signin_page, name="signin")
    r.add_post("/signin", signin.signin)
    r.add_post("/signout", signin.signout, name="signout")
    r.add_get("/forgot-password", signin.forgot_page, name="forgot_password")
    r.add_post("/forgot-password", signin.forgot)
    r.add_get(f"/reset-password/{TOKEN}", signin.reset_page, name="reset_password")
    r.add_post(f"/reset-password/{TOKEN}", signin.reset)
    r.add_get(f"/setup/{TOKEN}", staff.setup_page, name="setup")
    r.add_post(f"/setup/{TOKEN}", staff.setup)
    r.add_get(f"/invite/{TOKEN}", staff.accept_invite_page, name="accept_invite")
    r.add_post(f"/invite/{TOKEN}", staff.accept_invite)

    r.add_get("/dashboard", staff_only()(home.dashboard), name="dashboard")
    r.add_get("/account", staff_only()(signin.account_page), name="account")
    r.add_post("/account/password", staff_only()(signin.change_password), name="change_password")

    admin = staff_only(Permission.MANAGE_STAFF)
    r.add_get("/admin/staff", admin(staff.staff_page), name="staff")
    r.add_post("/admin/staff", admin(staff.invite))
    member = "/admin/staff/{user_id:[0-9]+}"
    r.add_post(f"{member}/deactivate", admin(staff.deactivate), name="staff_deactivate")
    r.add_post(f"{member}/reactivate", admin(staff.reactivate), name="staff_reactivate")
    r.add_post(f"{member}/resend", admin(staff.resend_invite), name="staff_resend")
    r.add_post(f"{member}/roles", admin(staff.set_roles), name="staff_roles")

    own = staff_only(Permission.CONDUCT_INTERVIEWS)
    r.add_get("/availability", own(availability.availability_page), name="availability")
    r.add_post("/availability", own(availability.save_availability))
    overrides = "/availability/overrides"
    r.add_post(overrides, own(availability.add_override), name="availability_overrides")
    r.add_post(
        overrides + "/{day:[0-9]{4}-[0-9]{2}-[0-9]{2}}/delete",
        own(availability.delete_override),
        name="availability_override_delete",
    )
    calendars = "/availability/calendars"
    r.add_get(calendars, own(availability.calendars_page), name="calendars")
    r.add_post(f"{calendars}/feed", own(availability.add_feed), name="calendar_feed")
    r.add_post(f"{calendars}/upload", own(availability.upload), name="calendar_upload")
    source = calendars + "/{source_id:[0-9]+}"
    r.add_post(f"{source}/refresh", own(availability.refresh), name="calendar_refresh")
    r.add_post(f"{source}/delete", own(availability.remove), name="calendar_delete")

    recruiter = staff_only(Permission.MANAGE_INTERVIEWS)
    r.add_get("/interviews", recruiter(interviews.listing), name="interviews")
    r.add_get("/interviews/new", recruiter(interviews.new_page), name="interview_new")
    r.add_post("/interviews/new", recruiter(interviews.create))
    one = "/interviews/{request_id:[0-9]+}"
    r.add_get(one, staff_only()(interviews.detail), name="interview")
    r.add_post(f"{one}/reschedule", recruiter(interviews.reschedule), name="interview_reschedule")
    r.add_post(f"{one}/cancel", recruiter(interviews.cancel), name="interview_cancel")
    r.add_post(f"{one}/resend", recruiter(interviews.resend), name="interview_resend")

    # Candidates have no account: the token in the link is the capability.
    r.add_get(f"/book/{TOKEN}", candidate.book_page, name="book")
    r.add_post(f"/book/{TOKEN}", candidate.book)
    r.add_get(f"/manage/{TOKEN}", candidate.manage_page, name="manage")
    r.add_post(f"/manage/{TOKEN}/reschedule", candidate.reschedule, name="manage_reschedule")
    r.add_post(f"/manage/{TOKEN}/cancel", candidate.cancel, name="manage_cancel")
    r.add_get(f"/manage/{TOKEN}/invite.ics", candidate.calendar_file, name="manage_ics")
    r.add_get(f"/join/{TOKEN}", room.join_page, name="join")
    r.add_get(f"/join/{TOKEN}/ws", room.room_socket, name="join_ws")
    r.add_get(f"{one}/join", staff_only()(room.staff_join), name="interview_join")

    interviewer = staff_only(Permission.CONDUCT_INTERVIEWS)
    r.add_get("/availability/feed", interviewer(feeds.feed_page), name="own_feed")
    r.add_post("/availability/feed", interviewer(feeds.create))
    r.add_post("/availability/feed/revoke", interviewer(feeds.revoke), name="own_feed_revoke")
    r.add_get(f"/feeds/{TOKEN}.ics", feeds.feed, name="feed")

    rec = f"{one}/recording"
    r.add_get(rec, staff_only()(recordings.review_page), name="recording")
    r.add_get(f"{rec}/status", staff_only()(recordings.status), name="recording_status")
    r.add_get(f"{rec}/files/{{name}}", staff_only()(recordings.file), name="recording_file")
    r.add_post(f"{rec}/delete", recruiter(recordings.delete), name="recording_delete")
    r.add_post(f"{rec}/share", recruiter(recordings.share), name="recording_share")
    r.add_post(
        f"{rec}/share/{{creator}}/revoke",
        recruiter(recordings.revoke_share),
        name="recording_share_revoke",
    )
    r.add_get(f"/shared/{TOKEN}", recordings.shared_page, name="shared_recording")
    r.add_get(f"/shared/{TOKEN}/video", recordings.shared_video, name="shared_video")

    # One-way interviews, the candidate's side: the link is the capability; answers arrive
    # only over the socket's WebRTC connection (there is no upload endpoint).
    r.add_get(f"/answer/{TOKEN}", answer.answer_page, name="answer")
    r.add_get(f"/answer/{TOKEN}/takes/{{take_id:[0-9]+}}", answer.take_video, name="answer_take")
    r.add_get(f"/answer/{TOKEN}/ws", answer.answer_socket, name="answer_ws")

    # One-way interviews, the recruiters' side (the candidate portal is /answer/{token}).
    r.add_get("/oneway", recruiter(oneway.dashboard), name="oneway")
    r.add_get("/oneway/sets", recruiter(oneway.sets_page), name="oneway_sets")
    r.add_post("/oneway/sets", recruiter(oneway.create_set))
    qset = "/oneway/sets/{set_id:[0-9]+}"
    r.add_get(qset, recruiter(oneway.set_page), name="oneway_set")
    r.add_post(qset, recruiter(oneway.rename_set))
    r.add_post(f"{qset}/archive", recruiter(oneway.archive_set), name="oneway_set_archive")
    r.add_post(f"{qset}/questions", recruiter(oneway.add_question), name="oneway_question_add")
    question = qset + "/questions/{question_id:[0-9]+}"
    r.add_post(question, recruiter(oneway.edit_question), name="oneway_question")
    r.add_post(f"{question}/move", recruiter(oneway.move_question), name="oneway_question_move")
    r.add_post(
        f"{question}/delete", recruiter(oneway.delete_question), name="oneway_question_delete"
    )
    r.add_get("/oneway/invite", recruiter(oneway.invite_page), name="oneway_invite")
    r.add_post("/oneway/invite", recruiter(oneway.invite))
    r.add_get("/oneway/positions/{position}", recruiter(oneway.position_page),
              name="oneway_position")  # fmt: skip
    answers = "/oneway/interviews/{interview_id:[0-9]+}"
    # Like recordings: any staff member may ask, and all but the allowed ones get a 404.
    r.add_get(answers, staff_only()(oneway.interview_page), name="oneway_interview")
    r.add_post(
        answers + "/answers/{take_id:[0-9]+}/rating", recruiter(oneway.rate), name="oneway_rate"
    )
    r.add_post(f"{answers}/recommendation", recruiter(oneway.recommend), name="oneway_recommend")
    r.add_post(f"{answers}/withdraw", recruiter(oneway.withdraw), name="oneway_withdraw")
    r.add_post(f"{answers}/delete", recruiter(oneway.delete), name="oneway_delete")
    r.add_get(
        "/oneway/takes/{take_id:[0-9]+}/video",
        staff_only()(oneway.take_video),
        name="oneway_take_video",
    )

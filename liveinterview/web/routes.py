"""Every URL of the service, each with a name for url_for."""

from __future__ import annotations

from aiohttp import web

from liveinterview.domain.accounts import Permission
from liveinterview.paths import STATIC_DIR
from liveinterview.web.handlers import health, home, signin, staff
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

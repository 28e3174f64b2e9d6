"""Absolute links for emails and the console, built from named routes."""

from __future__ import annotations

from aiohttp import web


class RouterLinks:
    """Implements services.links.Links and InterviewUrls with the router and base URL."""

    def __init__(self, router: web.UrlDispatcher, base_url: str) -> None:
        self.router = router
        self.base_url = base_url.rstrip("/")

    def _url(self, route: str, **parts: str) -> str:
        return self.base_url + str(self.router[route].url_for(**parts))

    def signin(self) -> str:
        return self._url("signin")

    def setup(self, token: str) -> str:
        return self._url("setup", token=token)

    def accept_invite(self, token: str) -> str:
        return self._url("accept_invite", token=token)

    def reset_password(self, token: str) -> str:
        return self._url("reset_password", token=token)

    def book(self, token: str) -> str:
        return self._url("book", token=token)

    def manage(self, token: str) -> str:
        return self._url("manage", token=token)

    def join(self, token: str) -> str:
        return self._url("join", token=token)

    def interview(self, request_id: int) -> str:
        return self._url("interview", request_id=str(request_id))

    def share(self, token: str) -> str:
        return self._url("shared_recording", token=token)

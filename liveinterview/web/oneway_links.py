"""Absolute links in one-way interview emails."""

from __future__ import annotations

from aiohttp import web


class OneWayLinks:
    """Implements services.oneway_mail.OneWayUrls with the router and the base URL."""

    def __init__(self, router: web.UrlDispatcher, base_url: str) -> None:
        self.router = router
        self.base_url = base_url.rstrip("/")

    def answer(self, token: str) -> str:
        # The candidate portal's route ("answer") belongs to the candidate side; its path is
        # fixed by docs/oneway.md, which is the fallback while that route is not registered.
        if "answer" in self.router.named_resources():
            return self._url("answer", token=token)
        return f"{self.base_url}/answer/{token}"

    def _url(self, route: str, **parts: str) -> str:
        return self.base_url + str(self.router[route].url_for(**parts))

    def oneway_interview(self, interview_id: int) -> str:
        return self._url("oneway_interview", interview_id=str(interview_id))

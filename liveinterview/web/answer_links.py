"""URLs the candidate's answer socket hands out (services.oneway_answers.AnswerUrls)."""

from __future__ import annotations

from aiohttp import web


class AnswerLinks:
    def __init__(self, router: web.UrlDispatcher, base_url: str) -> None:
        self.router = router
        self.base_url = base_url.rstrip("/")

    def take(self, token: str, take_id: int) -> str:
        """Relative: the candidate's page plays it from its own origin."""
        return str(self.router["answer_take"].url_for(token=token, take_id=str(take_id)))

    def review(self, interview_id: int) -> str | None:
        if "oneway_interview" not in self.router:
            return None
        path = self.router["oneway_interview"].url_for(interview_id=str(interview_id))
        return self.base_url + str(path)

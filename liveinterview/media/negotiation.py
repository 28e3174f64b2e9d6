"""Server-driven negotiation of one participant's peer connection, as a small state machine.

The server always offers; at most one offer is in flight. A change while an offer waits for
its answer is remembered (`dirty`) and offered right after the answer. A client that does not
answer within `answer_timeout` is not waited for forever: the next change supersedes the
unanswered offer with a fresh one (aiortc allows a new local offer in have-local-offer). A
late answer to a superseded offer is refused by the answer check when it no longer fits.
"""

from __future__ import annotations

import enum


class NegotiationState(enum.StrEnum):
    STABLE = "stable"  # no offer waiting for an answer
    OFFERED = "offered"  # an offer went out; its answer has not come
    CLOSED = "closed"


class NegotiationError(Exception):
    def __init__(self, action: str, expected: NegotiationState, actual: NegotiationState) -> None:
        super().__init__(f"cannot {action}: negotiation is {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class Negotiation:
    def __init__(self, *, answer_timeout: float) -> None:
        self.answer_timeout = answer_timeout
        self.state = NegotiationState.STABLE
        self.dirty = False
        self.offers = 0
        self.answers = 0
        self.superseded = 0
        self._offered_at = 0.0

    def should_offer(self, now: float) -> bool:
        """Something changed: whether to make an offer now (otherwise it is remembered)."""
        if self.state is NegotiationState.CLOSED:
            return False
        if self.state is NegotiationState.STABLE:
            return True
        if now - self._offered_at >= self.answer_timeout:
            self.superseded += 1
            return True
        self.dirty = True
        return False

    def offered(self, now: float) -> None:
        if self.state is NegotiationState.CLOSED:
            raise NegotiationError("offer", NegotiationState.STABLE, self.state)
        self.state = NegotiationState.OFFERED
        self.dirty = False
        self.offers += 1
        self._offered_at = now

    def answered(self) -> bool:
        """The answer was applied; returns whether changes are waiting for another offer."""
        if self.state is not NegotiationState.OFFERED:
            raise NegotiationError("take an answer", NegotiationState.OFFERED, self.state)
        self.state = NegotiationState.STABLE
        self.answers += 1
        return self.dirty

    def close(self) -> None:
        self.state = NegotiationState.CLOSED

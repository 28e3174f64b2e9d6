from __future__ import annotations

import pytest

from liveinterview.media.keyframes import KeyframeRequests
from liveinterview.media.negotiation import Negotiation, NegotiationError, NegotiationState

pytestmark = pytest.mark.media


def test_first_change_offers_at_once() -> None:
    negotiation = Negotiation(answer_timeout=10)
    assert negotiation.should_offer(now=0)
    negotiation.offered(now=0)
    assert negotiation.state is NegotiationState.OFFERED


def test_changes_during_an_offer_wait_for_its_answer_then_offer_again() -> None:
    negotiation = Negotiation(answer_timeout=10)
    negotiation.offered(now=0)
    assert not negotiation.should_offer(now=1)
    assert not negotiation.should_offer(now=2)
    assert negotiation.answered() is True  # the remembered change needs a new offer
    negotiation.offered(now=3)
    assert negotiation.answered() is False
    assert negotiation.state is NegotiationState.STABLE


def test_an_unanswered_offer_is_superseded_by_the_next_change_after_the_timeout() -> None:
    negotiation = Negotiation(answer_timeout=10)
    negotiation.offered(now=0)
    assert not negotiation.should_offer(now=9.9)
    assert negotiation.should_offer(now=10)
    negotiation.offered(now=10)
    assert (negotiation.offers, negotiation.superseded) == (2, 1)


def test_an_answer_without_an_offer_names_the_states() -> None:
    negotiation = Negotiation(answer_timeout=10)
    with pytest.raises(NegotiationError, match="negotiation is stable, expected offered"):
        negotiation.answered()


def test_a_closed_negotiation_never_offers() -> None:
    negotiation = Negotiation(answer_timeout=10)
    negotiation.close()
    assert not negotiation.should_offer(now=100)
    with pytest.raises(NegotiationError):
        negotiation.offered(now=100)


def test_keyframe_requests_are_limited_to_one_per_interval() -> None:
    requests = KeyframeRequests(min_interval=0.5, retry_interval=1.0)
    assert requests.delay(now=0) is None  # nothing wanted
    requests.want()
    assert requests.delay(now=0) == 0.0
    assert requests.sent(now=0) == 1.0  # repeat after this long if still wanted
    requests.want()
    assert requests.delay(now=0.2) == pytest.approx(0.3)
    assert requests.delay(now=0.6) == 0.0
    requests.keyframe_arrived()
    assert requests.delay(now=0.6) is None


def test_keyframe_retry_may_not_be_faster_than_the_limit() -> None:
    with pytest.raises(ValueError, match="retry_interval"):
        KeyframeRequests(min_interval=1.0, retry_interval=0.5)

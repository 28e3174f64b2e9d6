"""The answer socket's wire format: every client message validated, or refused precisely."""

from __future__ import annotations

import json

import pytest

from signaling import messages as wire
from signaling import oneway_messages as answers


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"type": "join", "consent": True}, answers.Join(type="join", consent=True)),
        (
            {"type": "join", "consent": True, "take_over": True},
            answers.Join(type="join", consent=True, take_over=True),
        ),
        ({"type": "take-start", "question": -1}, answers.TakeStart(type="take-start", question=-1)),
        ({"type": "take-start", "question": 3}, answers.TakeStart(type="take-start", question=3)),
        ({"type": "take-stop", "take": 7}, answers.TakeStop(type="take-stop", take=7)),
        ({"type": "keep", "take": 7}, answers.Keep(type="keep", take=7)),
        ({"type": "ping", "t": 2.5}, wire.Ping(type="ping", t=2.5)),
        ({"type": "answer", "sdp": "v=0\r\n" * 3}, wire.Answer(type="answer", sdp="v=0\r\n" * 3)),
    ],
)
def test_client_messages_decode_to_typed_messages(
    frame: dict[str, object], expected: object
) -> None:
    assert answers.decode(json.dumps(frame)) == expected


@pytest.mark.parametrize(
    ("frame", "code", "words"),
    [
        (b"{}", "binary_frame", "JSON text"),
        ("[1]", "bad_message", "JSON object"),
        ("{", "bad_json", "not valid JSON"),
        ('{"type": "chat", "text": "hi"}', "unknown_type", "'chat'"),
        ('{"type": "upload", "data": "AAAA"}', "unknown_type", "'upload'"),
        ('{"type": "join"}', "invalid", "join: consent"),
        ('{"type": "join", "consent": "yes"}', "invalid", "join: consent"),
        ('{"type": "take-start", "question": -2}', "invalid", "take-start: question"),
        ('{"type": "take-start", "question": 100}', "invalid", "take-start: question"),
        ('{"type": "take-start", "question": 1.5}', "invalid", "take-start: question"),
        ('{"type": "take-stop", "take": 0}', "invalid", "take-stop: take"),
        ('{"type": "keep", "take": "7"}', "invalid", "keep: take"),
        ('{"type": "keep", "take": 7, "also": 1}', "invalid", "keep: also"),
        ("x" * (wire.MAX_TEXT_FRAME + 1), "too_large", "limit"),
    ],
)
def test_bad_frames_are_refused_with_a_precise_reason(
    frame: str | bytes, code: str, words: str
) -> None:
    with pytest.raises(wire.ProtocolError) as refused:
        answers.decode(frame)
    assert refused.value.code == code
    assert words in refused.value.message

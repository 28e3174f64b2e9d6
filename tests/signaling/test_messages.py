"""The wire format, apart from any transport."""

from __future__ import annotations

import json

import pytest

from signaling import messages as wire


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ('{"type":"join","name":"Zoë","audio":false}', wire.Join(type="join", name="Zoë",
                                                                  audio=False)),
        ('{"type":"answer","sdp":"v=0\\r\\no=- 1 1 IN IP4 127.0.0.1"}',
         wire.Answer(type="answer", sdp="v=0\r\no=- 1 1 IN IP4 127.0.0.1")),
        ('{"type":"candidate","candidate":"","sdpMid":"0","sdpMLineIndex":0}',
         wire.Candidate(type="candidate", candidate="", sdpMid="0", sdpMLineIndex=0)),
        ('{"type":"media","audio":true,"video":false,"screen":true}',
         wire.MediaState(type="media", audio=True, video=False, screen=True)),
        ('{"type":"chat","text":"hello"}', wire.Chat(type="chat", text="hello")),
        ('{"type":"admit","participant":"candidate"}',
         wire.Admit(type="admit", participant="candidate")),
        ('{"type":"end"}', wire.End(type="end")),
        ('{"type":"leave"}', wire.Leave(type="leave")),
        ('{"type":"ping","t":123.5}', wire.Ping(type="ping", t=123.5)),
        ('{"type":"quality","level":"poor","rtt_ms":420}',
         wire.Quality(type="quality", level="poor", rtt_ms=420)),
    ],
)  # fmt: skip
def test_valid_client_messages_decode_to_typed_objects(
    frame: str, expected: wire.AnyClientMessage
) -> None:
    assert wire.decode(frame) == expected


@pytest.mark.parametrize(
    ("frame", "code", "message"),
    [
        (b"\x00\x01", "binary_frame", "Only JSON text frames are accepted."),
        ("x" * 70_000, "too_large", "Message is 70000 characters; the limit is 65536."),
        ("{not json", "bad_json", "Message is not valid JSON: Expecting property name"),
        ("[1, 2]", "bad_message", "Message must be a JSON object."),
        ('{"kind":"join"}', "bad_message", 'Message needs a "type" string.'),
        ('{"type":"hack"}', "unknown_type", "Unknown message type 'hack'."),
        ('{"type":"chat"}', "invalid", "chat: text: Field required."),
        ('{"type":"chat","text":""}', "invalid", "chat: text: String should have at least 1"),
        ('{"type":"chat","text":"hi","extra":1}', "invalid", "chat: extra: Extra inputs"),
        ('{"type":"media","audio":"yes","video":true}', "invalid", "media: audio: Input should"),
        ('{"type":"quality","level":"superb"}', "invalid", "quality: level: Input should be"),
        ('{"type":"candidate","candidate":"x","sdpMLineIndex":-1}', "invalid",
         "candidate: sdpMLineIndex: Input should be greater than or equal to 0"),
        ('{"type":"answer","sdp":"' + "x" * 70_000 + '"}', "too_large", "Message is"),
    ],
)  # fmt: skip
def test_bad_frames_are_refused_precisely(frame: str | bytes, code: str, message: str) -> None:
    with pytest.raises(wire.ProtocolError) as caught:
        wire.decode(frame)
    assert caught.value.code == code
    assert caught.value.message.startswith(message)


def test_server_messages_are_compact_json() -> None:
    text = wire.encode("pong", t=1.5)
    assert text == '{"type":"pong","t":1.5}'
    assert json.loads(wire.error("invalid", "no", in_reply_to="chat")) == {
        "type": "error",
        "code": "invalid",
        "message": "no",
        "in_reply_to": "chat",
    }

"""Checking a participant's SDP answer against our offer before aiortc applies it.

aiortc would refuse most bad answers too, but with messages like "list index out of range",
and sometimes half-way through applying them. Here every refusal is a `MediaError` saying what
is wrong and where, and nothing is applied unless the whole answer is usable.
"""

from __future__ import annotations

from aiortc.sdp import MediaDescription, SessionDescription

from signaling.ports import MediaError

# What an answer may say for each direction we offered (RFC 3264 section 6).
_ALLOWED = {
    "recvonly": {"sendonly", "inactive"},
    "sendonly": {"recvonly", "inactive"},
    "inactive": {"inactive"},
    "sendrecv": {"sendrecv", "sendonly", "recvonly", "inactive"},
}


def parse_sdp(sdp: str, what: str) -> SessionDescription:
    """Parse SDP text or raise MediaError (aiortc's parser raises anything, assert to KeyError)."""
    if not sdp.lstrip().startswith("v=0"):
        raise MediaError(f"The {what} is not SDP: it must start with v=0.")
    try:
        return SessionDescription.parse(sdp)
    except Exception as exc:  # a parser fed untrusted text: any failure means "not valid SDP"
        reason = str(exc) or type(exc).__name__
        raise MediaError(f"The {what} is not valid SDP ({reason}).") from None


def _label(index: int, media: MediaDescription) -> str:
    return f"media section {index} (mid {media.rtp.muxId!r}, {media.kind})"


def check_answer(offer_sdp: str, answer_sdp: str) -> SessionDescription:
    """The parsed answer if it fits the offer, else MediaError naming the first problem."""
    offer = SessionDescription.parse(offer_sdp)
    answer = parse_sdp(answer_sdp, "answer")
    if len(answer.media) != len(offer.media):
        raise MediaError(
            f"The answer has {len(answer.media)} media sections but the offer has "
            f"{len(offer.media)}; it may answer an older offer."
        )
    for index, (ours, theirs) in enumerate(zip(offer.media, answer.media, strict=True)):
        where = _label(index, ours)
        if (theirs.kind, theirs.rtp.muxId) != (ours.kind, ours.rtp.muxId):
            raise MediaError(
                f"The answer's {_label(index, theirs)} does not match the offer's {where}."
            )
        if not theirs.ice or not theirs.ice.usernameFragment or not theirs.ice.password:
            raise MediaError(f"The answer's {where} has no ICE username fragment or password.")
        if theirs.dtls is None or not theirs.dtls.fingerprints:
            raise MediaError(f"The answer's {where} has no DTLS fingerprint.")
        if theirs.dtls.role not in ("client", "server"):
            raise MediaError(f"The answer's {where} must say a=setup:active or a=setup:passive.")
        if not theirs.rtcp_mux:
            raise MediaError(f"The answer's {where} does not multiplex RTCP (a=rtcp-mux).")
        offered = ours.direction or "sendrecv"
        answered = theirs.direction or "sendrecv"
        if answered not in _ALLOWED[offered]:
            raise MediaError(
                f"The answer's {where} is {answered} where we offered {offered}; "
                "it may answer an older offer."
            )
        if answered != "inactive" and theirs.port != 0:
            _check_codecs(ours, theirs, where)
    return answer


def _check_codecs(ours: MediaDescription, theirs: MediaDescription, where: str) -> None:
    def media_codecs(media: MediaDescription) -> list[str]:
        return [
            f"{codec.mimeType.split('/')[-1]}/{codec.clockRate}"
            for codec in media.rtp.codecs
            if codec.name.lower() not in ("rtx", "red", "ulpfec", "flexfec-03")
        ]

    offered = media_codecs(ours)
    answered = media_codecs(theirs)
    if not {c.lower() for c in offered} & {c.lower() for c in answered}:
        raise MediaError(
            f"The answer's {where} accepts no codec we offered: we offered "
            f"{', '.join(offered) or 'none'}, it answered {', '.join(answered) or 'none'}."
        )

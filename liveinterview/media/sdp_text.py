"""Small edits and reads on SDP text, as pure functions (no aiortc).

The server's offer is produced by aiortc; before it goes to the browser it gets:
* `x-google-start-bitrate` on VP8, so Chrome starts sending at a sensible rate instead of
  ramping up from ~300 kbit/s over tens of seconds;
* the announced (public) address in place of the local one on host candidates, for a server
  behind 1:1 NAT (mediasoup's announcedIp, Janus' nat_1_1_mapping).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from urllib.parse import quote, unquote

_RTPMAP_VP8 = re.compile(r"^a=rtpmap:(\d+) VP8/90000$", re.IGNORECASE)


def _lines(sdp: str) -> list[str]:
    return sdp.replace("\r\n", "\n").split("\n")


def _join(lines: list[str]) -> str:
    text = "\r\n".join(lines)
    return text if text.endswith("\r\n") else text.rstrip("\r\n") + "\r\n"


def with_start_bitrate(sdp: str, kbps: int) -> str:
    """Add x-google-start-bitrate=`kbps` to every VP8 format of every video section."""
    lines = _lines(sdp)
    vp8_types: set[str] = set()
    for line in lines:
        match = _RTPMAP_VP8.match(line)
        if match:
            vp8_types.add(match.group(1))
    out: list[str] = []
    with_fmtp = {
        line.split()[0].removeprefix("a=fmtp:")
        for line in lines
        if line.startswith("a=fmtp:") and " " in line
    }
    for line in lines:
        if line.startswith("a=fmtp:") and " " in line:
            payload_type, params = line.removeprefix("a=fmtp:").split(" ", 1)
            if payload_type in vp8_types and "x-google-start-bitrate" not in params:
                line = f"a=fmtp:{payload_type} {params};x-google-start-bitrate={kbps}"
        out.append(line)
        match = _RTPMAP_VP8.match(line)
        if match and match.group(1) not in with_fmtp:
            out.append(f"a=fmtp:{match.group(1)} x-google-start-bitrate={kbps}")
    return _join(out)


def _connection_line(address: str) -> str:
    version = ipaddress.ip_address(address).version
    return f"c=IN IP{version} {address}"


def with_announced_address(sdp: str, announced: str, local: Collection[str] = ()) -> str:
    """Announce `announced` instead of the local address of host candidates.

    Only host candidates on one of `local` are rewritten (all host candidates if `local` is
    empty); server-reflexive and relay candidates already carry a public address.
    """
    replaced: set[str] = set()
    out = []
    for line in _lines(sdp):
        if line.startswith("a=candidate:"):
            fields = line.split(" ")
            if len(fields) >= 8 and fields[7] == "host" and (not local or fields[4] in local):
                replaced.add(fields[4])
                fields[4] = announced
                line = " ".join(fields)
        out.append(line)
    result = []
    for line in out:
        if line.startswith("c=IN IP") and line.split(" ")[-1] in replaced:
            line = _connection_line(announced)
        result.append(line)
    return _join(result)


def is_unreachable_candidate(candidate: str) -> bool:
    """TCP and mDNS (.local) candidates: a server's UDP ports cannot use them.

    Browsers send both routinely; resolving mDNS names would make the server send multicast
    queries (and wait up to a second for each), so they are skipped rather than refused.
    """
    fields = candidate.removeprefix("a=").removeprefix("candidate:").split()
    return len(fields) >= 5 and (fields[2].lower() != "udp" or fields[4].lower().endswith(".local"))


def without_unreachable_candidates(sdp: str) -> str:
    """The SDP without candidate lines `is_unreachable_candidate` skips."""
    lines = _lines(sdp)
    kept = [
        line
        for line in lines
        if not (line.startswith("a=candidate:") and is_unreachable_candidate(line))
    ]
    return sdp if len(kept) == len(lines) else _join(kept)


def candidate_addresses(sdp: str) -> list[str]:
    """The address of every candidate line, in order."""
    return [line.split(" ")[4] for line in _lines(sdp) if line.startswith("a=candidate:")]


def connection_addresses(sdp: str) -> list[str]:
    """The address of every `c=` line."""
    return [line.split(" ")[-1] for line in _lines(sdp) if line.startswith("c=IN IP")]


def msid_for(participant_id: str, source: str) -> tuple[str, str]:
    """The msid (stream id, track id) a send slot carries: the participant, quoted to a token."""
    stream = quote(participant_id, safe="")
    return stream, f"{source}-{stream}"


def msids(sdp: str) -> dict[str, tuple[str, str]]:
    """For each mid: the participant id and source its msid names (as `msid_for` wrote it)."""
    found: dict[str, tuple[str, str]] = {}
    mid: str | None = None
    for line in _lines(sdp):
        if line.startswith("m="):
            mid = None
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        elif line.startswith("a=msid:") and mid is not None:
            stream, _, track = line.removeprefix("a=msid:").partition(" ")
            source, _, quoted = track.partition("-")
            if quoted == stream:
                found[mid] = (unquote(stream), source)
    return found


def directions(sdp: str) -> dict[str, str]:
    """For each mid: its direction attribute (sendrecv when absent)."""
    found: dict[str, str] = {}
    mid: str | None = None
    direction = "sendrecv"
    for line in [*_lines(sdp), "m="]:
        if line.startswith("m="):
            if mid is not None:
                found[mid] = direction
            mid, direction = None, "sendrecv"
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            direction = line.removeprefix("a=")
    return found

"""ICE host-address policy: which local addresses the server gathers candidates on.

aioice (under aiortc) gathers host candidates on every address `aioice.ice.get_host_addresses`
finds, skipping loopback, and offers no per-connection setting. A server wants the opposite:
exactly the configured addresses (mediasoup's listenIps): 127.0.0.1 in tests, the public or
private interface in production. So, before aiortc gathers (at setLocalDescription), we gather
on our addresses through aioice's own `Connection.get_component_candidates` and mark
gathering as done; aiortc's later `gather_candidates()` call then has nothing left to do.

This is the one hook into aioice; tests/media/test_aiortc_pins.py pins it. With an announced
address (1:1 NAT) the offer's host candidates carry that address instead (see `sdp_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aioice import Connection
from aiortc import RTCPeerConnection
from aiortc.rtcdtlstransport import RTCDtlsTransport

from liveinterview.media import sdp_text
from liveinterview.media.receiver_tap import AiortcInternalsChanged

# aioice Connection internals gather_candidates() uses (aioice 0.10 to 0.13).
GATHER_STATE = ("_local_candidates_start", "_local_candidates", "_local_candidates_end")


def ice_connection(pc: RTCPeerConnection) -> Connection:
    """The aioice connection of a max-bundle peer connection (its first transceiver's)."""
    transceivers = pc.getTransceivers()
    if not transceivers:
        raise ValueError("the peer connection has no transceiver yet")
    return connection_of(transceivers[0].receiver.transport)


def connection_of(dtls: RTCDtlsTransport) -> Connection:
    """The aioice connection under a DTLS transport."""
    connection = vars(dtls.transport.iceGatherer).get("_connection")
    if not isinstance(connection, Connection):
        raise AiortcInternalsChanged("RTCIceGatherer._connection is not an aioice Connection")
    return connection


async def gather_on(connection: Connection, addresses: Sequence[str]) -> None:
    """Gather host (and, if configured, STUN/TURN) candidates on exactly `addresses`."""
    state: dict[str, Any] = vars(connection)
    missing = [name for name in (*GATHER_STATE, "_components") if name not in state]
    if missing:
        raise AiortcInternalsChanged(f"aioice's Connection has no {', '.join(missing)}")
    if state["_local_candidates_start"]:
        raise RuntimeError("candidates were already gathered on this connection")
    state["_local_candidates_start"] = True
    for component in sorted(state["_components"]):
        found = await connection.get_component_candidates(
            component=component, addresses=list(addresses)
        )
        state["_local_candidates"] += found
    state["_local_candidates_end"] = True
    if not state["_local_candidates"]:
        raise OSError(f"no ICE candidate could be gathered on {', '.join(addresses)}")


@dataclass(frozen=True)
class HostAddressPolicy:
    """Local addresses to gather on (empty: aioice's choice) and an optional public one."""

    addresses: tuple[str, ...] = ()
    announced: str | None = None

    async def gather(self, pc: RTCPeerConnection) -> None:
        """Call once transceivers exist and before the first setLocalDescription."""
        if self.addresses:
            await gather_on(ice_connection(pc), self.addresses)

    def rewrite(self, sdp: str) -> str:
        """The SDP as the browser should see it: announced address on host candidates."""
        if not self.announced:
            return sdp
        return sdp_text.with_announced_address(sdp, self.announced, self.addresses)

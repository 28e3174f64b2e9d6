"""WebRTC signaling: message codec, room hub and the WebSocket endpoint.

This package never imports `liveinterview`; the app plugs in through `signaling.ports`.
"""

"""The SFU media engine: packet forwarding with aiortc (see docs/media.md)."""

"""Absolute links that go into emails and the console; built by the web layer."""

from __future__ import annotations

from typing import Protocol


class Links(Protocol):
    def signin(self) -> str: ...

    def setup(self, token: str) -> str: ...

    def accept_invite(self, token: str) -> str: ...

    def reset_password(self, token: str) -> str: ...

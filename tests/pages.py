"""Talking to the app like a browser does: forms with their CSRF token."""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_token(client: TestClient, path: str = "/signin") -> str:  # type: ignore[type-arg]
    response = await client.get(path)
    body = await response.text()
    match = _TOKEN.search(body)
    assert match, f"no CSRF token on {path} (status {response.status})"
    return match.group(1)


async def submit(
    client: TestClient,  # type: ignore[type-arg]
    path: str,
    data: dict[str, Any] | list[tuple[str, str]],
    *,
    token_from: str | None = None,
    **kwargs: Any,
) -> ClientResponse:
    """POST a form the way the page would, without following the redirect."""
    token = await csrf_token(client, token_from or "/signin")
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    fields.append(("csrf_token", token))
    return await client.post(path, data=fields, allow_redirects=False, **kwargs)


def page_text(body: str) -> str:
    """Visible text of a page, whitespace collapsed, entities decoded."""
    no_tags = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(no_tags).split())

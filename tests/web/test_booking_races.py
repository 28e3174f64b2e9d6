"""No double booking, ever: many simultaneous bookings, exactly one wins, on both databases."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from liveinterview.storage.db import Database
from tests.mailbox import Mailbox
from tests.pages import csrf_token, page_text
from tests.scheduling import create_request, interviewer, link_in, slot_values
from tests.staff import signed_in_as

Client = TestClient  # type: ignore[type-arg]
SLOT = "2026-03-03T09:00:00+00:00"
OVERLAPPING = "2026-03-03T09:30:00+00:00"


async def booking_links(
    client: Client, mailbox: Mailbox, panels: list[dict[int, str]]
) -> list[str]:
    paths = []
    for index, panel in enumerate(panels):
        await create_request(client, email=f"candidate{index}@example.com", panel=panel)
        paths.append(link_in(mailbox.only(f"candidate{index}@example.com"), "book"))
    return paths


async def race(client: Client, paths_and_starts: list[tuple[str, str]]) -> list[int]:
    client.session.cookie_jar.clear()
    token = await csrf_token(client, paths_and_starts[0][0])

    async def book(path: str, start: str) -> int:
        response = await client.post(
            path,
            data={"start": start, "tz": "Europe/Berlin", "csrf_token": token},
            allow_redirects=False,
        )
        body = await response.text()
        if response.status == 409:
            assert "This time was just taken" in page_text(body)
            assert slot_values(body), "the losing page offers fresh slots"
            assert SLOT not in slot_values(body)
        return response.status

    return list(await asyncio.gather(*(book(p, s) for p, s in paths_and_starts)))


async def test_twenty_candidates_racing_for_one_interviewers_slot_one_wins(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    paths = await booking_links(client, mailbox, [{ivan.id: "required"}] * 20)
    starts = [SLOT if i % 2 == 0 else OVERLAPPING for i in range(20)]
    statuses = await race(client, list(zip(paths, starts, strict=True)))
    assert sorted(statuses) == [303] + [409] * 19
    confirmations = [
        m for m in mailbox.messages if str(m.message["Subject"]).startswith("Interview confirmed")
    ]
    assert len(confirmations) == 2  # the one candidate and Ivan


async def test_a_shared_panelist_cannot_be_booked_twice_across_requests(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    shared = await interviewer(client, db, "shared@example.com")
    others = [await interviewer(client, db, f"other{i}@example.com") for i in range(2)]
    panels = [{shared.id: "required", others[i % 2].id: "required"} for i in range(20)]
    paths = await booking_links(client, mailbox, panels)
    statuses = await race(
        client, [(p, OVERLAPPING if i % 3 else SLOT) for i, p in enumerate(paths)]
    )
    assert statuses.count(303) == 1
    assert statuses.count(409) == 19


async def test_the_same_candidate_submitting_twice_gets_one_booking(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    ivan = await interviewer(client, db, "ivan@example.com")
    (path,) = await booking_links(client, mailbox, [{ivan.id: "required"}])
    statuses = await race(client, [(path, SLOT)] * 5)
    assert statuses == [303] * 5  # a double click is not an error
    assert len(mailbox.to("candidate0@example.com")) == 2  # the link, one confirmation

"""The recruiters' one-way pages through HTTP: sets, invitations, dashboard, one candidate,
comparison, playback; bad input, foreign staff and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from liveinterview.app import create_app
from liveinterview.clock import ManualClock
from liveinterview.config import Settings
from liveinterview.domain.oneway import TakeStatus
from liveinterview.services.oneway import find_by_token
from liveinterview.storage import oneway as store
from liveinterview.storage.db import Database
from liveinterview.storage.tables import audit_events
from liveinterview.web.keys import SETTINGS
from tests.conftest import CHEAP_HASHER, DbTarget
from tests.mailbox import Mailbox
from tests.oneway_setup import (
    add_take,
    answer_path,
    in_days,
    invite,
    make_set,
    service,
    set_state,
)
from tests.pages import page_text, submit
from tests.signaling.fakes import FakeMedia
from tests.staff import make_staff, sign_in, signed_in_as

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
async def client(
    aiohttp_client: object, settings: Settings, clock: ManualClock, db_target: DbTarget
) -> Client:
    app = create_app(
        settings,
        clock=clock,
        password_hasher=CHEAP_HASHER,
        db_schema=db_target.schema,
        media_engine=FakeMedia(),
        run_background_jobs=False,
    )
    return await aiohttp_client(app)  # type: ignore[operator,no-any-return]


async def text_of(client: Client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    body = await response.text()
    assert response.status == status, page_text(body)
    return page_text(body)


async def post(client: Client, path: str, data: dict[str, str], token_from: str) -> tuple[int, str]:
    response = await submit(client, path, data, token_from=token_from)
    return response.status, (
        response.headers["Location"] if response.status == 303 else page_text(await response.text())
    )


async def test_a_recruiter_builds_a_question_set_through_the_pages(client: Client) -> None:
    await signed_in_as(client, "rita@example.com", "recruiter")
    assert "One-way" in await text_of(client, "/dashboard")
    assert "No question sets yet" in await text_of(client, "/oneway/sets")

    status, body = await post(client, "/oneway/sets", {"title": "   "}, "/oneway/sets")
    assert (status, "Give the question set a title." in body) == (400, True)

    status, location = await post(client, "/oneway/sets", {"title": "Screening"}, "/oneway/sets")
    assert status == 303
    set_path = location.split("?")[0]
    page = await text_of(client, location)
    assert "Question set created" in page
    assert "add at least one before inviting" in page

    add = f"{set_path}/questions"
    bad = {"text": "Why us?", "prep": "-5", "limit": "0", "attempts": "0"}
    status, body = await post(client, add, bad, set_path)
    assert status == 400
    assert "Use from 0 to 600 seconds." in body
    assert "Use from 15 to 600 seconds." in body
    assert "Allow from 1 to 5 attempts." in body
    status, body = await post(client, add, {**bad, "prep": "x", "limit": "", "attempts": "2"},
                              set_path)  # fmt: skip
    assert status == 400
    assert "Use from 15 to 600 seconds." in body

    for text in ("Why us?", "Tell us about a bug you fixed."):
        good = {"text": text, "prep": "20", "limit": "90", "attempts": "2"}
        assert (await post(client, add, good, set_path))[0] == 303
    practice = {"text": "Say hi", "prep": "0", "limit": "15", "attempts": "3", "practice": "yes"}
    assert (await post(client, add, practice, set_path))[0] == 303
    status, body = await post(client, add, practice, set_path)
    assert status == 400
    assert "practice question already" in body

    html = await (await client.get(set_path)).text()
    ids = re.findall(r'action="/oneway/sets/\d+/questions/(\d+)/move"', html)
    first, second = ids[0], ids[-1]
    status, _ = await post(
        client, f"{set_path}/questions/{second}/move", {"direction": "up"}, set_path
    )
    assert status == 303
    page = await text_of(client, set_path)
    assert page.index("Tell us about a bug") < page.index("Why us?")
    assert page.index("Practice question") < page.index("Tell us about a bug")
    status, body = await post(
        client, f"{set_path}/questions/{second}/move", {"direction": "sideways"}, set_path
    )
    assert status == 400
    assert "Move a question up or down." in body

    edit = {"text": "Why us, really?", "prep": "10", "limit": "700", "attempts": "1"}
    status, body = await post(client, f"{set_path}/questions/{first}", edit, set_path)
    assert status == 400
    assert "Use from 15 to 600 seconds." in body
    assert (await post(client, f"{set_path}/questions/{first}", {**edit, "limit": "60"},
                       set_path))[0] == 303  # fmt: skip
    assert "Why us, really?" in await text_of(client, set_path)

    assert (await post(client, f"{set_path}/questions/{first}/delete", {}, set_path))[0] == 303
    assert "Why us" not in await text_of(client, set_path)
    assert (await post(client, set_path, {"title": "Screening v2"}, set_path))[0] == 303
    assert (await post(client, f"{set_path}/archive", {"archived": "yes"}, set_path))[0] == 303
    listing = await text_of(client, "/oneway/sets")
    assert "Screening v2 archived" in listing
    assert "You have no question set with questions yet" in await text_of(client, "/oneway/invite")


async def test_invitations_report_bad_lines_and_send_working_links(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    empty = await make_set(client, rita, title="Empty", questions=0)
    set_id = await make_set(client, rita, title="Two questions")
    day, _ = in_days(client, 5)
    form = {
        "set_id": str(set_id),
        "position": "Data Engineer",
        "deadline_day": day.isoformat(),
        "deadline_time": "17:00",
        "timezone": "Europe/Berlin",
        "lines": (
            "Ada Lovelace, ada@example.com\nnobody\n"
            "Bad, bad@@example\nAlan Turing; alan@example.com"
        ),
    }
    page = await text_of(client, "/oneway/invite")
    assert "Two questions (2 questions)" in page
    assert "Empty" not in page

    status, body = await post(client, "/oneway/invite", {**form, "set_id": str(empty)},
                              "/oneway/invite")  # fmt: skip
    assert status == 400
    assert "This question set has no questions yet" in body

    status, body = await post(
        client,
        "/oneway/invite",
        {**form, "position": "", "deadline_day": "2020-01-01", "lines": "", "set_id": ""},
        "/oneway/invite",
    )
    assert status == 400
    for problem in (
        "Enter the position.",
        "The deadline must be in the future",
        "Choose a question set.",
        "Paste at least one line",
    ):
        assert problem in body

    status, body = await post(client, "/oneway/invite", form, "/oneway/invite")
    assert status == 200
    assert "2 invitations sent, 2 lines not sent" in body
    assert "Line 2 (“nobody”): Write the name, a comma, then the email address." in body
    assert "Line 3 (“Bad, bad@@example”): Enter a valid email address" in body
    assert "Line 1: Ada Lovelace <ada@example.com>" in body
    html = await (await submit(client, "/oneway/invite", {**form, "lines": "nobody"},
                               token_from="/oneway/invite")).text()  # fmt: skip
    assert "No invitation was sent: every line has a problem." in page_text(html)
    assert ">nobody</textarea>" in html  # the bad line stays, to be corrected

    message = mailbox.only("ada@example.com")
    assert "deadline" in message.text.lower()
    assert "(Europe/Berlin" in message.text
    assert "(UTC)" in message.text
    path = answer_path(message)
    assert path.startswith("/answer/")
    async with db.read() as conn:
        found = await find_by_token(conn, path.removeprefix("/answer/"))
    assert found is not None
    assert found.candidate_email == "ada@example.com"
    assert (await client.get(path)).status == 200  # the candidate's portal opens
    assert found.position == "Data Engineer"
    assert found.title == "Two questions"
    assert message.html.count(path) >= 1


async def test_the_dashboard_filters_searches_and_links_positions(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    await invite(client, rita, set_id, "Ada Lovelace, ada@example.com", position="Analyst")
    done = await invite(client, rita, set_id, "Alan Turing, alan@example.com", position="Crypto")
    await set_state(db, done.sent[0].interview_id, "completed", completed_at=clock.now())
    page = await text_of(client, "/oneway")
    assert "Ada Lovelace" in page
    assert "Alan Turing" in page
    assert "Invited 1" in page
    assert "Completed 1" in page
    completed = await text_of(client, "/oneway?state=completed")
    assert "Alan Turing" in completed
    assert "Ada Lovelace" not in completed
    found = await text_of(client, "/oneway?q=analy")
    assert "Ada Lovelace" in found
    assert "Alan Turing" not in found
    assert "Unknown state 'lost'" in await text_of(client, "/oneway?state=lost", 400)
    assert "Analyst (1 candidate)" in page


async def test_a_reviewer_watches_rates_and_recommends_on_the_candidates_page(
    client: Client, db: Database, clock: ManualClock
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    first = await add_take(client, db, interview_id, 0, attempt=2, duration_ms=58_400)
    await add_take(client, db, interview_id, 0, attempt=1, status=TakeStatus.NOT_KEPT)
    await set_state(db, interview_id, "started")
    path = f"/oneway/interviews/{interview_id}"
    page = await text_of(client, path)
    assert "Duration 58.4 s · attempt 2" in page
    assert "2 attempts allowed · 2 used" in page
    assert "No answer kept yet." in page
    html = await (await client.get(path)).text()
    assert f'src="/oneway/takes/{first}/video"' in html

    rate = f"{path}/answers/{first}/rating"
    status, body = await post(client, rate, {"rating": "9", "comment": ""}, path)
    assert status == 400
    assert "Rate the answer from 1 to 5." in body
    status, body = await post(client, rate, {"rating": "4", "comment": "Clear."}, path)
    assert status == 303
    page = await text_of(client, f"{path}?notice=rated")
    assert "Your rating is saved." in page
    assert "Update rating" in page

    verdict = f"{path}/recommendation"
    status, body = await post(client, verdict, {"recommendation": "perhaps", "comment": ""}, path)
    assert status == 400
    assert "Choose a recommendation" in body
    status, _ = await post(client, verdict, {"recommendation": "strong_yes", "comment": "Hire"},
                           path)  # fmt: skip
    assert status == 303
    html = await (await client.get(path)).text()
    assert 'value="strong_yes" checked' in html

    await make_staff(client, "boss@example.com", "admin", name="Boss")
    await sign_in(client, "boss@example.com")
    status, _ = await post(client, rate, {"rating": "2", "comment": "Too long."}, path)
    assert status == 303
    page = await text_of(client, path)
    assert "Rita: 4/5 — Clear." in page
    assert "Rita: Strong yes — Hire" in page

    compare = await text_of(client, "/oneway/positions/Backend%20Engineer")
    assert "Zoë Müller" in compare
    assert "3.0" in compare
    assert "Strong yes × 1" in compare
    by_name = await text_of(client, "/oneway/positions/Backend%20Engineer?sort=name&order=asc")
    assert "Candidate ↑" in by_name
    assert "Sort by one of" in await text_of(
        client, "/oneway/positions/Backend%20Engineer?sort=shoe", 400
    )
    assert "no one-way interviews" in await text_of(client, "/oneway/positions/Astronaut", 404)


async def test_playback_answers_range_requests_and_is_audited(client: Client, db: Database) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    take = await add_take(client, db, interview_id, 1)
    url = f"/oneway/takes/{take}/video"
    whole = await client.get(url)
    data = await whole.read()
    assert whole.status == 200
    assert whole.headers["Content-Type"] == "video/webm"
    assert data[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a real WebM
    assert 'filename="oneway-1-question-2-attempt-1.webm"' in whole.headers["Content-Disposition"]
    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status == 206
    assert await part.read() == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    await client.get(url, headers={"Range": "bytes=0-"})
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(audit_events.c.action, audit_events.c.actor_id, audit_events.c.details)
                .where(audit_events.c.action.like("oneway.answer%"))
                .order_by(audit_events.c.id)
            )
        ).all()
    # The seek (bytes=10-19) is not counted; the download and the player's first fetch are.
    assert [(r[0], r[1]) for r in rows] == [
        ("oneway.answer_downloaded", rita.id),
        ("oneway.answer_streamed", rita.id),
    ]
    assert rows[0][2] == {"take": take, "file": f"oneway-{interview_id}/q1-a1/answer.webm"}

    no_file = await add_take(client, db, interview_id, 0, with_file=False)
    assert "has no video" in await text_of(client, f"/oneway/takes/{no_file}/video", 404)
    (client.app[SETTINGS].recordings_root / f"oneway-{interview_id}/q1-a1/answer.webm").unlink()
    assert "no longer on the server" in await text_of(client, url, 410)


async def test_other_staff_get_not_found_and_interviewers_no_access(
    client: Client, db: Database
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    take = await add_take(client, db, interview_id, 0)
    await signed_in_as(client, "otto@example.com", "recruiter")
    for path in (
        f"/oneway/interviews/{interview_id}",
        f"/oneway/takes/{take}/video",
        f"/oneway/sets/{set_id}",
        "/oneway/positions/Backend%20Engineer",
    ):
        assert (await client.get(path)).status == 404, path
    status, _ = await post(client, f"/oneway/interviews/{interview_id}/withdraw", {}, "/oneway")
    assert status == 404
    status, _ = await post(
        client,
        f"/oneway/interviews/{interview_id}/answers/{take}/rating",
        {"rating": "1", "comment": ""},
        "/oneway",
    )
    assert status == 404
    assert "Zoë" not in await text_of(client, "/oneway")
    await signed_in_as(client, "ivan@example.com", "interviewer")
    assert (await client.get("/oneway")).status == 403
    assert (await client.get(f"/oneway/interviews/{interview_id}")).status == 404
    assert (await client.get(f"/oneway/takes/{take}/video")).status == 404
    assert "One-way" not in await text_of(client, "/dashboard")


async def test_posts_without_the_csrf_token_are_refused(client: Client) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    for path, data in (
        ("/oneway/sets", {"title": "Sneaky"}),
        (f"/oneway/sets/{set_id}/archive", {"archived": "yes"}),
        ("/oneway/invite", {"set_id": str(set_id), "lines": "A, a@example.com"}),
    ):
        response = await client.post(path, data=data, allow_redirects=False)
        assert response.status == 403, path
    sets = await text_of(client, "/oneway/sets")
    assert "Sneaky" not in sets
    assert "archived" not in sets


async def test_withdraw_and_delete_through_the_page(
    client: Client, db: Database, mailbox: Mailbox
) -> None:
    rita = await signed_in_as(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita)
    interview_id = (await invite(client, rita, set_id)).sent[0].interview_id
    path = f"/oneway/interviews/{interview_id}"
    status, location = await post(client, f"{path}/withdraw", {}, path)
    assert status == 303
    assert location.endswith("notice=withdrawn")
    page = await text_of(client, location)
    assert "The interview is withdrawn" in page
    assert "Withdrawn" in page
    assert "Withdraw interview" not in page
    assert "withdrawn" in mailbox.to("zoe@example.com")[-1].text
    status, body = await post(client, f"{path}/withdraw", {}, path)
    assert status == 409
    assert "only open interviews can be withdrawn" in body

    take = await add_take(client, db, interview_id, 0)
    status, body = await post(client, f"{path}/delete", {}, path)
    assert status == 400
    assert "Tick the box" in body
    status, location = await post(client, f"{path}/delete", {"confirm": "yes"}, path)
    assert status == 303
    assert location == "/oneway?notice=deleted"
    assert "were deleted" in await text_of(client, location)
    assert (await client.get(path)).status == 404
    assert (await client.get(f"/oneway/takes/{take}/video")).status == 404
    assert not (client.app[SETTINGS].recordings_root / f"oneway-{interview_id}/q0-a1").exists()
    async with db.read() as conn:
        assert await store.get_interview(conn, interview_id) is None


async def test_deadline_reminders_are_described_in_days(
    client: Client, mailbox: Mailbox, clock: ManualClock
) -> None:
    rita = await make_staff(client, "rita@example.com", "recruiter")
    set_id = await make_set(client, rita, practice=True)
    result = await invite(client, rita, set_id, days=10)
    clock.advance(timedelta(days=8, hours=9))  # 47 h before 17:00 on day 10
    assert await service(client).send_due_reminders() == 1
    reminder = mailbox.to("zoe@example.com")[-1]
    assert "You have not started yet: 2 questions are waiting for you." in reminder.text
    assert result.sent[0].interview_id == 1

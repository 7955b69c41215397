"""Downloads that carry personal data are kept in no cache: the transcript and the interview's .ics."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import book_via_client, csrf_of
from webapp.models import Booking


def test_transcript_and_ics_downloads_are_no_store(client: FlaskClient, session: Session, sign_in: Any,
                                                   setup_booking: Any) -> None:
    s = setup_booking()
    booked = book_via_client(client, s["study"], s["token"])
    token = re.search(r"/i/([A-Za-z0-9_-]+)$", booked.headers["Location"]).group(1)  # type: ignore[union-attr]
    ics = client.get(f"/i/{token}/interview.ics")
    assert ics.status_code == 200
    assert ics.headers["Cache-Control"] == "no-store"
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    sign_in(s["interviewer"])
    url = f"/studies/{s['study'].slug}/schedule/interviews/{booking.id}"
    csrf = csrf_of(client.get(url).text)
    import io

    client.post(f"{url}/transcript", content_type="multipart/form-data",
                data={"csrf_token": csrf, "transcript": (io.BytesIO(b"Q: hello"), "t.txt")})
    download = client.get(f"{url}/transcript")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"

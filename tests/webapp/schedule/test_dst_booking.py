"""A participant in Europe/Berlin or America/Los_Angeles books Tokyo slots across their DST switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest
from flask.testing import FlaskClient

from tests.webapp.schedule.conftest import csrf_of
from webapp.schedule.routes import participant as participant_views

CASES = [
    # zone, "now" a few days before the switch, a day before and after it, wall times seen there
    ("Europe/Berlin", datetime(2027, 3, 24, 0, 0, tzinfo=UTC), "2027-03-27", "2027-03-29", "09:00", "10:00"),
    ("America/Los_Angeles", datetime(2027, 3, 10, 0, 0, tzinfo=UTC), "2027-03-12", "2027-03-15", "00:00", "01:00"),
]


@pytest.mark.parametrize(("zone", "now", "before", "after", "time_before", "time_after"), CASES)
def test_booking_across_the_switch_shows_and_stores_the_right_times(
    client: FlaskClient,
    setup_booking: Any,
    monkeypatch: pytest.MonkeyPatch,
    zone: str,
    now: datetime,
    before: str,
    after: str,
    time_before: str,
    time_after: str,
) -> None:
    monkeypatch.setattr(participant_views, "utcnow", lambda: now)
    s = setup_booking(language="vi", interviewer={"hours": (17, 18), "languages": ("vi",)}, itype={"horizon_days": 10})
    url = f"/s/{s['study'].slug}/p/{s['token']}/interview?tz={zone}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.text
    # The page shows one day's times; the other days are links (?day=): read them all.
    every = html + "".join(client.get(f"{url}&day={d}").text for d in re.findall(r"day=([\d-]{10})#times", html))
    # every slot is 17:00 in Tokyo = 08:00 UTC, whatever the participant's offset
    values = re.findall(r'name="slot" value="([^"]+)"', every)
    assert values
    assert all(v.endswith("T0800Z") for v in values)
    labels = re.findall(r'value="(\d{8})T0800Z"[^>]*>\s*<span>([^<]+)<', every)
    shown = {f"{d[:4]}-{d[4:6]}-{d[6:]}": t for d, t in labels}
    assert shown[before].strip() == time_before  # Vietnamese writes 24-hour times
    assert shown[after].strip() == time_after
    slot = after.replace("-", "") + "T0800Z"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_of(html),
            "slot": slot,
            "tz": zone,
            "mode": "video",
            "channel": "email",
            "email": "p@example.org",
        },
    )
    assert response.status_code == 302, response.text[:1000]
    token = response.headers["Location"].rsplit("/", 1)[1]
    manage = client.get(f"/i/{token}")
    assert "17:00 (Giờ Nhật Bản)" in manage.text
    assert f"{time_after} (" in manage.text
    ics = icalendar.Calendar.from_ical(client.get(f"/i/{token}/interview.ics").data)
    assert ics.walk("VEVENT")[0].decoded("DTSTART") == datetime.strptime(slot, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)

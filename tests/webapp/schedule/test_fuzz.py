"""No input makes a scheduling page fail: random form and query values give 2xx, 3xx or 4xx, never 500."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webapp.schedule.conftest import book_via_client, csrf_of

TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "20270329T0800Z", "99991231T2359Z", "Asia/Tokyo",
                                                        "../../etc/passwd", "video", "email", "phone", "line"]))
FIELDS = st.dictionaries(st.sampled_from(["slot", "tz", "mode", "channel", "email", "phone", "messaging_app",
                                          "messaging_id"]), TEXT, max_size=8)
QUERY = st.dictionaries(st.sampled_from(["tz", "week", "type", "change", "cancel"]), TEXT, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=FIELDS, query=QUERY)
def test_participant_pages_never_fail(client: FlaskClient, setup_booking: Any, fields: dict[str, str],
                                      query: dict[str, str]) -> None:
    s = setup_booking()
    url = f"/s/{s['study'].slug}/p/{s['token']}/interview"
    page = client.get(url, query_string=query)
    assert page.status_code < 500
    response = client.post(url, query_string=query, data={"csrf_token": csrf_of(client.get(url).text), **fields})
    assert response.status_code < 500, response.text[:500]
    if response.status_code == 302 and "/i/" in response.headers["Location"]:
        token = response.headers["Location"].rsplit("/", 1)[1]
        assert client.get(f"/i/{token}", query_string=query).status_code < 500
        manage = client.get(f"/i/{token}?change=1&cancel=1").text
        moved = client.post(f"/i/{token}/reschedule", query_string=query,
                            data={"csrf_token": csrf_of(manage), **fields})
        assert moved.status_code < 500


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=FIELDS, query=QUERY)
def test_manage_pages_never_fail(client: FlaskClient, setup_booking: Any, fields: dict[str, str],
                                 query: dict[str, str]) -> None:
    s = setup_booking()
    response = book_via_client(client, s["study"], s["token"])
    token = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/i/{token}", query_string={**query, "change": "1"})
    assert page.status_code < 500
    csrf = csrf_of(client.get(f"/i/{token}?change=1").text)
    moved = client.post(f"/i/{token}/reschedule", query_string=query, data={"csrf_token": csrf, **fields})
    assert moved.status_code < 500
    assert client.get(f"/i/{token}/interview.ics").status_code == 200

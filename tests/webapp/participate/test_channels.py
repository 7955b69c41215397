"""Researchers' recruitment channels: create, list with links, QR codes as PNG and SVG."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.participate.journey import end_request_session
from webapp.models import Channel


def _csrf(client: FlaskClient, path: str) -> str:
    import re

    body = client.get(path).get_data(as_text=True)
    end_request_session()
    found = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert found
    return found.group(1)


def test_owner_creates_a_channel_and_downloads_its_qr_codes(
    client: FlaskClient, session: Session, bundled_study: Any, make_user: Any, sign_in: Any
) -> None:
    owner = make_user(study=bundled_study, role="owner")
    sign_in(owner)
    path = f"/studies/{bundled_study.slug}/channels"
    r = client.post(
        path, data={"csrf_token": _csrf(client, path), "code": "kumiai-north", "label": "Kumiai North"}
    )
    end_request_session()
    assert r.status_code == 303
    assert session.exec(select(Channel).where(Channel.code == "kumiai-north")).one().label == "Kumiai North"
    page = client.get(path).get_data(as_text=True)
    end_request_session()
    assert "/s/sme-careers?c=kumiai-north" in page
    png = client.get(f"{path}/kumiai-north.png")
    svg = client.get(f"{path}/kumiai-north.svg")
    end_request_session()
    assert png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    again = client.post(path, data={"csrf_token": _csrf(client, path), "code": "kumiai-north", "label": "x"})
    end_request_session()
    assert again.status_code == 422
    bad = client.post(path, data={"csrf_token": _csrf(client, path), "code": "Bad Code!", "label": "x"})
    end_request_session()
    assert bad.status_code == 422


def test_channels_need_the_manage_permission(
    client: FlaskClient, bundled_study: Any, make_user: Any, sign_in: Any
) -> None:
    path = f"/studies/{bundled_study.slug}/channels"
    assert client.get(path).status_code in (302, 401)
    end_request_session()
    sign_in(make_user(study=bundled_study, role="researcher"))
    assert client.get(path).status_code == 403
    end_request_session()

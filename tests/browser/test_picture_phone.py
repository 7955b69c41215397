"""A phone photo on an ODK form's picture question (max-pixels=1024): with JavaScript the phone sends it
already small and upright (picture.js, strict CSP), and what is stored has no EXIF; with JavaScript off the
original is sent and the server makes it just as small and clean."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from tests.browser.conftest import Served
from tests.browser.test_geolocation import _xlsform_intake
from tests.browser.test_participant_phone import _put, _start, _state
from tests.webapp.participate.journey import fill
from tests.webapp.participate.test_uploads import phone_photo
from tests.webapp.participate.test_xlsform_flow import GEO
from webapp.forms import pages

pytestmark = pytest.mark.browser


def _to_photo_page(page: Any, served: Served) -> str:
    code = _start(page, served, "ti")
    for _ in range(10):
        if page.locator("#f-photo").count():
            return code
        instrument, answers, _ = _state(served, code)
        group = pages.find_page(instrument, page.url.split("?")[0].split("/form/")[1])
        assert group is not None
        _put(page, fill(instrument, group, answers, overrides=GEO))
        page.click(".nav button[value='next']")
    raise AssertionError("no page asks for the photo")


def _stored_photo(served: Served, code: str) -> bytes:
    from flask import g

    from webapp.db import db_session
    from webapp.models import Upload
    from webapp.services import uploads

    _, answers, _ = _state(served, code)
    with served.app.app_context():
        upload = db_session().exec(select(Upload).where(Upload.key == answers["photo"])).one()
        data = uploads.read(upload)
        g.pop("db_session").close()
    return data


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_phone_photo_is_sent_small_and_stored_without_its_place(served: Served, phone: Any, tmp_path: Path,
                                                                  javascript: bool) -> None:
    _xlsform_intake(served)
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(phone_photo((3000, 2000), orientation=6))
    page = phone(javascript=javascript).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    posted: list[int] = []  # the size of each page sent (its Content-Length: the upload's body)
    page.on("request", lambda r: posted.append(int(r.all_headers().get("content-length", 0)))
            if r.method == "POST" else None)
    code = _to_photo_page(page, served)
    assert page.locator("#f-photo").get_attribute("data-max-pixels") == "1024"
    page.set_input_files("#f-photo", str(photo))
    if javascript:  # picture.js puts the smaller picture in place of the original
        for _ in range(100):
            if page.locator("#f-photo").evaluate("e => e.files[0].size") < 1_000_000:
                break
            page.wait_for_timeout(100)
    posted.clear()
    page.click(".nav button[value='save']")
    assert posted, "the page was not sent"
    sent = max(posted)
    if javascript:
        assert sent < 600_000  # the upload itself: a few hundred kB instead of the photo's MBs
    else:
        assert sent > photo.stat().st_size
    stored = Image.open(io.BytesIO(_stored_photo(served, code)))
    assert stored.size == (683, 1024)  # upright (the photo was stored sideways with orientation 6) and bounded
    assert not stored.getexif()
    assert "File received: IMG_2041" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e]

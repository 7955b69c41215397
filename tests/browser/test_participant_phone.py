"""A participant on a phone: Vietnamese TI with three jobs (reload, resume on another phone, submit),
a Japanese manager with an era date, and the TI's journey again with JavaScript off."""

from __future__ import annotations

import base64
import os
import shutil
from typing import Any

import pytest
from flask import g
from sqlmodel import select

from instruments import engine
from instruments.model import Instrument
from tests.browser.conftest import ROOT, SHOTS, Served, shot
from tests.webapp.participate.journey import fill
from webapp.forms import pages
from webapp.models import Draft, Participant, Response
from webapp.services.studies import current_version, instrument_of

pytestmark = pytest.mark.browser
STUDY = "sme-careers"


def _state(served: Served, code: str) -> tuple[Instrument, dict[str, Any], Participant]:
    from webapp.db import db_session

    with served.app.app_context():
        session = db_session()
        person = session.exec(select(Participant).where(Participant.code == code)).one()
        draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).first()
        instrument_id = draft.instrument_id if draft else "ti_intake"
        version = current_version(session=session, study_id=person.study_id, instrument_id=instrument_id)
        answers = dict(draft.answers) if draft else {}
        g.pop("db_session").close()
    return instrument_of(version), answers, person


# A 1×1 PNG (signature, IHDR, IDAT, IEND): what an upload question takes as a picture.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _put(page: Any, data: dict[str, Any]) -> None:
    """Answer the visible questions like a person would: tap options, type text."""
    for name, value in data.items():
        wrapper = page.locator(f"#w-{name}")
        if wrapper.count() == 0 or not wrapper.is_visible():
            continue
        field = page.locator(f"[name='{name}']").first
        kind = field.get_attribute("type") or field.evaluate("e => e.tagName.toLowerCase()")
        if kind == "select":
            field.select_option(str(value))
        elif kind == "radio":
            page.locator(f"input[name='{name}'][value='{value}']").check()
        elif kind == "checkbox":
            for item in value if isinstance(value, list) else ["yes"]:
                page.locator(f"input[name='{name}'][value='{item}']").check()
        elif kind == "file":  # a small real picture, as a phone's camera would send one
            field.set_input_files(files=[{"name": "photo.png", "mimeType": "image/png", "buffer": PNG}])
        else:
            field.fill(str(value))


def _start(page: Any, served: Served, participant_type: str) -> str:
    page.goto(f"{served.url}/s/{STUDY}")
    page.click(f"a[href$='/s/{STUDY}/screening']")
    answers = {"participant_type": participant_type, "adult": "yes", "in_japan": "yes", "sme": "yes"}
    for _ in range(3):
        _put(page, answers)
        page.click("form button")
        if "/screening" not in page.url:
            break
    page.check("input[name='consent']")
    page.check("input[name='withdrawal_data'][value='keep']")
    page.click("form.consent button")
    assert "/form/" in page.url
    return str(page.locator(".keep dd.code").first.inner_text())


def _entries(
    page: Any, served: Served, code: str, page_name: str, repeat: str, count: int, overrides: dict[str, Any]
) -> None:
    instrument, answers, _ = _state(served, code)
    group = pages.find_page(instrument, page_name)
    assert group is not None
    repeat_group = next(r for r in pages.repeats(group) if r.name == repeat)
    while len(answers.get(repeat, [])) < count:
        n = len(answers.get(repeat, []))
        _put(page, fill(instrument, group, answers, overrides=overrides))
        page.click(f"button[value='add:{repeat}']")
        assert f"/entry/{n + 1}" in page.url
        for _ in range(12):  # a long entry comes in parts; questions appear without JavaScript
            instrument, answers, _ = _state(served, code)
            _put(page, fill(instrument, repeat_group, answers, entry=(repeat, n), overrides=overrides))
            page.click("button[value='save']")
            if "/entry/" not in page.url:
                break
        instrument, answers, _ = _state(served, code)
    assert page.url.split("?")[0].endswith(f"/form/{page_name}")  # the page (the part) with the list


def _pages(
    page: Any,
    served: Served,
    code: str,
    *,
    jobs: int,
    overrides: dict[str, Any] | None = None,
    stop_at: str | None = None,
    name: str = "",
) -> None:
    """Answer page after page until the review (or the page ``stop_at``)."""
    overrides = overrides or {}
    for _ in range(60):  # pages, and the parts of long pages
        url = page.url.split("?")[0]
        if url.endswith("/review"):
            return
        page_name = url.split("/form/")[1]
        instrument, answers, _ = _state(served, code)
        group = pages.find_page(instrument, page_name)
        assert group is not None, url
        for repeat in pages.repeats(group):
            if engine.is_relevant(instrument, repeat, answers, today=_today()):
                wanted = jobs if repeat.name == "jobs" else (repeat.min_count or 0)
                _entries(page, served, code, page_name, repeat.name, wanted, overrides)
                if repeat.name == "jobs" and name:
                    shot(page, f"{name}-jobs")
        if page_name == stop_at:
            return
        instrument, answers, _ = _state(served, code)
        _put(page, fill(instrument, group, answers, overrides=overrides))
        page.click(".nav button[value='next']")
    raise AssertionError("never reached the review")


def _today() -> Any:
    from datetime import date

    return date.today()


def _submit(page: Any, served: Served, code: str, name: str) -> Response:
    shot(page, f"{name}-review")
    page.click(f"form[action$='/s/{STUDY}/submit'] button")
    assert page.url.endswith("/thanks")
    assert code in page.inner_text("main")
    shot(page, f"{name}-thanks")
    from webapp.db import db_session

    with served.app.app_context():
        session = db_session()
        person = session.exec(select(Participant).where(Participant.code == code)).one()
        response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
        assert person.status == "submitted"
        g.pop("db_session").close()
    return response


def _ti_with_three_jobs(phone: Any, served: Served, *, javascript: bool, name: str) -> Response:
    context = phone(locale="vi-VN", javascript=javascript)
    page = context.new_page()
    page.goto(f"{served.url}/s/{STUDY}?c=demo")
    assert page.get_attribute("html", "lang") == "vi"  # preselected from Accept-Language
    shot(page, f"{name}-start")
    code = _start(page, served, "ti")
    link = page.locator(".keep dd.link a").get_attribute("href")
    assert link
    assert "/p/" in link
    shot(page, f"{name}-first-page")
    if name == "ti-vi":  # phone-sized shots; KEIREKI_UPDATE_SCREENSHOTS=1 copies them into docs/
        page.screenshot(path=str(SHOTS / "form-phone.png"))
        page.click(".nav button[value='next']")  # nothing answered: messages beside the fields
        assert page.locator("[role=alert]").count() >= 2
        page.locator("#w-birth_year").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "form-phone-errors.png"))
        if os.environ.get("KEIREKI_UPDATE_SCREENSHOTS") == "1":
            for shot_name in ("form-phone.png", "form-phone-errors.png"):
                shutil.copyfile(SHOTS / shot_name, ROOT / "docs" / "screenshots" / shot_name)
    _pages(page, served, code, jobs=2, stop_at="japan_jobs", name=name)
    page.reload()  # mid-way: nothing is lost
    assert page.locator(".entries li").count() == 2
    context.close()
    other = phone(locale="vi-VN", javascript=javascript).new_page()  # another phone, the personal link
    other.goto(link.replace("http://127.0.0.1:5000", served.url))
    assert other.url.split("?")[0].endswith("/form/japan_jobs")
    assert other.locator(".entries li").count() == 2
    assert other.get_attribute("html", "lang") == "vi"
    _pages(other, served, code, jobs=3, name=name)
    response = _submit(other, served, code, name)
    assert len(response.answers["jobs"]) == 3
    return response


def test_ti_in_vietnamese_with_three_jobs_reloads_resumes_and_submits(phone: Any, served: Served) -> None:
    _ti_with_three_jobs(phone, served, javascript=True, name="ti-vi")


def test_ti_without_javascript(phone: Any, served: Served) -> None:
    _ti_with_three_jobs(phone, served, javascript=False, name="ti-nojs")


def test_manager_in_japanese_with_an_era_date(phone: Any, served: Served) -> None:
    page = phone(locale="ja-JP").new_page()
    page.goto(f"{served.url}/s/{STUDY}")
    assert page.get_attribute("html", "lang") == "ja"
    code = _start(page, served, "manager")
    assert code.startswith("MGR-")
    typed = page.locator("form#pf input[type=text]").first
    typed.fill("12")
    page.click(".langs summary")
    page.click(".langs a[lang=en]")  # switching language keeps what was typed, even unsaved
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("form#pf input[type=text]").first.input_value() == "12"
    page.click(".langs summary")
    page.click(".langs a[lang=ja]")
    assert page.get_attribute("html", "lang") == "ja"
    page.set_viewport_size({"width": 320, "height": 700})  # the smallest phones: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 390, "height": 844})
    _pages(page, served, code, jobs=0, overrides={"foreign_staff_since": "令和6年4月"}, name="mgr-ja")
    response = _submit(page, served, code, "mgr-ja")
    assert response.answers["foreign_staff_since"] == "2024-04"
    assert response.meta["raw"]["foreign_staff_since"] == "令和6年4月"

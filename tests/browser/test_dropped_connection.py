"""A participant whose connection drops while tapping Next (issue 15, High): with JavaScript, what was typed
stays on the phone, is sent when the connection returns, is put back after an interrupted submit or a reload,
and is gone from the phone after "leave this phone". At 360 x 740, in Burmese and Nepali."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Served
from tests.browser.test_participant_phone import STUDY, _start, _state

pytestmark = pytest.mark.browser
TEXT = "input[type=text]:visible, input[type=number]:visible, input[type=tel]:visible, textarea:visible"


def _kept(page: Any) -> list[str]:
    return list(page.evaluate("Object.keys(localStorage).filter(k => k.indexOf('kd:') === 0)"))


@pytest.mark.parametrize("locale", ["my-MM", "ne-NP"])
def test_nothing_typed_is_lost_when_the_connection_drops(phone: Any, served: Served, locale: str) -> None:
    context = phone(locale=locale)
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    code = _start(page, served, "ti")
    # Go on until a page asks for something typed (the first pages may be choices only).
    for _ in range(6):
        if page.locator(TEXT).count():
            break
        page.click("div.nav button[value=next]")
    field = page.locator(TEXT).first
    name = field.get_attribute("name")
    assert name
    field.fill("1987")
    where = page.url

    # Offline, Next: the page stays, says so, and keeps the answer on the phone; nothing reached the server.
    context.set_offline(True)
    page.click("div.nav button[value=next]")
    note = page.locator("#kept")
    note.wait_for(state="visible")
    assert note.inner_text() == note.get_attribute("data-off")
    assert page.url == where
    assert _kept(page)
    _, answers, _ = _state(served, code)
    assert str(answers.get(name)) != "1987"

    # The connection returns: the page is sent by itself, the server has the answer, the phone forgets it.
    with page.expect_navigation():
        context.set_offline(False)
    _, answers, _ = _state(served, code)
    assert str(answers.get(name)) == "1987"
    assert _kept(page) == []

    # Typed, then the page reloads before any submit (or after one that was interrupted): put back, with a notice.
    page.goto(where)
    page.locator(f"[name='{name}']").fill("1990")
    page.reload()
    assert page.locator(f"[name='{name}']").input_value() == "1990"
    assert page.locator("#kept").inner_text() == page.locator("#kept").get_attribute("data-back")

    # A shared phone: "leave" clears what was kept.
    assert _kept(page)
    page.click("form[data-leave] button")
    page.wait_for_url(f"**/s/{STUDY}")
    assert _kept(page) == []

"""Khmer, Thai and Burmese have no spaces between words: on a 320 px phone their screening, consent and first
intake pages break lines inside words (by dictionary, else anywhere) and never scroll sideways. With the fonts
phones have (Noto Sans Myanmar, Khmer OS, TLWG: ``make browser`` installs them), so the glyphs are measured."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Served, shot
from tests.browser.test_participant_phone import STUDY, _start

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 700}

#: Elements whose own content is wider than their box overflow, even when the page as a whole hides it.
OVERFLOWING = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1
               && getComputedStyle(e).overflowX === 'visible')
  .map(e => e.tagName + '#' + e.id + ' ' + e.textContent.trim().slice(0, 40))"""


def _fits(page: Any, name: str) -> None:
    page.set_viewport_size(NARROW)
    shot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], name
    assert page.evaluate(OVERFLOWING) == [], name


#: The study's title and the first intake page's title ("About you") in each language.
WORDS = {"km": ("ជំនាញ និងអាជីព", "អំពីអ្នក"), "th": ("ทักษะและเส้นทางอาชีพ", "เกี่ยวกับคุณ"),
         "my": ("ကျွမ်းကျင်မှုနှင့် အလုပ်အကိုင်ဘဝ", "သင့်အကြောင်း")}


@pytest.mark.parametrize(("locale", "lang"), [("km-KH", "km"), ("th-TH", "th"), ("my-MM", "my")])
def test_khmer_thai_and_burmese_pages_fit_320_px(phone: Any, served: Served, locale: str, lang: str) -> None:
    page = phone(locale=locale, javascript=True).new_page()
    page.set_viewport_size(NARROW)
    page.goto(f"{served.url}/s/{STUDY}/screening")
    assert page.get_attribute("html", "lang") == lang
    _fits(page, f"{lang}-320-screening")
    page.goto(f"{served.url}/s/{STUDY}")
    code = _start(page, served, "ti")
    assert code.startswith("TI-")
    assert page.get_attribute("html", "lang") == lang
    text = page.locator("body").inner_text()
    assert all(words in text for words in WORDS[lang]), text[:200]
    _fits(page, f"{lang}-320-intake")

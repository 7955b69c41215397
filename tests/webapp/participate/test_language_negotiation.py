"""Accept-Language to page language: region subtags, Filipino sent as ``fil``, quality order."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from tests.webapp.participate.journey import STUDY, end_request_session
from webapp.extensions import UI_LANGUAGES, best_language

#: What phones and browsers send -> the language the page is in.
HEADERS = [
    ("fil", "tl"),
    ("fil-PH", "tl"),
    ("fil-PH,fil;q=0.9,en-US;q=0.8,en;q=0.7", "tl"),  # Chrome on a Filipino Android phone
    ("tl-PH", "tl"),
    ("zh", "zh-Hans"),
    ("zh-CN", "zh-Hans"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),  # Chrome in Chinese: werkzeug alone picks English here
    ("zh-Hans-CN", "zh-Hans"),
    ("zh-TW", "zh-Hans"),
    ("ne-NP", "ne"),
    ("my-MM", "my"),
    ("vi-VN", "vi"),
    ("vi-VN,vi;q=0.9,en-US;q=0.8", "vi"),
    ("id-ID", "id"),
    ("in-ID", "id"),  # the withdrawn code of Indonesian some Android versions still send
    ("ja-JP", "ja"),
    ("km-KH", "km"),
    ("km", "km"),
    ("km-KH,km;q=0.9,en-US;q=0.8,en;q=0.7", "km"),  # Chrome on a Khmer Android phone
    ("khm", "km"),
    ("th-TH", "th"),
    ("th", "th"),
    ("th-TH,th;q=0.9,en;q=0.8", "th"),
    ("th-TH-u-nu-thai", "th"),  # Thai with Thai digits, as some Android phones send
    ("en-US;q=0.5,th-TH", "th"),
    ("en-GB", "en"),
    ("en-US;q=0.1,fil", "tl"),  # quality, not specificity, decides
    ("en;q=0,ja", "ja"),
]


@pytest.mark.parametrize(("header", "expected"), HEADERS)
def test_best_language_of_accept_language_headers(header: str, expected: str) -> None:
    assert best_language(parse_accept_header(header, LanguageAccept), UI_LANGUAGES) == expected


@pytest.mark.parametrize("header", ["de-DE", "*", "", "fr;q=0.9,ko"])
def test_no_known_language_matches_nothing(header: str) -> None:
    assert best_language(parse_accept_header(header, LanguageAccept), UI_LANGUAGES) is None


def test_only_offered_languages_are_chosen() -> None:
    accepted = parse_accept_header("fil-PH,ja;q=0.5", LanguageAccept)
    assert best_language(accepted, ["en", "ja"]) == "ja"
    assert best_language(accepted, ["en"]) is None


@pytest.mark.parametrize(("header", "expected"), [h for h in HEADERS if h[1] != "en"])
def test_participant_pages_follow_the_browser(
    client: FlaskClient, bundled_study: Any, header: str, expected: str
) -> None:
    page = client.get(f"/s/{STUDY}", headers={"Accept-Language": header})
    end_request_session()
    assert page.status_code == 200
    assert f'<html lang="{expected}"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("header", "expected"), [("fil-PH", "tl"), ("zh-CN", "zh-Hans"), ("ne-NP", "ne"),
                                                  ("km-KH", "km"), ("th-TH", "th"), ("de", "en")])
def test_pages_outside_a_study_follow_the_browser(client: FlaskClient, header: str, expected: str) -> None:
    page = client.get("/auth/signin", headers={"Accept-Language": header})
    end_request_session()
    assert page.status_code == 200
    assert f'<html lang="{expected}"' in page.get_data(as_text=True)


def test_a_stale_form_is_an_expired_page_in_the_language_chosen_for_the_study(make_journey: Any) -> None:
    other = make_journey("en")
    other.get(f"/s/{STUDY}?lang=vi")
    other.get(f"/s/{STUDY}/resume")
    page = other.client.post(f"/s/{STUDY}/resume", data={"csrf_token": "stale", "participant_code": "TI-0001"},
                             headers=other.headers)
    end_request_session()
    assert page.status_code == 400
    assert '<html lang="vi"' in page.text
    assert "Trang này đã hết hạn" in page.text  # "This page has expired"
    assert ">400<" not in page.text


@pytest.mark.parametrize("path", ["/s/nostudy", f"/s/{STUDY}/no/such/page"])
def test_a_missing_page_is_in_the_language_the_participant_chose(make_journey: Any, path: str) -> None:
    other = make_journey("en")
    other.get(f"/s/{STUDY}?lang=vi")
    page = other.get(path)
    assert page.status_code == 404
    assert '<html lang="vi"' in page.text
    assert "Không tìm thấy trang" in page.text  # "Page not found"
    assert ">404<" not in page.text


def test_a_missing_study_follows_lang_then_the_browser(make_journey: Any) -> None:
    fresh = make_journey("en")
    assert '<html lang="ja"' in fresh.get("/s/nostudy?lang=ja").text
    assert '<html lang="en"' in fresh.get("/s/nostudy?lang=xx").text
    assert '<html lang="vi"' in make_journey("vi-VN").get("/s/nostudy").text


def test_the_researcher_side_keeps_its_own_language_rule(make_journey: Any) -> None:
    other = make_journey("en")
    other.get(f"/s/{STUDY}?lang=vi")
    page = other.get("/studies/nostudy/overview?lang=vi")
    assert page.status_code == 404
    assert '<html lang="en"' in page.text

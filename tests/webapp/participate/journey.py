"""A participant driven through the pages with the test client, CSRF tokens and all."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from instruments import engine
from instruments.model import Group, Instrument, Question
from webapp.forms import pages

STUDY = "sme-careers"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def end_request_session() -> None:
    """Close the request's database session as a request's teardown would.

    The ``session`` fixture keeps an app context open, which requests of the test client reuse, so
    their session would outlive the request and interleave its savepoints with the test's."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("csrf_token", None)  # Flask-WTF caches the token of the last session in g
        g.pop("language", None)
        leftover = g.pop("db_session", None)
        if leftover is not None:
            leftover.close()


class Journey:
    def __init__(self, client: FlaskClient, *, language: str = "en") -> None:
        self.client = client
        self.headers = {"Accept-Language": language}
        self.last: TestResponse | None = None

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        self.last = self.client.get(path, headers=self.headers, **kwargs)
        end_request_session()
        return self.last

    def token(self) -> str:
        body = self.last.get_data(as_text=True) if self.last is not None else ""
        found = _CSRF.search(body)
        if not found:
            found = _CSRF.search(
                self.client.get(f"/s/{STUDY}/resume", headers=self.headers).get_data(as_text=True)
            )
        assert found, "no CSRF token on the page"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, Any]], **kwargs: Any) -> TestResponse:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        flat: list[tuple[str, Any]] = []
        for key, value in items:
            flat.extend((key, v) for v in value) if isinstance(value, list) else flat.append((key, value))
        from werkzeug.datastructures import MultiDict

        form = MultiDict([("csrf_token", self.token()), *flat])
        self.last = self.client.post(path, data=form, headers=self.headers, **kwargs)
        end_request_session()
        return self.last

    def screen(self, participant_type: str = "ti", *, channel: str | None = None) -> TestResponse:
        self.get(f"/s/{STUDY}" + (f"?c={channel}" if channel else ""))
        self.get(f"/s/{STUDY}/screening")
        data = {"participant_type": participant_type, "adult": "yes", "in_japan": "yes"}
        if participant_type == "manager":
            data["sme"] = "yes"
        return self.post(f"/s/{STUDY}/screening", data)

    def consent(self) -> TestResponse:
        self.get(f"/s/{STUDY}/consent")
        return self.post(f"/s/{STUDY}/consent", {"consent": "yes", "withdrawal_data": "keep"})

    def path(self) -> str:
        assert self.last is not None
        return str(self.last.request.path)


SAMPLES = {
    "decimal": "0",
    "date": "2024-05-01",
    "text": "Công ty ABC",
    "phone": "090-1234-5678",
    "email": "a@example.org",
    "acknowledge": "yes",
}


def sample(question: Question, choices: list[str], overrides: dict[str, Any]) -> Any:
    """A valid answer for a question of the bundled intakes."""
    if question.name in overrides:
        return overrides[question.name]
    if question.type == "select_one":
        return "no" if "no" in choices and "yes" in choices else choices[0]
    if question.type == "select_multiple":
        return [choices[0]]
    if question.type == "integer":
        name = question.name
        return "1995" if "year" in name else "12" if "month" in name else "50"
    if question.type == "partial_date":
        return "2016-03" if question.name.endswith("_end") or question.name == "end" else "2015-04"
    return SAMPLES.get(question.type, "x")


def fill(
    instrument: Instrument,
    group: Group,
    answers: dict[str, Any],
    *,
    entry: tuple[str, int] | None = None,
    overrides: dict[str, Any] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Form data answering every relevant question of a page or entry (relevance settles in passes)."""
    today = today or date.today()
    overrides = overrides or {}
    data: dict[str, Any] = {}
    for _ in range(4):
        state = dict(answers)
        if entry:
            entries = [dict(e) for e in state.get(entry[0], [])]
            while len(entries) <= entry[1]:
                entries.append({})
            entries[entry[1]].update(data)
            state[entry[0]] = entries
        else:
            state.update(data)
        data = {}
        for question in pages.questions(group):
            if not pages.answerable(question):
                continue
            if not engine.is_relevant(instrument, question, state, entry=entry, today=today):
                continue
            choices = [
                c.name for c in engine.filtered_choices(instrument, question, state, entry=entry, today=today)
            ]
            data[question.name] = sample(question, choices, overrides)
    return data

"""Page weight of every participant page of the bundled study: bytes of HTML + CSS + JS, before compression,
and what is sent compressed with brotli.

Run from the repository root: ``.venv/bin/python bench/page_weight.py`` (exit status 1 if a page is over
the budget). Each intake (ti, sie, manager) is walked with the test client on a temporary SQLite
database, with three entries in every repeat group so the heaviest lists are measured; after the
technical intern's intake, the interview booking (the booking page, another day, the confirmation, a
new time, cancelling, booked already). Every page's stylesheets and scripts are fetched and counted
once per page (a first visit, nothing cached).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET = 15 * 1024  #: issue 12: every page within 15 kB uncompressed, HTML + its own CSS/JS
#: (tests/webapp/participate/test_page_weight.py holds every page to it)
STUDY = "sme-careers"
_ASSETS = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def _app(tmp: Path) -> Any:
    from sqlmodel import SQLModel

    import webapp.models  # noqa: F401  (the tables)
    from webapp import create_app
    from webapp.config import load_settings
    from webapp.db import db_session, get_db
    from webapp.services.studies import load_bundled_study

    settings = load_settings(
        env={"KEIREKI_ENV": "development"},
        instance_dir=tmp,
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        data_dir=tmp / "data",
    )
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}, settings=settings
    )
    SQLModel.metadata.create_all(get_db(app).engine)
    with app.app_context():
        study = load_bundled_study(session=db_session())
        _interviews(db_session(), study)
        db_session().commit()
    return app


def _interviews(session: Any, study: Any) -> None:
    """One interviewer speaking every study language, free every day 9-17 (Tokyo), and one interview type."""
    from datetime import time

    import instruments
    from webapp.models import AvailabilityRule, InterviewType, Membership, User

    user = User(email="interviewer@example.org", name="Interviewer", timezone="Asia/Tokyo",
                languages=list(instruments.load_study().languages))
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, study_id=study.id, role="interviewer"))
    for day in range(7):
        session.add(AvailabilityRule(user_id=user.id, weekday=day, start_time=time(9), end_time=time(17)))
    session.add(InterviewType(
        study_id=study.id, name={"en": "Interview"}, duration_min=60, buffer_before_min=0, buffer_after_min=15,
        min_notice_hours=24, horizon_days=14, max_per_day=3, modes=["video", "phone"], languages=[],
        interpreter_available=False, video_link="https://meet.example.org/keireki-interview",
    ))


def _sent(body: bytes) -> int:
    """Bytes on the wire for a browser accepting brotli: what Flask-Compress sends (the app's quality,
    ``webapp.assets.BROTLI_QUALITY``, Flask-Compress's window; bodies of 500 bytes and more)."""
    import brotli

    from webapp.assets import BROTLI_QUALITY

    return len(brotli.compress(body, quality=BROTLI_QUALITY, lgwin=22)) if len(body) >= 500 else len(body)


class Meter:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.rows: list[tuple[str, int, int, int, int]] = []
        self.seen: set[str] = set()
        self.language = ""

    def measure(self, label: str, path: str, response: Any = None) -> Any:
        response = response or self.client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        html = response.get_data()
        css = js = 0
        sent = _sent(html)
        for asset in _ASSETS.findall(html.decode()):
            fetched = self.client.get(asset)
            body = fetched.get_data()
            fetched.close()
            sent += _sent(body)
            if asset.split("?")[0].endswith(".css"):
                css += len(body)
            else:
                js += len(body)
        self.rows.append((label, len(html), css, js, sent))
        if dump := os.environ.get("BENCH_PAGE_DUMP"):  # a folder: each page's HTML, to see what weighs
            Path(dump).mkdir(parents=True, exist_ok=True)
            (Path(dump) / (re.sub(r"\W+", "_", f"{self.language} {label}") + ".html")).write_bytes(html)
        return response


def _walk(app: Any, participant_type: str, language: str) -> list[tuple[str, int, int, int]]:
    from flask import g
    from sqlmodel import select

    from tests.webapp.participate.journey import fill
    from webapp.db import db_session
    from webapp.forms import pages
    from webapp.models import Draft, InstrumentVersion
    from webapp.services.studies import instrument_of

    client = app.test_client()
    meter = Meter(client)
    meter.language = language
    base = f"/s/{STUDY}"
    client.get(f"{base}?lang={language}")
    if participant_type == "ti":
        meter.measure("start", f"{base}?lang={language}")
        meter.measure("screening", f"{base}/screening")
        meter.measure("resume", f"{base}/resume")
        bad = client.post(
            f"{base}/screening",
            data={"participant_type": "ti", "adult": "no", "in_japan": "yes"},
            follow_redirects=True,
        )
        meter.measure("not eligible", "", bad)
    answers = {"participant_type": participant_type, "adult": "yes", "in_japan": "yes", "sme": "yes"}
    client.post(f"{base}/screening", data=answers)
    meter.measure("consent", f"{base}/consent")
    client.post(f"{base}/consent", data={"consent": "yes", "withdrawal_data": "keep"})

    def draft() -> tuple[Any, dict[str, Any]]:
        with app.app_context():
            row = db_session().exec(select(Draft).order_by(Draft.id.desc())).first()  # type: ignore[union-attr]
            instrument = instrument_of(db_session().get(InstrumentVersion, row.instrument_version_id))
            answers = dict(row.answers)
            g.pop("db_session").close()
        return instrument, answers

    instrument, _ = draft()
    for group in instrument.groups:
        path = f"{base}/form/{group.name}"
        for repeat in pages.repeats(group):
            for n in range(3):
                client.post(path, data={"action": f"add:{repeat.name}"})
                url = f"{path}/entry/{n + 1}?r={repeat.name}"
                measured: set[str] = set()
                for _ in range(8):
                    if n == 0 and url not in measured:
                        measured.add(url)
                        part = url.partition("part=")[2] or "1"
                        meter.measure(
                            f"{participant_type} {group.name}: {repeat.name} entry, part {part}", url
                        )
                    instrument, answers = draft()
                    data = fill(instrument, repeat, answers, entry=(repeat.name, n))
                    location = client.post(url, data={**data, "action": "save"}).headers.get("Location", "")
                    if "/entry/" not in location:
                        break
                    url = location
        url = path
        for part in range(1, 20):  # a long page is cut into parts: each is measured, then answered
            meter.measure(f"{participant_type} {group.name}" + (f", part {part}" if part > 1 else ""), url)
            instrument, answers = draft()
            location = client.post(url, data={**fill(instrument, group, answers), "action": "next"}).headers.get(
                "Location", "")
            if not location.startswith(f"{path}?part="):
                break
            url = location
    meter.measure(f"{participant_type} review", f"{base}/review")
    client.post(f"{base}/submit")
    thanks = meter.measure(f"{participant_type} thanks", f"{base}/thanks")
    token = re.search(rf"{base}/p/([\w-]+)/consent.html", thanks.get_data(as_text=True))
    if participant_type == "ti" and token:
        meter.measure("consent copy", f"{base}/p/{token.group(1)}/consent.html")
        _booking(meter, f"{base}/p/{token.group(1)}/interview")
        meter.measure("withdraw", f"{base}/p/{token.group(1)}/withdraw")
    return meter.rows


def _booking(meter: Meter, url: str) -> None:
    """The interview booking from the thanks page's link: each page a participant sees there."""
    client = meter.client
    page = meter.measure("booking", url).get_data(as_text=True)
    days = re.findall(r'class="dl" (?:href|name="d" formaction)="([^"]+)"', page)  # links, or buttons of the form
    if len(days) < 2:
        raise SystemExit(f"{url}: fewer than two days offered")
    another = urljoin(url, days[1].replace("&amp;", "&"))  # the day links are relative to the page
    page = meter.measure("booking, another day", another).get_data(as_text=True)
    slot = re.search(r'name="slot" value="([^"]+)"', page)
    assert slot is not None
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action is not None
    booked = client.post(action.group(1).replace("&amp;", "&"), data={
        "slot": slot.group(1), "mode": "video", "channel": "email", "email": "an@example.org",
    })
    if booked.status_code != 302 or "/i/" not in booked.headers["Location"]:
        raise SystemExit(f"{url}: booking failed (HTTP {booked.status_code})")
    manage = booked.headers["Location"]
    meter.measure("booking confirmation", manage)
    meter.measure("booking, already booked", url)
    meter.measure("booking, choose a new time", f"{manage}?change=1")
    meter.measure("booking, cancel?", f"{manage}?cancel=1")
    client.post(f"{manage}/cancel")
    meter.measure("booking, cancelled", manage)


def main(argv: list[str]) -> int:
    """``page_weight.py [language ...]`` (default: every language of the bundled study)."""
    import instruments

    languages = argv or list(instruments.load_study().languages)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        from webapp.db import get_db

        rows = [
            (f"{language} {label}", *sizes)
            for language in languages
            for kind in ("ti", "sie", "manager")
            for label, *sizes in _walk(app, kind, language)
        ]
        get_db(app).engine.dispose()
    print(f"{'page':<50} {'html':>7} {'css':>6} {'js':>6} {'total':>7} {'sent br':>7}  <= 15 kB")
    over = 0
    for label, html, css, js, sent in rows:
        total = html + css + js
        ok = total <= BUDGET
        over += not ok
        print(f"{label:<50} {html:>7} {css:>6} {js:>6} {total:>7} {sent:>7}  {'yes' if ok else 'NO'}")
    totals = sorted(sum(r[1:4]) for r in rows)
    print(f"{len(rows)} pages: largest {totals[-1]} bytes, median {totals[len(totals) // 2]} bytes, "
          f"{over} over the {BUDGET}-byte budget; largest sent with brotli "
          f"{max(r[4] for r in rows)} bytes (first visit; the assets are then cached for good)")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

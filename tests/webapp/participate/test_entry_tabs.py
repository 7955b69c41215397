"""One participant, two tabs (or two phones) on the job entries: nothing typed in one is lost to the other.

An entry form carries the stable id of its entry (``_entry``; ``_new`` when it was opened as a new one), so a
save lands on the entry the form was opened for wherever it is now, a new entry is added even when another
tab added one at its number meanwhile, and a replayed save changes the entry its first post made.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.conftest import make_test_app
from tests.webapp.participate.journey import STUDY, Journey
from webapp.db import db_session, get_db
from webapp.models import Draft, Participant
from webapp.services.studies import load_bundled_study

PAGE = f"/s/{STUDY}/form/japan_jobs"
_HIDDEN = re.compile(r'<input type="hidden" name="(_entry|_new)" value="([^"]*)">')


def _entry(n: int) -> str:
    return f"{PAGE}/entry/{n}?r=jobs"


def _open(j: Journey, n: int) -> dict[str, str]:
    """A tab showing entry ``n``: the hidden fields its form posts back."""
    response = j.get(_entry(n))
    assert response.status_code == 200
    return dict(_HIDDEN.findall(response.get_data(as_text=True)))


def _add(j: Journey) -> dict[str, str]:
    """Tap "+ Add" on the list and open the entry form it leads to (a new tab's view of it)."""
    j.get(PAGE)
    response = j.post(PAGE, {"action": "add:jobs"})
    assert response.status_code == 303
    location = response.headers["Location"]
    found = re.search(r"/entry/(\d+)", location)
    assert found, location
    return {"n": found.group(1), **_open(j, int(found.group(1)))}


def _save(j: Journey, tab: dict[str, str], employer: str) -> Any:
    fields = {k: v for k, v in tab.items() if k != "n"}
    response = j.post(_entry(int(tab["n"])), {**fields, "job_employer": employer, "action": "save"})
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    return response


def _jobs(session: Session) -> list[str | None]:
    person = session.exec(select(Participant).order_by(Participant.id.desc())).first()  # type: ignore[union-attr]
    assert person is not None
    draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
    session.refresh(draft)
    jobs = draft.answers.get("jobs") or []
    ids = (draft.meta.get("entry_ids") or {}).get("jobs") or []
    assert len(ids) == len(jobs) == len(set(ids))  # one stable id per entry, none shared
    return [job.get("job_employer") for job in jobs]


def _started(make_journey: Any) -> Journey:
    j = make_journey("vi")
    j.screen("ti")
    j.consent()
    return j


def _with_entries(j: Journey, *employers: str) -> None:
    for employer in employers:
        _save(j, _add(j), employer)


def _remove_button(j: Journey, n: int) -> str:
    page = j.get(PAGE).get_data(as_text=True)
    found = re.search(rf'value="(remove:jobs:{n}:[0-9a-f]{{12}})"', page)
    assert found, "the Remove button names its entry's id"
    return found.group(1)


def test_two_tabs_adding_an_entry_keep_both(make_journey: Any, session: Session) -> None:
    j = _started(make_journey)
    tab_a = _add(j)
    tab_b = _add(j)
    assert tab_a["n"] == tab_b["n"] == "1"  # both were sent to /entry/1 ...
    assert tab_a["_entry"] != tab_b["_entry"]  # ... as different new entries
    assert tab_a["_new"] == tab_b["_new"] == "1"
    _save(j, tab_a, "Firm Alpha")
    _save(j, tab_b, "Firm Beta")
    assert _jobs(session) == ["Firm Alpha", "Firm Beta"]


def test_a_replayed_save_of_a_new_entry_adds_it_once(make_journey: Any, session: Session) -> None:
    j = _started(make_journey)
    tab = _add(j)
    first = _save(j, tab, "Firm Alpha")
    again = _save(j, tab, "Firm Alpha")  # a double tap, a retry, the back button and Save again
    assert first.headers["Location"] == again.headers["Location"]
    assert _jobs(session) == ["Firm Alpha"]
    _save(j, tab, "Firm Alpha KK")  # the same form, changed after the back button: the same entry
    assert _jobs(session) == ["Firm Alpha KK"]


def test_two_tabs_editing_one_entry_change_that_entry_only(make_journey: Any, session: Session) -> None:
    j = _started(make_journey)
    _with_entries(j, "A", "B")
    tab_1 = {"n": "1", **_open(j, 1)}
    tab_2 = {"n": "1", **_open(j, 1)}
    assert tab_1["_entry"] == tab_2["_entry"]
    assert "_new" not in tab_1
    _save(j, tab_1, "A from tab 1")
    _save(j, tab_2, "A from tab 2")
    assert _jobs(session) == ["A from tab 2", "B"]


def test_a_save_lands_on_its_entry_after_the_entries_moved(make_journey: Any, session: Session) -> None:
    j = _started(make_journey)
    _with_entries(j, "A", "B", "C")
    tab_1 = {"n": "2", **_open(j, 2)}  # B
    j.post(PAGE, {"action": _remove_button(j, 1)})  # the other tab removes A: B is entry 1 now
    _save(j, tab_1, "B edited")
    assert _jobs(session) == ["B edited", "C"]


def test_an_entry_removed_in_one_tab_while_edited_in_another_is_kept_as_new(
    make_journey: Any, session: Session
) -> None:
    j = _started(make_journey)
    _with_entries(j, "A", "B")
    tab_1 = {"n": "2", **_open(j, 2)}
    j.post(PAGE, {"action": _remove_button(j, 2)})  # the other tab removes B
    assert _jobs(session) == ["A"]
    response = _save(j, tab_1, "B typed meanwhile")
    assert _jobs(session) == ["A", "B typed meanwhile"]
    page = j.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mục này đã bị xoá ở một cửa sổ khác. Những gì bạn đã nhập được giữ lại thành một mục mới." in page
    _save(j, tab_1, "B typed meanwhile")  # and a replay of that save changes the entry it kept
    assert _jobs(session) == ["A", "B typed meanwhile"]


def test_a_double_tap_on_remove_removes_one_entry(make_journey: Any, session: Session) -> None:
    j = _started(make_journey)
    _with_entries(j, "A", "B", "C")
    button = _remove_button(j, 1)
    j.post(PAGE, {"action": button})
    j.post(PAGE, {"action": button})  # B moved up to entry 1: it stays
    assert _jobs(session) == ["B", "C"]
    j.post(PAGE, {"action": "undo"})  # the second tap kept the first one's Undo
    assert _jobs(session) == ["A", "B", "C"]


def test_two_phones_saving_new_entries_at_the_same_moment_keep_both(fresh_database: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Phone B loads the draft while phone A's save is under way (A is held inside its transaction until B
    has loaded): B must still start from what A saved. On SQLite B waits for the write lock before it reads
    anything; on PostgreSQL ``responses.lock_draft`` makes it wait for A's row and read the draft again."""
    from webapp.participate import intake_routes
    from webapp.services import responses

    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        load_bundled_study(session=db_session())
    phone_a = Journey(app.test_client(), language="vi")
    phone_a.screen("ti")
    phone_a.consent()
    phone_b = Journey(app.test_client(), language="vi")
    cookie = phone_a.client.get_cookie("keireki_session")
    assert cookie is not None
    phone_b.client.set_cookie("keireki_session", cookie.value)  # the same participant on a second phone
    tabs = [_add(phone_a), _add(phone_b)]
    assert tabs[0]["n"] == tabs[1]["n"] == "1"
    a_saving, b_loaded = threading.Event(), threading.Event()
    lock_draft, post_entry = responses.lock_draft, intake_routes._post_entry

    def locking(**kwargs: Any) -> Any:
        if threading.current_thread().name == "phone-b":
            b_loaded.set()  # B has its draft (read before A's save committed, on PostgreSQL)
        return lock_draft(**kwargs)

    def posting(*args: Any) -> Any:
        if threading.current_thread().name == "phone-a":
            a_saving.set()
            b_loaded.wait(timeout=3)  # on SQLite B cannot read before A commits: it waits for the lock
        return post_entry(*args)

    monkeypatch.setattr(responses, "lock_draft", locking)
    monkeypatch.setattr(intake_routes, "_post_entry", posting)
    results: list[Any] = []

    def save(phone: Journey, tab: dict[str, str], employer: str) -> None:
        fields = {k: v for k, v in tab.items() if k != "n"}
        try:
            results.append(phone.client.post(
                _entry(1), data={"csrf_token": phone.token(), **fields, "job_employer": employer, "action": "save"},
                headers=phone.headers,
            ).status_code)
        except Exception as exc:  # reported by the assertion below
            results.append(exc)

    first = threading.Thread(target=save, args=(phone_a, tabs[0], "Firm Alpha"), name="phone-a")
    second = threading.Thread(target=save, args=(phone_b, tabs[1], "Firm Beta"), name="phone-b")
    first.start()
    assert a_saving.wait(timeout=30)
    second.start()
    threads = [first, second]
    for thread in threads:
        thread.join(timeout=60)
    assert results == [303, 303]
    reader = get_db(app).session()
    try:
        draft = reader.exec(select(Draft)).one()
        assert sorted(job["job_employer"] for job in draft.answers["jobs"]) == ["Firm Alpha", "Firm Beta"]
    finally:
        reader.close()

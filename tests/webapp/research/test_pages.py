"""The research pages as each role sees them: dashboard, participant list, a participant's page, contact, audit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from tests.conftest import count
from tests.webapp.auth.support import csrf_token
from tests.webapp.research import factories as f
from webapp.models import AuditEvent, Channel, Contact, Job, Participant, utcnow
from webapp.services.studies import current_version

SIE_ANSWERS = {
    "birth_year": 1992, "gender": "female", "nationality": "VNM",
    "jobs": [{"employer_name": "Tanaka Seiko", "industry": "E", "start": "2019-04", "ongoing": "no",
              "end": "2021-03", "residence_status": "ti_2", "job_title": "welder"},
             {"employer_name": "Sato Kogyo", "industry": "E", "start": "2021-04", "ongoing": "yes",
              "residence_status": "ssw_1", "job_title": "ငါ"}],
    "contact_name": "Secret Name",
}
SIE_META = {"raw": {"jobs[1].job_title": "ငါ zawgyi-raw", "birth_year": "１９９２"},
            "flags": [{"path": "jobs[1].job_title", "flag": "zawgyi_converted", "detail": ""}]}


@pytest.fixture
def study(session: Session) -> dict[str, Any]:
    """The bundled study with a few participants, channels, records, bookings and a job."""
    s = f.bundled_study(session)
    agency = Channel(study_id=s.id, code="agency", label="Agency Hanoi")
    group = Channel(study_id=s.id, code="fb", label="Facebook group")
    session.add_all([agency, group])
    session.flush()
    version = current_version(session=session, study_id=s.id, instrument_id="sie_intake")
    assert version is not None
    interviewer = f.user(session, s, "interviewer", name="Iris Interviewer")
    people = {}
    for i, (ptype, status, lang, channel) in enumerate([
        ("sie", "submitted", "vi", agency), ("sie", "interviewed", "en", agency), ("ti", "submitted", "vi", group),
        ("ti", "screened", "my", None), ("manager", "withdrawn", "ja", None),
    ]):
        prefix = {"sie": "SIE", "ti": "TI", "manager": "MGR"}[ptype]
        people[i] = f.participant(session, s, code=f"{prefix}-{i:04d}", ptype=ptype, status=status,
                                  language=lang, channel_id=channel.id if channel else None,
                                  withdrawal_data="keep", contact={"name": f"Person {i}", "phone": "+819012345678"})
    main = people[0]
    f.answers(session, main, version, response=SIE_ANSWERS, meta=SIE_META)
    f.record(session, main, "episodes", episode_no=1, kind="job", start="2019-04", end="2021-03",
             start_month=f.month(2019, 4), end_month=f.month(2021, 3), residence_status="ti_2",
             ongoing=False, job_title="welder", employer_ref="E-1a2b")
    f.record(session, main, "episodes", episode_no=2, kind="job", start="2021-04", ongoing=True,
             start_month=f.month(2021, 4), residence_status="ssw_1")
    f.record(session, main, "transitions", from_episode=1, to_episode=2, month=f.month(2021, 4),
             kind="ti_to_ssw_new_employer", from_status="ti_2", to_status="ssw_1")
    f.record(session, main, "skill_events", event_no=1, episode_no=2, event="recognise", actor="employer_manager",
             skill_domain="technical", source="intake")
    f.record(session, main, "quality_flags", flag_no=1, episode_no=2, flag="zawgyi_converted")
    f.record(session, people[2], "quality_flags", flag_no=1, flag="gap_over_12_months")
    f.record(session, people[2], "quality_flags", flag_no=2, flag="overlap")
    now = utcnow()
    f.booking(session, main, interviewer, starts_at=now + timedelta(days=2))
    f.booking(session, people[1], interviewer, starts_at=now - timedelta(days=2), status="completed")
    session.add(Job(study_id=s.id, kind="rebuild", status="running", total=40, done=10))
    session.flush()
    return {"study": s, "people": people, "interviewer": interviewer, "agency": agency}


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def no_inline_code(html: str) -> None:
    assert " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert re.search(r"<[^>]+\son[a-z]+=", html) is None


def test_study_list_shows_the_users_studies(client: FlaskClient, study: dict[str, Any], make_study: Any,
                                            make_user: Any, sign_in: Any) -> None:
    other = make_study(title={"en": "Hidden study"})
    user = make_user(study=study["study"], role="viewer")
    sign_in(user)
    html = page(client, "/studies")
    assert study["study"].slug in html
    assert other.slug not in html
    assert "5 participants" in html


def test_overview_charts_and_numbers(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                     sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/")
    no_inline_code(html)
    assert html.count("<svg") >= 2
    # Two SIEs counted (submitted + interviewed) against the quota of 60; one TI of 120.
    assert "2 / 60" in html
    assert "1 / 120" in html
    assert "Agency Hanoi" in html
    # Interviews: one to come, one done. Open flags: three rows.
    assert re.search(r"Booked, still to come</dt><dd>1</dd>", html)
    assert re.search(r"Done</dt><dd>1</dd>", html)
    assert "Gap of more than 12 months" in html
    assert 'value="25"' in html  # job progress 10/40


def test_overview_bar_lengths_follow_the_counts(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                                sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/")
    channel_svg = html[html.index('aria-labelledby="chart-channels-title"'):]
    channel_svg = channel_svg[:channel_svg.index("</svg>")]
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', channel_svg)]
    # Agency Hanoi 2, Facebook group 1, no channel 2: the group's bar is half the agency's.
    assert len(widths) == 3
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)


@pytest.mark.parametrize(("query", "codes"), [
    ("", ["MGR-0004", "SIE-0000", "SIE-0001", "TI-0002", "TI-0003"]),
    ("?type=ti", ["TI-0002", "TI-0003"]),
    ("?status=withdrawn", ["MGR-0004"]),
    ("?language=vi", ["SIE-0000", "TI-0002"]),
    ("?flag=any", ["SIE-0000", "TI-0002"]),
    ("?flag=overlap", ["TI-0002"]),
    ("?type=sie&language=en", ["SIE-0001"]),
])
def test_participant_filters(client: FlaskClient, study: dict[str, Any], make_user: Any, sign_in: Any,
                             query: str, codes: list[str]) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/participants{query}")
    assert re.findall(r">((?:SIE|TI|MGR)-\d{4})</a>", html) == codes


def test_participant_filter_by_channel(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                       sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/participants?channel={study['agency'].id}")
    assert re.findall(r">((?:SIE|TI|MGR)-\d{4})</a>", html) == ["SIE-0000", "SIE-0001"]


@pytest.mark.parametrize("query", ["?type=spy", "?channel=abc", "?page=-3", "?page=99999999999999999999",
                                   "?flag=%00", "?status=" + "x" * 5000])
def test_bad_filters_are_ignored_not_errors(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                            sign_in: Any, query: str) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/participants{query}")
    assert "SIE-0000" in html


def test_participant_list_pages(client: FlaskClient, session: Session, make_study: Any, make_user: Any,
                                sign_in: Any) -> None:
    s = make_study()
    for i in range(53):
        f.participant(session, s, code=f"TI-{i:04d}", ptype="ti")
    sign_in(make_user(study=s, role="viewer"))
    first = page(client, f"/studies/{s.slug}/participants")
    assert "Page 1 of 2" in first
    assert len(re.findall(r">TI-\d{4}</a>", first)) == 50
    second = page(client, f"/studies/{s.slug}/participants?page=2")
    assert re.findall(r">(TI-\d{4})</a>", second) == ["TI-0050", "TI-0051", "TI-0052"]


def test_participant_page_for_a_researcher(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                           sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="researcher", ui_language="en"))
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    no_inline_code(html)
    # Question labels in the researcher's language, choice labels translated, the typed original beside.
    assert "In which year were you born?" in html
    assert "ငါ zawgyi-raw" in html
    assert "１９９２" in html
    assert "Zawgyi text converted" in html
    assert "Secret Name" not in html  # contact questions never show among answers
    # The timeline: two episodes in residence-status colours, a legend naming both statuses.
    timeline = html[html.index('class="timeline"'):]
    timeline = timeline[:timeline.index("</figure>")]
    assert timeline.count("data-episode=") == 2
    assert 'fill="#4292c6"' in timeline
    assert 'fill="#a1d99b"' in timeline
    assert "Technical Intern Training (ii)" in timeline
    assert "Specified Skilled Worker (i)" in timeline
    assert "stroke-dasharray" in timeline  # the ongoing episode
    # Transitions, skill events, interviews, flags.
    assert "Episode 1 to 2" in html
    assert "Iris Interviewer" in html
    # A researcher has no view_contact and is not the interviewer: no contact link, 403 on the page.
    assert "/contact" not in html
    assert client.get(f"/studies/{s.slug}/participants/SIE-0000/contact").status_code == 403


def test_answers_in_the_researchers_language(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                             sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="researcher", ui_language="ja"))
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    assert '<html lang="ja"' in html
    assert "生まれた年を西暦で教えてください。" in html
    # The participant answered in Vietnamese: the original choice label is shown beside the Japanese one.
    assert 'lang="vi"' in html


def test_viewer_sees_no_answers(client: FlaskClient, study: dict[str, Any], make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    assert "In which year were you born?" not in html
    assert "welder" not in html
    assert client.get(f"/studies/{s.slug}/participants/SIE-0000/contact").status_code == 403


def test_unknown_participant_is_404(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                    sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="owner"))
    page(client, f"/studies/{s.slug}/participants/NOPE-1", status=404)
    page(client, f"/studies/{s.slug}/participants/{'x' * 300}", status=404)


def test_owner_sees_contact_and_the_view_is_audited(client: FlaskClient, session: Session,
                                                    study: dict[str, Any], make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    owner = make_user(study=s, role="owner")
    sign_in(owner)
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    assert f"/studies/{s.slug}/participants/SIE-0000/contact" in html
    assert "Person 0" not in html  # not shown until asked for
    before = count(session, AuditEvent, AuditEvent.action == "contact.view")
    contact = page(client, f"/studies/{s.slug}/participants/SIE-0000/contact")
    assert "Person 0" in contact
    assert "+819012345678" in contact
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view")).all()
    assert len(events) == before + 1
    event = events[-1]
    assert (event.user_id, event.study_id, event.target) == (owner.id, s.id, "participant:SIE-0000")
    assert "Person 0" not in repr(event.detail)


def test_assigned_interviewer_sees_contact_others_do_not(client: FlaskClient, study: dict[str, Any],
                                                         make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    sign_in(study["interviewer"])
    assert "Person 0" in page(client, f"/studies/{s.slug}/participants/SIE-0000/contact")
    # The interviewer has no booking with TI-0002.
    assert client.get(f"/studies/{s.slug}/participants/TI-0002/contact").status_code == 403
    # ... and sees its answers only for the assigned participant.
    assert "In which year were you born?" in page(client, f"/studies/{s.slug}/participants/SIE-0000")


def test_a_cancelled_interview_gives_no_access(client: FlaskClient, session: Session, study: dict[str, Any],
                                               sign_in: Any) -> None:
    s, interviewer = study["study"], study["interviewer"]
    other = f.user(session, s, "interviewer")
    f.booking(session, study["people"][2], other, starts_at=utcnow() + timedelta(days=1), status="cancelled")
    sign_in(other)
    assert client.get(f"/studies/{s.slug}/participants/TI-0002/contact").status_code == 403
    assert "does not include the answers" in page(client, f"/studies/{s.slug}/participants/TI-0002")
    assert interviewer.id != other.id


def test_owner_records_a_withdrawal(client: FlaskClient, session: Session, study: dict[str, Any],
                                    make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    owner = make_user(study=s, role="owner")
    sign_in(owner)
    url = f"/studies/{s.slug}/participants/SIE-0000"
    assert "Record the withdrawal" in page(client, url)
    token = csrf_token(client, url)
    # Without the confirmation box nothing happens.
    response = client.post(url + "/withdraw", data={"csrf_token": token})
    assert response.status_code == 302
    person = session.exec(select(Participant).where(Participant.code == "SIE-0000",
                                                    Participant.study_id == s.id)).one()
    session.refresh(person)
    assert person.status == "submitted"
    response = client.post(url + "/withdraw", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    session.refresh(person)
    assert person.status == "withdrawn"
    assert count(session, Contact, Contact.participant_id == person.id) == 0
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant.withdraw")).one()
    assert (event.actor, event.user_id) == (f"user:{owner.email}", owner.id)
    assert "Record the withdrawal" not in page(client, url)


def test_researcher_cannot_record_a_withdrawal(client: FlaskClient, session: Session, study: dict[str, Any],
                                               make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="researcher"))
    url = f"/studies/{s.slug}/participants/SIE-0000"
    assert "Record the withdrawal" not in page(client, url)
    response = client.post(url + "/withdraw", data={"csrf_token": csrf_token(client, url), "confirm": "y"})
    assert response.status_code == 403
    assert count(session, Participant, Participant.status == "withdrawn", Participant.study_id == s.id) == 1


def test_audit_log_for_owners_only(client: FlaskClient, session: Session, study: dict[str, Any],
                                   make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    owner = make_user(study=s, role="owner")
    sign_in(owner)
    page(client, f"/studies/{s.slug}/participants/SIE-0000/contact")
    page(client, f"/studies/{s.slug}/participants/SIE-0001/contact")
    other = AuditEvent(action="export.create", actor="system", study_id=s.id)
    session.add(other)
    session.flush()
    html = page(client, f"/studies/{s.slug}/audit")
    assert html.count("contact.view</td>") == 2
    assert "export.create</td>" in html
    filtered = page(client, f"/studies/{s.slug}/audit?action=export.create")
    assert "contact.view</td>" not in filtered
    assert "export.create</td>" in filtered
    # Read-only: the page has no form that posts, and nothing but GET is routed.
    assert 'method="post"' not in html.split("</header>", 1)[1]
    assert client.post(f"/studies/{s.slug}/audit").status_code in (400, 405)
    total = int(session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one())
    assert total >= 3


def test_study_menu_links_only_what_the_role_may_open(client: FlaskClient, study: dict[str, Any],
                                                      make_user: Any, sign_in: Any) -> None:
    from flask import current_app

    from webapp.research.routes import STUDY_LINKS

    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    viewer_html = page(client, f"/studies/{s.slug}/")
    present = [e for e, _ in STUDY_LINKS if e in current_app.view_functions]
    for endpoint in present:
        permission = current_app.view_functions[endpoint].keireki_permission
        rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)
        path = rule.rule.replace("<study>", s.slug)
        assert (path in viewer_html) == (permission == "view"), endpoint
    assert f"/studies/{s.slug}/audit" not in viewer_html
    client.post("/auth/signout", data={"csrf_token": csrf_token(client)})
    sign_in(make_user(study=s, role="owner"))
    owner_html = page(client, f"/studies/{s.slug}/")
    for endpoint in present:
        rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)
        assert rule.rule.replace("<study>", s.slug) in owner_html, endpoint
    assert f"/studies/{s.slug}/audit" in owner_html


def test_every_study_menu_page_carries_the_study_menu(client: FlaskClient, study: dict[str, Any],
                                                      make_user: Any, sign_in: Any) -> None:
    """The pages the study menu links to (exports, API tokens, schedule...) keep the menu, so one can go back."""
    from flask import current_app

    from webapp.research.routes import STUDY_LINKS

    s = study["study"]
    sign_in(make_user(study=s, role="owner"))
    for endpoint, _text in STUDY_LINKS:
        if endpoint not in current_app.view_functions:
            continue
        rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)
        html = page(client, rule.rule.replace("<study>", s.slug))
        assert 'class="study-nav"' in html, endpoint
        assert f'href="/studies/{s.slug}/participants"' in html, endpoint


def test_answers_fold_per_instrument(client: FlaskClient, study: dict[str, Any], make_user: Any,
                                     sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="researcher", ui_language="en"))
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    assert re.search(r'<details class="card answers-card"[^>]*>\s*<summary><h3>', html)


def test_no_query_breaks_the_lists(client: FlaskClient, session: Session, make_study: Any, make_user: Any,
                                   sign_in: Any) -> None:
    s = make_study()
    f.participant(session, s, code="TI-0001", ptype="ti")
    sign_in(make_user(study=s, role="owner"))

    @settings(max_examples=40, deadline=None)
    @given(args=st.dictionaries(st.sampled_from(["type", "status", "language", "channel", "flag", "page", "action"]),
                                st.text(max_size=40), max_size=5))
    def lists_answer(args: dict[str, str]) -> None:
        for path in ("participants", "audit"):
            response = client.get(f"/studies/{s.slug}/{path}", query_string=args)
            assert response.status_code == 200, (path, args)

    lists_answer()


@pytest.mark.parametrize(("query", "codes"), [
    ("?q=SIE-0001", ["SIE-0001"]),
    ("?q=sie0001", ["SIE-0001"]),
    ("?q=ti+0002", ["TI-0002"]),
    ("?q=0002&type=ti", ["TI-0002"]),
    ("?q=%25", []),
])
def test_the_list_searches_by_code_without_dash_or_case(client: FlaskClient, study: dict[str, Any],
                                                        make_user: Any, sign_in: Any, query: str,
                                                        codes: list[str]) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/participants{query}")
    assert re.findall(r">((?:SIE|TI|MGR)-\d{4})</a>", html) == codes


@pytest.mark.parametrize(("role", "codes"), [("researcher", ["SIE-0000"]), ("viewer", [])])
@pytest.mark.parametrize("words", ["tanaka seiko", "ငါ"])
def test_free_text_in_the_answers_only_for_roles_that_read_them(client: FlaskClient, study: dict[str, Any],
                                                                make_user: Any, sign_in: Any, role: str,
                                                                codes: list[str], words: str) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role=role))
    html = page(client, f"/studies/{s.slug}/participants?q={words}")
    assert re.findall(r">((?:SIE|TI|MGR)-\d{4})</a>", html) == codes


def test_the_overview_status_table_is_full_width_and_its_scroll_box_reachable_by_keyboard(
        client: FlaskClient, study: dict[str, Any], make_user: Any, sign_in: Any) -> None:
    s = study["study"]
    sign_in(make_user(study=s, role="viewer"))
    html = page(client, f"/studies/{s.slug}/")
    section = html[html.index('<section class="card wide">'):]
    section = section[:section.index("</section>")]
    assert "Withdrawn" in section
    assert "Quota" in section
    assert re.search(r'<div class="table-scroll" tabindex="0" role="region" aria-label="[^"]+">', section)
    assert "Self-initiated ex…" not in html


def test_transitions_are_named_by_their_labels_not_codes(client: FlaskClient, session: Session,
                                                         study: dict[str, Any], make_user: Any,
                                                         sign_in: Any) -> None:
    s, main = study["study"], study["people"][0]
    f.record(session, main, "transitions", from_episode=None, to_episode=1, month=f.month(2019, 4),
             kind="entry_to_japan", from_status=None, to_status="ti_2")
    session.commit()
    sign_in(make_user(study=s, role="researcher"))
    html = page(client, f"/studies/{s.slug}/participants/SIE-0000")
    assert "ti_to_ssw_new_employer" not in html
    assert "Technical intern to specified skilled worker, new employer" in html
    assert "entry_to_japan" not in html
    assert "Entry to Japan" in html
    assert "(? →" not in html

"""Synthetic participants for trying and measuring the platform without real people.

``keireki demo seed --study S --participants N [--seed K]`` makes technical interns, self-initiated
expatriates and SME managers (in the study's quota proportions) with plausible careers
(:mod:`webapp.commands.demo_people`), Burmese typed in Zawgyi and Japanese era dates
(:mod:`webapp.commands.demo_answers`), and submits them through the submission services, so the pipeline, the
dashboard and the exports see what real data looks like. Then some of them are interviewed
(:mod:`webapp.commands.demo_interviews`): past interviews of the study's interviewers, most marked done, and
for some of those a debrief saved through the debrief service, as an interviewer would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import click
from flask.cli import with_appcontext

from webapp.commands.demo_answers import answers_for
from webapp.commands.demo_people import Person, make_person

__all__ = ["Person", "SeedOutcome", "answers_for", "demo_group", "make_person", "seed"]

# -- seeding through the submission services -----------------------------------------------------------

@dataclass
class SeedOutcome:
    """What ``seed`` made: participant ids by type and the deliberate problems it planted."""

    participant_ids: list[int] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)
    skipped_types: list[str] = field(default_factory=list)
    episodes: dict[int, int] = field(default_factory=dict)  #: participant id -> career episodes
    existing: int = 0  #: people of this seed already in the study (from an earlier run): not made again


def seed(*, session: Any, study: Any, participants: int, seed: int, now: Any,
         progress: Any = None) -> SeedOutcome:
    """Create ``participants`` synthetic participants in ``study`` through the submission services
    (create, consent, save the intake draft, submit: which queues their conversion). Deterministic
    for a given ``seed`` and date. ``progress(n)`` is called after each participant."""
    from webapp.services import responses
    from webapp.services.studies import current_version

    outcome = SeedOutcome()
    consent_id = study.steps.get("consent")
    consent = current_version(session=session, study_id=study.id, instrument_id=consent_id) \
        if consent_id else None
    types = [t for t in ("ti", "sie", "manager")
             if current_version(session=session, study_id=study.id,
                                instrument_id=responses.intake_id(study, t) or "") is not None]
    outcome.skipped_types = [t for t in ("ti", "sie", "manager") if t not in types]
    if not types:
        raise LookupError(f"study {study.slug!r} has no intake instrument loaded")
    weights = [max(1, int(study.quotas.get(t, 1))) for t in types]
    existing = _demo_keys(session, study.id)
    for n in range(participants):
        key = f"{seed}:{n}"
        if key in existing:
            outcome.existing += 1
        else:
            rng = random.Random(f"{seed}:{n}")  # the n-th person of a seed, whatever ran before
            ptype = rng.choices(types, weights=weights)[0]
            person, created_id = _seed_one(session, study=study, ptype=ptype, key=key, consent=consent,
                                           rng=rng, now=now)
            outcome.participant_ids.append(created_id)
            outcome.episodes[created_id] = len(person.episodes)
            outcome.by_type[ptype] = outcome.by_type.get(ptype, 0) + 1
            for problem in person.problems:
                outcome.problems[problem] = outcome.problems.get(problem, 0) + 1
        if progress is not None:
            progress(1)
    return outcome


def _demo_keys(session: Any, study_id: int) -> set[str]:
    from sqlmodel import col, select

    from webapp.models import Participant

    query = select(Participant.demo_key).where(Participant.study_id == study_id,
                                               col(Participant.demo_key).is_not(None))
    keys = {str(k) for k in session.exec(query)}
    session.commit()
    return keys


def _seed_one(session: Any, **kw: Any) -> tuple[Person, int]:
    """Seed one person as ONE transaction (the services' commits become savepoints), with the write lock
    taken up front and the whole person run again after a passing error: a failed run leaves no
    half-seeded participant, and a researcher's ``demo seed`` while ``make run`` serves does not fail
    on ``database is locked``. Their conversion jobs are sent again once the person is committed."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from webapp.db import ATTEMPTS, backoff, is_transient
    from webapp.services.responses import hashed_resume_code

    kw["resume_code"] = hashed_resume_code()  # argon2: CPU work, done before the write lock is taken
    bind = session.get_bind()
    if not isinstance(bind, sa.Engine):  # a caller's open transaction (the tests'): seed inside it
        return _make_one(session, **kw)
    import time

    from workers.jobs import send

    for attempt in range(ATTEMPTS):
        with bind.connect() as conn:
            conn = conn.execution_options(sqlite_immediate=True)
            outer = conn.begin()
            person_session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
            try:
                made = _make_one(person_session, **kw)
                jobs = _queued_jobs(person_session, made[1])
                outer.commit()
            except Exception as exc:
                outer.rollback()
                if not is_transient(exc) or attempt == ATTEMPTS - 1:
                    raise
                time.sleep(backoff(attempt))
                continue
            finally:
                person_session.close()
        for job in jobs:
            send(job)
        return made
    raise AssertionError("unreachable")  # pragma: no cover


def _queued_jobs(session: Any, participant_id: int) -> list[Any]:
    from sqlmodel import select

    from webapp.models import Job

    return [j for j in session.exec(select(Job).where(Job.status == "queued"))
            if j.params.get("participant_id") == participant_id]


def _make_one(session: Any, *, study: Any, ptype: str, key: str, consent: Any, rng: random.Random,
              now: Any, resume_code: tuple[str, str]) -> tuple[Person, int]:
    from webapp.models import InstrumentVersion
    from webapp.services import responses
    from webapp.services.studies import instrument_of

    for _attempt in range(5):
        person = make_person(rng, ptype, now.date())
        language = person.language if person.language in study.languages else study.default_language
        created = responses.create_participant(session=session, study=study, participant_type=ptype,
                                               language=language, channel_code=None, now=now,
                                               resume_code=resume_code).participant
        if consent is not None:
            responses.record_consent(session=session, participant=created, version=consent,
                                     language=language, withdrawal_data="keep", now=now)
        draft = responses.open_draft(session=session, participant=created, now=now)
        assert draft is not None
        version = session.get(InstrumentVersion, draft.instrument_version_id)
        answers, meta = answers_for(instrument_of(version), person, rng=rng, today=now.date())
        responses.save_page(session=session, draft=draft, answers=answers, meta=meta, page=None, now=now)
        try:
            responses.submit_response(session=session, participant=created, draft=draft, now=now)
        except responses.IncompleteError:
            _discard(session, created)  # e.g. no job at all where the form asks for one: make another
            continue
        break
    assert created.id is not None
    created.demo_key = key
    session.add(created)
    session.commit()
    return person, created.id


def _discard(session: Any, participant: Any) -> None:
    """Remove a person who could not submit (their consent, draft and contact too), so a seed leaves no
    half-made participant behind (they showed as consented people who never answered)."""
    import sqlalchemy as sa

    from webapp.models import Consent, Contact, Draft

    for model in (Consent, Draft, Contact):
        session.execute(sa.delete(model).where(model.participant_id == participant.id))
    session.delete(participant)
    session.commit()


@click.group("demo")
def demo_group() -> None:
    """Synthetic data for trying and measuring the platform (registered by webapp/cli.py)."""


def _seed_coding(*, session: Any, study: Any, booking_ids: list[int], seed_value: int, inline: bool) -> None:
    from webapp.commands.demo_coding import await_records, seed_coding

    if not inline:  # code once their records exist, so codings name the participants' own episodes
        waited = await_records(session=session, participant_ids=sorted(set(_participants(session, booking_ids))))
        click.echo(f"career records of the interviewed: {waited.by_worker} converted by the worker"
                   + (f", {waited.here} here (no worker converted them)" if waited.here else ""))
    coded = seed_coding(session=session, study=study, booking_ids=booking_ids,
                        rng=random.Random(f"coding:{seed_value}"))
    if coded.skipped:
        click.echo(f"no coding seeded: {coded.skipped}")
        return
    click.echo(f"transcripts: {coded.transcripts}; codings: {coded.codings} by {len(coded.coders)} coders; "
               f"consensus: {coded.consensus}")
    if inline:
        from workers.tasks.records import convert_batch

        convert_batch(session=session, participant_ids=sorted({b for b in _participants(session, booking_ids)}))


def _participants(session: Any, booking_ids: list[int]) -> list[int]:
    from webapp.models import Booking

    return [b.participant_id for b in (session.get(Booking, i) for i in booking_ids) if b is not None]


@demo_group.command("seed")
@click.option("--study", "study_slug", default="sme-careers", show_default=True, help="The study's slug.")
@click.option("--participants", default=50, show_default=True, type=click.IntRange(1))
@click.option("--seed", "seed_value", default=1, show_default=True, help="Same seed, same people.")
@click.option("--interviewed", default=0.3, show_default=True, type=click.FloatRange(0, 1),
              help="Share of them with a past interview (most done, most of those with a debrief).")
@click.option("--inline", is_flag=True, help="Also convert their records now, in this process.")
@with_appcontext
def seed_command(study_slug: str, participants: int, seed_value: int, interviewed: float, inline: bool) -> None:
    """Create synthetic participants of all three types, submitted like real ones, some interviewed."""
    from webapp.db import db_session
    from webapp.models import utcnow
    from webapp.services.studies import study_by_slug

    session = db_session()
    study = study_by_slug(session=session, slug=study_slug)
    if study is None:
        raise click.BadParameter(f"no study {study_slug!r} (run `keireki setup`)", param_hint="--study")
    with click.progressbar(length=participants, label="seeding") as bar:
        outcome = seed(session=session, study=study, participants=participants, seed=seed_value,
                       now=utcnow(), progress=bar.update)
    made = ", ".join(f"{n} {t}" for t, n in sorted(outcome.by_type.items()))
    click.echo(f"created {len(outcome.participant_ids)} participants ({made or 'none'}); "
               f"planted problems: {outcome.problems or 'none'}")
    if outcome.existing:
        click.echo(f"{outcome.existing} participants of seed {seed_value} were already there (not made again)")
    if outcome.skipped_types:
        click.echo(f"no intake instrument for: {', '.join(outcome.skipped_types)}")
    if interviewed > 0:
        from webapp.commands.demo_interviews import seed_interviews
        from webapp.db import take_write_lock_from_now_on

        # Interviews, debriefs and codings read then write: while `make run` serves and converts, a deferred
        # read upgraded to a write is refused at once on SQLite, so each of their transactions locks up front.
        session.commit()
        take_write_lock_from_now_on(session)

        talks = seed_interviews(session=session, study=study, participant_ids=outcome.participant_ids,
                                rng=random.Random(f"interviews:{seed_value}"), now=utcnow(),
                                episodes=outcome.episodes, share=interviewed)
        if talks.skipped:
            click.echo(f"no interviews seeded: {talks.skipped} (invite one with `keireki users invite`)")
        else:
            held = ", ".join(f"{n} {o}" for o, n in sorted(talks.by_outcome.items())) or "none"
            click.echo(f"past interviews: {held}; debriefs saved: {len(talks.debriefs)}")
    if inline:
        from workers.tasks.records import convert_batch

        done = convert_batch(session=session, participant_ids=outcome.participant_ids)
        click.echo(f"converted {len(done.converted)} participants into {done.rows} record rows")
    if interviewed > 0 and not talks.skipped:
        _seed_coding(session=session, study=study, booking_ids=talks.booking_ids, seed_value=seed_value,
                     inline=inline)
    else:
        click.echo("their conversion jobs are queued: a running worker converts them (make run)")

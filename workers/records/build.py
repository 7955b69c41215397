"""``build_records``: one participant's responses -> all their career-record rows (pure, versioned)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from instruments.contract import FIRMS, PARTICIPANTS, SKILL_EVENTS

from .coded import coded_rows
from .dates import month_index
from .episodes import Episode, derive_episode, sort_key, transitions
from .extract import Extracted, RawRow, extract
from .plan import plan_for
from .quality import Flag, episode_flags, flag_rows
from .required import required_problems
from .sequences import spells, sts_with_episodes
from .sme import is_sme
from .types import Cell, ParticipantInput, ParticipantRecords, ResponseInput, Row
from .values import normalise_name, pseudonym

PIPELINE_VERSION = "1.2.0"

_PARTICIPANT_COLUMNS = PARTICIPANTS.column_names
_FIRM_COLUMNS = FIRMS.column_names
_SKILL_COLUMNS = SKILL_EVENTS.column_names
#: The cells of a skill event row after its participant_code, event_no and episode_no (the first three columns).
_SKILL_EVENT_COLUMNS = _SKILL_COLUMNS[3:]
assert _SKILL_COLUMNS[:3] == ("participant_code", "event_no", "episode_no"), _SKILL_COLUMNS


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def latest_per_instrument(responses: Sequence[ResponseInput]) -> list[ResponseInput]:
    """The responses that count: the last submitted one of each instrument, in submission order."""
    if len(responses) < 2:
        return list(responses)
    last = {r.instrument.id: i for i, r in enumerate(responses)}
    return [r for i, r in enumerate(responses) if last[r.instrument.id] == i]


def _episode_of(row: RawRow | None, numbers: dict[int, int]) -> int | None:
    while row is not None:
        if row.table == "episodes":
            return numbers.get(id(row))
        row = row.parent
    return None


def _dangling_episode(event: dict[str, Cell], count: int) -> list[Flag]:
    """A skill event naming an episode the record does not have (a debrief's number, after the career
    was changed): flagged, the number kept as written."""
    number = event.get("episode_no")
    if not isinstance(number, int) or 1 <= number <= count:
        return []
    return [Flag(None, "skill_event_episode_missing",
                 f"skill event {event.get('event_no')} names episode {number}; the record has {count}")]


def timeline_confirmed(responses: Sequence[ResponseInput]) -> bool | None:
    """The participant's word on the timeline of their career drawn on the review page (the last response
    that asked): True, False (shown, not confirmed), None when no response asked."""
    for response in reversed(responses):
        said = response.meta.get("timeline_confirmed")
        if isinstance(said, bool):
            return said
    return None


def _participant_row(participant: ParticipantInput, answered: dict[str, Cell], episodes: list[Episode],
                     versions: str, confirmed: bool | None) -> Row:
    """The participants row: what was derived from the episodes (in time order), then the answers, then the
    facts the database knows, each overriding the one before where it has a value."""
    japan = [e for e in episodes if e.in_japan]
    cells: dict[str, Cell] = {"n_episodes": len(episodes)}
    if episodes:
        # Months covered by any episode in Japan: the spans' union, spans taken in start order.
        months = 0
        reach = 0  # the last month counted so far
        for episode in japan:
            span = episode.spanned
            if span is not None:
                first, last = span
                if not months or first > reach:
                    months += last - first + 1
                    reach = last
                elif last > reach:
                    months += last - reach
                    reach = last
        cells["years_in_japan"] = round(months / 12, 1)
        cells["n_employers_japan"] = len({ref for e in japan if (ref := e.cells.get("employer_ref"))})
    first_dated = next((e.start for e in japan if e.start is not None), None)  # the earliest: time order
    if first_dated is not None:
        cells["first_arrival_ym"] = first_dated.iso()[:7]
    current = [e for e in japan if e.ongoing and e.status]
    if current:
        cells["current_residence_status"] = current[-1].status
    cells.update(answered if None not in answered.values() else {k: v for k, v in answered.items() if v is not None})
    facts: tuple[tuple[str, Cell], ...] = (
        ("participant_code", participant.participant_code), ("study", participant.study),
        ("participant_type", participant.participant_type), ("form_language", participant.form_language),
        ("recruitment_channel", participant.recruitment_channel),
        ("consent_version", participant.consent_version),
        ("consented_at", _utc(participant.consented_at)), ("status", participant.status),
        ("interview_date", participant.interview_date.isoformat() if participant.interview_date else None),
        ("timeline_confirmed", confirmed), ("instrument_versions", versions), ("pipeline_version", PIPELINE_VERSION),
    )
    for name, value in facts:
        if value is not None:
            cells[name] = value
    return tuple(map(cells.get, _PARTICIPANT_COLUMNS))


def _firm_rows(code: str, rows: list[RawRow], key: bytes, flags: list[Flag]) -> list[Row]:
    out: list[Row] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=1):
        values = dict(raw.values)
        name = values.get("firm_name")
        named = isinstance(name, str) and bool(normalise_name(name))
        ref = pseudonym("F", name, key) if named and isinstance(name, str) else f"F-{code}-{number}"
        if ref in seen:
            detail = f"{raw.path or 'firm'}: same firm described twice, kept once"
            flags.append(Flag(None, "conversion_note", detail))
            continue
        seen.add(ref)
        employees = values.get("employees")
        if values.get("sme") is None:
            values["sme"] = is_sme(employees if isinstance(employees, int) else None,
                                   _str(values.get("capital_band")), _str(values.get("industry")))
        values.update(firm_ref=ref, participant_code=code)
        out.append(tuple(map(values.get, _FIRM_COLUMNS)))
    return out


def _str(value: Cell) -> str | None:
    return value if isinstance(value, str) else None


def build_records(*, participant: ParticipantInput, responses: Sequence[ResponseInput], pseudonym_key: bytes,
                  today: date) -> ParticipantRecords:
    """Convert a participant's submitted responses into their career records.

    Pure and deterministic: driven only by the instruments' record mappings; the same input gives
    equal output. ``responses`` are the participant's intake and debrief responses in submission
    order; of several responses to one instrument only the last counts, and instruments without any
    record mapping (screening, consent) are left out. A response's reference date
    (the "now" of ongoing spells and future-date checks) is its submission date, capped by ``today``.
    """
    code = participant.participant_code
    planned = [(r, plan) for r in latest_per_instrument(responses) if (plan := plan_for(r.instrument)).maps_records]
    counted = [r for r, _ in planned]
    extracted = Extracted()
    for number, (response, plan) in enumerate(planned):
        reference = min(response.submitted_at.astimezone(UTC).date() if response.submitted_at.tzinfo
                        else response.submitted_at.date(), today)
        first_row = len(extracted.rows)
        extract(extracted, plan, response.answers, response.meta, number, reference)
        own_rows = extracted.rows[first_row:]  # the rows of this response (``response_no == number``)
        missing = required_problems(response.instrument, response.answers, own_rows, reference)
        extracted.problems.extend(missing)
    by_table: dict[str, list[RawRow]] = {"episodes": [], "skill_events": [], "firms": []}
    for raw in extracted.rows:
        if raw.table in by_table:
            by_table[raw.table].append(raw)
    episodes = sorted([derive_episode(r, pseudonym_key=pseudonym_key) for r in by_table["episodes"]], key=sort_key)
    numbers = {id(e.raw): n for n, e in enumerate(episodes, start=1)}
    birth_year = extracted.participant.get("birth_year")
    nationality = _str(extracted.participant.get("nationality"))
    flags = episode_flags(episodes, birth_year if isinstance(birth_year, int) else None)
    flags.extend(Flag(_episode_of(p.row, numbers), p.flag, p.detail) for p in extracted.problems)

    skill_rows: list[Row] = []
    count = len(episodes)
    for raw in by_table["skill_events"]:
        values = raw.values
        episode_no = values.get("episode_no")
        if episode_no is None:
            parent = raw.parent  # the entry's episode row, mostly: no need to walk up
            episode_no = (numbers.get(id(parent)) if parent is not None and parent.table == "episodes"
                          else _episode_of(parent, numbers))
        event_no = len(skill_rows) + 1
        skill_rows.append((code, event_no, episode_no, *map(values.get, _SKILL_EVENT_COLUMNS)))
        if isinstance(episode_no, int) and not 1 <= episode_no <= count:  # else no flag: a cheap test first
            flags.extend(_dangling_episode({"event_no": event_no, "episode_no": episode_no}, count))
    firm_rows = _firm_rows(code, by_table["firms"], pseudonym_key, flags)
    segments: list[Row] = []
    if participant.codings:  # most participants have no coded transcript (yet)
        coded_skill, segments, coded_flags = coded_rows(participant_code=code, codings=participant.codings,
                                                        n_episodes=len(episodes), first_event_no=len(skill_rows) + 1)
        skill_rows.extend(coded_skill)
        flags.extend(coded_flags)

    # The latest month of the responses that gave episodes (an episode's reference is its response's).
    dated = {e.reference for e in episodes}
    last_month = max(month_index(r.year, r.month) for r in dated) if dated else 0
    first, states, owners = sts_with_episodes(episodes, nationality, last_month)
    versions = ";".join(sorted({f"{r.instrument.id}@{r.instrument.version}" for r in counted}))
    return ParticipantRecords(
        participants=(_participant_row(participant, extracted.participant, episodes, versions,
                                       timeline_confirmed(counted)),),
        episodes=tuple([e.row(code, n) for n, e in enumerate(episodes, start=1)]),
        transitions=tuple(transitions(episodes, participant_code=code, nationality=nationality)),
        skill_events=tuple(skill_rows),
        firms=tuple(firm_rows),
        quality_flags=tuple(flag_rows(code, flags)),
        sequences_spell=tuple(spells(code, first, states, owners)),
        sts=states,
        sts_first_month=first if states else None,
        coded_segments=tuple(segments),
    )

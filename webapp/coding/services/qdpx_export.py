"""The study as a REFI-QDA project: coders (pseudonymous), codebook, transcripts, codings, memos, cases.

Deterministic for the same data (GUIDs are stored, or derived with uuid5 from stable ids). Audited as
``qda.export`` with the stated reason: a transcript is personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from webapp.coding.core import offsets, qdpx
from webapp.coding.services import agreement, codebook
from webapp.coding.services import transcripts as sources
from webapp.models import RECORD_TABLES, Coding, Memo, Participant, Study, Transcript
from webapp.services import audit

#: Case variables: records column -> REFI type.
CASE_VARIABLES = {"participant_type": "Text", "nationality": "Text", "current_residence_status": "Text",
                  "years_in_japan": "Float", "n_employers_japan": "Integer"}
_NAMESPACE = uuid.UUID("6f1c1a52-5b0e-4d8e-9a51-4b6f3c0d2e77")


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def coder_guid(study: Study, ref: str) -> str:
    """The GUID a coder (``C007``, ``consensus``) has in this study's exports, by which an import into the same
    study knows them again. Keyed with the study's secret pseudonym key (an HMAC, which tells nothing of the
    key): ``C001`` of another installation's study — ids and references start at 1 everywhere — has another
    GUID, so its codings come in as an external coder's, not as this study's ``C001``."""
    mac = hmac.new(bytes.fromhex(study.pseudonym_key), f"coder/{ref}".encode(), hashlib.sha256).hexdigest()
    return _guid("coder", mac)


def _codes(session: Session, study: Study) -> list[qdpx.QCode]:
    codes = [c for c in codebook.codes(session=session, study=study, include_inactive=True) if c.status != "merged"]
    notes = defaultdict(list)
    for memo in session.exec(select(Memo).where(Memo.study_id == study.id, Memo.target == "code")):
        notes[memo.target_id].append(memo.guid)
    nodes = {c.id: qdpx.QCode(guid=c.guid, name=c.name, codable=c.status == "active", colour=c.colour.upper(),
                              description=c.description, notes=notes.get(c.id or 0, [])) for c in codes}
    roots: list[qdpx.QCode] = []
    for c in codes:
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.children if parent else roots).append(nodes[c.id])
    return roots


def _cases(session: Session, study: Study, transcripts: list[Transcript]
           ) -> tuple[list[qdpx.QVariable], list[qdpx.QCase]]:
    variables = [qdpx.QVariable(_guid(study.id, "variable", name), name, kind) for name, kind in CASE_VARIABLES.items()]
    by_person: dict[int, list[str]] = defaultdict(list)
    for t in transcripts:
        if t.participant_id is not None:
            by_person[t.participant_id].append(t.guid)
    table = RECORD_TABLES["participants"]
    facts = {r.participant_id: r for r in session.execute(
        sa.select(table).where(table.c.participant_id.in_(list(by_person)))).all()}
    cases = []
    for person in session.exec(select(Participant).where(col(Participant.id).in_(list(by_person)))
                               .order_by(col(Participant.code))):
        row = facts.get(person.id)
        values: dict[str, str | int | float | bool] = {}
        for variable in variables:
            value = getattr(row, variable.name, None) if row is not None else None
            if variable.name == "participant_type" and value is None:
                value = person.participant_type
            if value is not None and value != "":
                values[variable.guid] = value
        cases.append(qdpx.QCase(_guid(study.id, "case", person.id), person.code, values,
                                by_person[person.id or 0]))
    return variables, cases


def project(*, session: Session, study: Study) -> qdpx.QProject:
    """The study's coding as a :class:`qdpx.QProject` (reads every transcript's text)."""
    transcripts = list(session.exec(select(Transcript).where(Transcript.study_id == study.id)
                                    .order_by(col(Transcript.id))))
    codings = list(session.exec(select(Coding).where(Coding.study_id == study.id)
                                .order_by(col(Coding.transcript_id), col(Coding.start), col(Coding.id))))
    memos = list(session.exec(select(Memo).where(Memo.study_id == study.id).order_by(col(Memo.id))))
    users = {ref: qdpx.QUser(coder_guid(study, ref), ref)
             for ref in sorted({agreement.coder_ref(c) for c in codings})}
    coding_notes: dict[int, list[str]] = defaultdict(list)
    transcript_notes: dict[int, list[str]] = defaultdict(list)
    for memo in memos:
        if memo.target in ("coding", "transcript"):
            (coding_notes if memo.target == "coding" else transcript_notes)[memo.target_id].append(memo.guid)
    codes = {c.id: c for c in codebook.codes(session=session, study=study, include_inactive=True)}
    by_transcript: dict[int, list[Coding]] = defaultdict(list)
    for c in codings:
        by_transcript[c.transcript_id].append(c)
    participants = {p.id: p.code for p in session.exec(select(Participant).where(Participant.study_id == study.id))}
    out_sources = []
    for t in transcripts:
        selections = []
        for c in by_transcript.get(t.id or 0, []):
            user = users[agreement.coder_ref(c)].guid
            code = codes[c.code_id]
            target = codes.get(code.merged_into_id) if code.status == "merged" else code
            facts = {"actor": c.actor, "skill_domain": c.skill_domain, "episode": c.episode_no}
            selections.append(qdpx.QSelection(
                guid=c.guid, start=c.start, end=c.end, name=f"¶{c.paragraph}", user=user,
                description=qdpx.keireki_description(facts),
                codings=[qdpx.QCoding(_guid(study.id, "coding", c.id), target.guid if target else code.guid, user)],
                notes=coding_notes.get(c.id or 0, [])))
        name = f"{participants.get(t.participant_id, '')} {t.ref} {t.language} {t.role}".strip()
        out_sources.append(qdpx.QSource(guid=t.guid, name=name, text=sources.read_text(t), selections=selections,
                                        notes=transcript_notes.get(t.id or 0, [])))
    variables, cases = _cases(session, study, transcripts)
    authors = {f"C{m.author_id:03d}": m.author_id for m in memos if m.author_id}
    notes = [qdpx.QNote(m.guid, f"memo {m.target} {m.target_id}", m.text,
                        users[ref].guid if (ref := f"C{m.author_id or 0:03d}") in users and ref in authors else None)
             for m in memos]
    title = study.title.get(study.default_language) or study.slug
    return qdpx.QProject(name=title, origin="Keireki", users=list(users.values()), codes=_codes(session, study),
                         variables=variables, cases=cases, sources=out_sources, notes=notes)


#: The project's ``origin`` when its offsets count UTF-16 units (Keireki's own import reads them so again).
UTF16_ORIGIN = "Keireki (UTF-16 offsets)"


def in_utf16_units(built: qdpx.QProject) -> qdpx.QProject:
    """``built`` with every selection's offsets counted in UTF-16 code units (for NVivo versions that count a
    character outside the BMP, an emoji, as two) instead of code points."""
    for source in built.sources:
        units = offsets.UnitMap(source.text)
        for selection in source.selections:
            selection.start, selection.end = units.to_units(selection.start), units.to_units(selection.end)
    built.origin = UTF16_ORIGIN
    return built


def export(*, session: Session, study: Study, actor: str, user_id: int | None, reason: str,
           units: str = offsets.CODEPOINTS) -> bytes:
    """The ``.qdpx`` bytes; the export is audited (``qda.export``) in the caller's transaction.

    ``units``: what the selections' offsets count, ``codepoints`` (REFI-QDA) or ``utf16``
    (:func:`in_utf16_units`)."""
    if units not in (offsets.CODEPOINTS, offsets.UTF16):
        raise ValueError(units)
    built = project(session=session, study=study)
    if units == offsets.UTF16:
        built = in_utf16_units(built)
    data = qdpx.write(built)
    audit.record(session=session, action="qda.export", actor=actor, study_id=study.id, user_id=user_id,
                 target=f"study:{study.slug}",
                 detail={"reason": reason[:500], "sources": len(built.sources),
                         "selections": sum(len(s.selections) for s in built.sources), "offsets": units})
    return data

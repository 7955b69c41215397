"""Reading a REFI-QDA project coded elsewhere (NVivo, ATLAS.ti, MAXQDA, QualCoder) into a study.

Sources match transcripts by content hash, then by name (a transcript's name or ``ref``); codes match by
name. What matches nothing is reported — or, with ``create_missing``, created: a code (name made snake
case), a source as a transcript without interview (tied to the participant whose code is the case name).
The whole import is one transaction: a hostile or broken file, or any refusal, changes nothing.
Re-importing the same project skips codings already there (same GUID in the study).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from webapp.auth.roles import PERMISSIONS
from webapp.coding.core import offsets, qdpx
from webapp.coding.core.qdpx_read import Limits, QdpxError, read
from webapp.coding.services import CodingError, codebook, codings, qdpx_export
from webapp.coding.services import transcripts as sources
from webapp.models import Code, Coding, Membership, Participant, Study, Transcript, User
from workers.jobs import enqueue_conversion

#: Translated reasons of a refused file.
REASONS = {
    "not_zip": lambda: _("This is not a .qdpx file (not a zip archive)."),
    "too_large": lambda: _("The file is too large."),
    "too_many_entries": lambda: _("The archive holds too many files."),
    "unsafe_path": lambda: _("The archive holds a file name that points outside it; refused."),
    "zip_bomb": lambda: _("A file in the archive unpacks to far more than its size (a zip bomb); refused."),
    "unsafe_xml": lambda: _("The project XML declares a DTD or entities (XXE, billion laughs); refused."),
    "bad_xml": lambda: _("The project XML cannot be read."),
    "schema": lambda: _("The project does not follow the REFI-QDA schema."),
    "no_project": lambda: _("The archive holds no project.qde."),
    "bad_offset": lambda: _("A coded selection lies outside its text."),
    "ambiguous_offsets": lambda: _("The positions in this file may count characters or UTF-16 units (some NVivo "
                                   "versions), and nothing in it tells which. Choose how they are counted."),
}


@dataclass
class ImportReport:
    sources_matched: list[str] = field(default_factory=list)
    sources_created: list[str] = field(default_factory=list)
    sources_unmatched: list[str] = field(default_factory=list)  #: names
    codes_matched: list[str] = field(default_factory=list)
    codes_created: list[str] = field(default_factory=list)
    codes_unmatched: list[str] = field(default_factory=list)
    codings_added: int = 0
    codings_skipped: list[str] = field(default_factory=list)  #: why, per coding not imported (or imported partly)
    memos_added: int = 0
    #: How the offsets were read: ``codepoints``, ``utf16`` or ``lines``, and why
    #: (see :mod:`webapp.coding.core.offsets`).
    offsets: str = offsets.CODEPOINTS
    offsets_why: str = "same"


def refusal(error: QdpxError) -> str:
    """The translated message of a refused file (with where, when known)."""
    message = REASONS.get(error.reason, lambda: _("The file cannot be imported."))()
    return f"{message} ({error.detail})" if error.detail else message


def snake(name: str) -> str:
    """A code name from another tool's name: ASCII snake case, at most 32 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not out or not out[0].isalpha():
        out = f"c_{out}" if out else "code"
    return out[:32].rstrip("_")


def _match_sources(session: Session, study: Study, project: qdpx.QProject, report: ImportReport,
                   create: bool, user: User | None) -> dict[str, Transcript]:
    existing = list(session.exec(select(Transcript).where(Transcript.study_id == study.id)))
    by_hash = {t.sha256: t for t in existing}
    by_name = {t.name: t for t in existing} | {t.ref: t for t in existing} | {t.guid: t for t in existing}
    cases = {s: c.name for c in project.cases for s in c.sources}
    people = {p.code: p for p in session.exec(select(Participant).where(Participant.study_id == study.id))}
    out: dict[str, Transcript] = {}
    for source in project.sources:
        found = by_hash.get(sources.sha256_of(source.text)) or by_name.get(source.name) or by_name.get(source.guid)
        if found is not None and found.sha256 != sources.sha256_of(source.text):
            report.sources_unmatched.append(f"{source.name} ({_('same name, other text')})")
            continue
        if found is None and create:
            person = people.get(cases.get(source.guid, ""))
            found = sources.store(session=session, study_id=study.id, booking_id=None,  # type: ignore[arg-type]
                                  participant_id=person.id if person else None, text=source.text, name=source.name,
                                  language="und", user=user, guid=source.guid)
            report.sources_created.append(source.name)
        elif found is None:
            report.sources_unmatched.append(source.name)
            continue
        else:
            report.sources_matched.append(source.name)
        out[source.guid] = found
    return out


def _match_codes(session: Session, study: Study, project: qdpx.QProject, report: ImportReport,
                 create: bool) -> dict[str, Code]:
    out: dict[str, Code] = {}
    codebook.codebook(session=session, study=study)  # the built-in codes exist before matching

    def visit(node: qdpx.QCode, parent: Code | None) -> None:
        code = codebook.by_name(session=session, study=study, name=node.name) or \
            codebook.by_name(session=session, study=study, name=snake(node.name))
        if code is not None:
            report.codes_matched.append(node.name)
        elif create:
            colour = node.colour.lower() if node.colour and codebook.COLOUR.match(node.colour) else "#7f7f7f"
            code = codebook.add(session=session, study=study, name=snake(node.name), labels={"en": node.name[:80]},
                                description=node.description[:2000], colour=colour,
                                parent_id=parent.id if parent else None, guid=node.guid)
            report.codes_created.append(node.name)
        else:
            report.codes_unmatched.append(node.name)
        if code is not None:
            out[node.guid] = code
        for child in node.children:
            visit(child, code)

    for root in project.codes:
        visit(root, None)
    return out


def _coder(users: dict[str, str], guid: str | None) -> tuple[bool, str]:
    name = users.get(guid or "", "unknown")
    return name == "consensus", name[:100]


_OWN_CODER = re.compile(r"C(\d{3,9})")
#: Roles whose members code transcripts.
_CODING_ROLES = tuple(role for role, allowed in PERMISSIONS.items() if "code" in allowed)


def _own_coders(session: Session, study: Study, project: qdpx.QProject) -> dict[str, User]:
    """The file's users that are this study's own coders as Keireki exported them (``C007``, with the GUID the
    export derives from the study and that reference), by GUID: their codings come back as theirs, not as an
    external coder's. Only current members who code; any other user of the file is an external coder."""
    wanted: dict[str, int] = {}
    for user in project.users:
        own = _OWN_CODER.fullmatch(user.name)
        if own and user.guid == qdpx_export.coder_guid(study, user.name):
            wanted[user.guid] = int(own.group(1))
    if not wanted:
        return {}
    members = {member.id: member for member in session.exec(
        select(User).join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.study_id == study.id, col(Membership.role).in_(_CODING_ROLES),
               col(User.id).in_(set(wanted.values()))))}
    return {guid: members[uid] for guid, uid in wanted.items() if uid in members}


def _codings(session: Session, study: Study, project: qdpx.QProject, matched: dict[str, Transcript],
             codes: dict[str, Code], report: ImportReport, importer: User | None) -> None:
    users = {u.guid: u.name for u in project.users}
    own = _own_coders(session, study, project)
    notes = {n.guid: n for n in project.notes}
    seen = set(session.exec(select(Coding.guid).where(Coding.study_id == study.id)).all())
    for source in project.sources:
        transcript = matched.get(source.guid)
        if transcript is None:
            continue
        for note_guid in source.notes:
            if note_guid in notes:
                codings.add_memo(session=session, study_id=study.id, target="transcript",  # type: ignore[arg-type]
                                 target_id=transcript.id, author=None, text=notes[note_guid].text)  # type: ignore[arg-type]
                report.memos_added += 1
        for selection in source.selections:
            _selection(session, transcript, selection, codes, (users, own, importer), notes, seen, report)


def _selection(session: Session, transcript: Transcript, selection: qdpx.QSelection, codes: dict[str, Code],
               coders: tuple[dict[str, str], dict[str, User], User | None], notes: dict[str, qdpx.QNote],
               seen: set[str], report: ImportReport) -> None:
    users, own, importer = coders
    facts = qdpx.parse_keireki_description(selection.description)
    for number, item in enumerate(selection.codings):
        guid = selection.guid if number == 0 else item.guid
        code = codes.get(item.code)
        where = f"{transcript.name} {selection.start}-{selection.end}"
        if guid in seen:
            report.codings_skipped.append(f"{where}: {_('already imported')}")
            continue
        if code is None:
            report.codings_skipped.append(f"{where}: {_('code not matched')}")
            continue
        consensus, coder = _coder(users, item.user or selection.user)
        member = None if consensus else own.get(item.user or selection.user or "")
        episode = int(facts["episode"]) if facts.get("episode", "").isdigit() else None
        if episode is not None and episode not in _episodes(session, transcript):
            dropped = _("episode %(n)s is not this participant’s; kept without it", n=episode)
            report.codings_skipped.append(f"{where}: {dropped}")
            episode = None
        try:
            made = codings.apply(
                session=session, transcript=transcript, code=code, coder=member, consensus=consensus,
                external_coder=None if consensus or member else coder, recorded_by=importer,
                span=codings.Span(selection.start, selection.end),
                actor=facts.get("actor") or None, skill_domain=facts.get("skill_domain") or None,
                episode_no=episode, guid=guid, queue=False, imported=True)
        except CodingError as exc:
            report.codings_skipped.append(f"{where}: {exc}")
            continue
        seen.add(guid)
        report.codings_added += 1
        if number == 0:
            for note_guid in selection.notes:
                if note_guid in notes:
                    codings.add_memo(session=session, study_id=transcript.study_id, target="coding",
                                     target_id=made.id, author=None, text=notes[note_guid].text)  # type: ignore[arg-type]
                    report.memos_added += 1


def _episodes(session: Session, transcript: Transcript) -> list[int]:
    if transcript.participant_id is None:
        return []
    return codings.episodes_of(session=session, participant_id=transcript.participant_id)


def import_project(*, session: Session, study: Study, data: bytes, user: User | None = None,
                   create_missing: bool = False, limits: Limits | None = None,
                   offset_mode: str = offsets.AUTO) -> ImportReport:
    """Import a ``.qdpx``; raises :class:`CodingError` (translated) for a refused file, changing nothing.

    ``offset_mode``: how the selections' offsets count (``codepoints``, ``utf16``, or ``auto``: from the file).
    """
    try:
        result = read(data, limits=limits, offset_mode=offset_mode)
    except QdpxError as exc:
        raise CodingError(refusal(exc), reason=exc.reason) from exc
    report = ImportReport(offsets=result.reading.mode, offsets_why=result.reading.why)
    report.sources_unmatched.extend(f"{name} ({why})" for name, why in result.skipped)
    try:
        codes = _match_codes(session, study, result.project, report, create_missing)
        matched = _match_sources(session, study, result.project, report, create_missing, user)
        _codings(session, study, result.project, matched, codes, report, user)
        session.flush()
    except Exception:
        session.rollback()
        raise
    people = sorted({t.participant_id for t in matched.values() if t.participant_id is not None})
    session.commit()
    for participant_id in people:
        enqueue_conversion(session=session, participant_id=participant_id, study_id=study.id)  # type: ignore[arg-type]
    return report


def transcripts_of(*, session: Session, study: Study) -> list[Transcript]:
    return list(session.exec(select(Transcript).where(Transcript.study_id == study.id).order_by(col(Transcript.id))))

"""The study's codebook: built-in skill-construction codes, user codes in a hierarchy, versioned changes.

Every change raises ``Codebook.version``. Renaming keeps the code's id (codings follow); merging moves
every coding of the merged code to the target and marks it ``merged``; retiring keeps its codings and
stops offering it. Built-in codes cannot be renamed, merged or retired.
"""

from __future__ import annotations

import re
import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from webapp.coding.services import CodingError
from webapp.models import Code, Codebook, Coding, Study, utcnow
from webapp.models.coding import SKILL_CODES

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABEL = 80
MAX_DESCRIPTION = 2000

#: The built-in codes: name -> (colour, English label, description).
BUILTIN: dict[str, tuple[str, str, str]] = {
    "recognise": ("#1f77b4", "Recognise", "An actor acknowledges a skill the worker has."),
    "cultivate": ("#2ca02c", "Cultivate", "An actor develops the worker's skill (training, mentoring, practice)."),
    "ascribe": ("#ff7f0e", "Ascribe", "An actor attributes a skill to the worker (e.g. by nationality or status)."),
    "limit_deny": ("#d62728", "Limit / deny", "An actor restricts, ignores or denies the worker's skill."),
}
assert tuple(BUILTIN) == SKILL_CODES

BUILTIN_LABELS = {"recognise": _l("Recognise"), "cultivate": _l("Cultivate"), "ascribe": _l("Ascribe"),
                  "limit_deny": _l("Limit / deny")}


def codebook(*, session: Session, study: Study) -> Codebook:
    """The study's codebook, created with the four built-in codes on first use."""
    book = session.exec(select(Codebook).where(Codebook.study_id == study.id)).first()
    if book is not None:
        return book
    book = Codebook(study_id=study.id)  # type: ignore[arg-type]
    session.add(book)
    for name, (colour, label, description) in BUILTIN.items():
        session.add(Code(study_id=study.id, guid=str(uuid.uuid4()), name=name, colour=colour,  # type: ignore[arg-type]
                         labels={"en": label}, description=description, skill_event=name))
    session.flush()
    return book


def _bump(session: Session, study: Study) -> None:
    book = codebook(session=session, study=study)
    book.version += 1
    book.updated_at = utcnow()
    session.add(book)


def codes(*, session: Session, study: Study, include_inactive: bool = False) -> list[Code]:
    """The study's codes, built-in first, then by name; merged codes only with ``include_inactive``."""
    codebook(session=session, study=study)
    query = select(Code).where(Code.study_id == study.id)
    if not include_inactive:
        query = query.where(Code.status == "active")
    rows = list(session.exec(query.order_by(col(Code.id))))
    order = {name: i for i, name in enumerate(SKILL_CODES)}
    return sorted(rows, key=lambda c: (order.get(c.skill_event or "", len(order)), c.name))


def get(*, session: Session, study: Study, code_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None or code.study_id != study.id:
        raise CodingError(_("There is no such code in this study."))
    return code


def by_name(*, session: Session, study: Study, name: str) -> Code | None:
    return session.exec(select(Code).where(Code.study_id == study.id, Code.name == name,
                                           Code.status != "merged")).first()


def _check(session: Session, study: Study, *, name: str, colour: str, labels: dict[str, str], description: str,
           parent_id: int | None, own_id: int | None = None) -> None:
    if not NAME.match(name):
        raise CodingError(_("A code name is 1 to 32 lower-case letters, digits or _, starting with a letter."))
    same = by_name(session=session, study=study, name=name)
    if same is not None and same.id != own_id:
        raise CodingError(_("A code with this name already exists."))
    if not COLOUR.match(colour):
        raise CodingError(_("A colour is written #RRGGBB."))
    if any(len(v) > MAX_LABEL for v in labels.values()):
        raise CodingError(_("A label has at most 80 characters."))
    if len(description) > MAX_DESCRIPTION:
        raise CodingError(_("A description has at most 2000 characters."))
    if parent_id is not None:
        parent: Code | None = get(session=session, study=study, code_id=parent_id)
        seen = {own_id}
        while parent is not None:
            if parent.id in seen:
                raise CodingError(_("A code cannot be its own parent."))
            seen.add(parent.id)
            parent = session.get(Code, parent.parent_id) if parent.parent_id else None


def add(*, session: Session, study: Study, name: str, labels: dict[str, str] | None = None, description: str = "",
        colour: str = "#7f7f7f", parent_id: int | None = None, guid: str | None = None) -> Code:
    """A new user code (name ASCII snake_case ≤ 32, labels ≤ 80 per language)."""
    codebook(session=session, study=study)
    labels = {k: v.strip() for k, v in (labels or {}).items() if v and v.strip()}
    name = name.strip()
    _check(session, study, name=name, colour=colour, labels=labels, description=description, parent_id=parent_id)
    code = Code(study_id=study.id, guid=guid or str(uuid.uuid4()), name=name, labels=labels,  # type: ignore[arg-type]
                description=description.strip(), colour=colour.lower(), parent_id=parent_id)
    session.add(code)
    _bump(session, study)
    session.flush()
    return code


def update(*, session: Session, study: Study, code: Code, name: str, labels: dict[str, str], description: str,
           colour: str, parent_id: int | None) -> Code:
    """Rename or re-describe a code; its codings stay with it."""
    labels = {k: v.strip() for k, v in labels.items() if v and v.strip()}
    name = name.strip()
    if code.skill_event and name != code.name:
        raise CodingError(_("Built-in codes cannot be renamed."))
    _check(session, study, name=name, colour=colour, labels=labels, description=description, parent_id=parent_id,
           own_id=code.id)
    code.name, code.labels, code.description = name, labels, description.strip()
    code.colour, code.parent_id = colour.lower(), parent_id
    session.add(code)
    _bump(session, study)
    session.flush()
    return code


def retire(*, session: Session, study: Study, code: Code, active: bool = False) -> Code:
    """Stop (or, with ``active``, resume) offering a code; its codings are kept."""
    if code.skill_event:
        raise CodingError(_("Built-in codes cannot be retired."))
    if code.status == "merged":
        raise CodingError(_("This code was merged into another one."))
    code.status = "active" if active else "retired"
    session.add(code)
    _bump(session, study)
    session.flush()
    return code


def merge(*, session: Session, study: Study, code: Code, into: Code) -> int:
    """Move every coding of ``code`` to ``into`` and mark ``code`` merged; returns the codings moved."""
    if code.id == into.id or into.study_id != study.id or into.status == "merged":
        raise CodingError(_("Choose another code to merge into."))
    if code.skill_event:
        raise CodingError(_("Built-in codes cannot be merged into others."))
    moved = 0
    for coding in session.exec(select(Coding).where(Coding.code_id == code.id)):
        coding.code_id = into.id  # type: ignore[assignment]
        session.add(coding)
        moved += 1
    for child in session.exec(select(Code).where(Code.parent_id == code.id)):
        child.parent_id = into.id
        session.add(child)
    code.status, code.merged_into_id = "merged", into.id
    session.add(code)
    _bump(session, study)
    session.flush()
    return moved


def label(code: Code, language: str) -> str:
    """The code's name in ``language`` (built-in codes through the UI catalogs), else its name."""
    if code.labels.get(language):
        return code.labels[language]
    if code.skill_event:
        return str(BUILTIN_LABELS[code.skill_event])
    return code.labels.get("en") or code.name

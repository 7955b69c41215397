"""The form: one page per group, repeat entries one at a time, the review and the one submission.

Every POST saves the draft (what could not be accepted is kept as pending and shown back with its
message) and redirects (POST-redirect-GET).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import bindparam
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse

from instruments import engine
from instruments.model import UPLOAD_TYPES, Group, Instrument, Question
from webapp.db import db_session
from webapp.forms import page_service, pages
from webapp.forms.rows import display, entry_summary, page_rows
from webapp.models import Draft, InstrumentVersion, Participant, Study, utcnow
from webapp.participate import bp, career, contact, state
from webapp.participate.services import go_on, intake_draft, resume_info
from webapp.security import allows_upload
from webapp.services import careers, responses, uploads
from webapp.services.studies import SLUG_MAX, instrument_of, version_by_id

_ACTION = re.compile(
    r"(next|back|save|undo|add:[\w-]{1,64}|remove:[\w-]{1,64}:\d{1,4}(?::[0-9a-f]{12})?|lang:[\w-]{2,16})"
)


@dataclass
class Ctx:
    study: Study
    person: Participant
    draft: Draft
    instrument: Instrument
    today: date


def _context(study: str) -> Ctx | WerkzeugResponse:
    s = state.enter(study, with_draft=True)  # one query: the study, the participant, the draft, its version
    person = state.participant(s)
    if person is None:
        return redirect(url_for("participate.start", study=s.slug))
    if person.status != "consented":
        return go_on(s, person)  # type: ignore[return-value]
    draft, version = state.loaded_draft(person) or (None, None)
    if draft is None:
        draft = responses.open_draft(session=db_session(), participant=person, now=utcnow())
    if draft is None:
        return redirect(url_for("participate.thanks", study=s.slug))
    if version is None:
        version = version_by_id(session=db_session(), version_id=draft.instrument_version_id)
    assert version is not None
    return Ctx(s, person, draft, instrument_of(version), utcnow().date())


def _contact_questions(group: Group) -> list[Question]:
    return [q for q in pages.questions(group) if q.is_contact]


def _page_or_404(c: Ctx, page: str) -> Group:
    group = pages.find_page(c.instrument, page)
    if group is None:
        abort(404)
    return group


#: The id and fingerprint of every instrument version of the study of a slug: one query, built once.
_STUDY_VERSIONS = (
    select(InstrumentVersion.id, InstrumentVersion.fingerprint)
    .join(Study, col(Study.id) == InstrumentVersion.study_id)
    .where(col(Study.slug) == bindparam("slug"))
)
#: Per instrument version (id, fingerprint: a loaded version is immutable) the names of its pages that ask for
#: a file, worked out once per process; as many entries as versions exist, a handful.
_UPLOAD_PAGES: dict[tuple[int | None, str], frozenset[str]] = {}


def _upload_pages(version_id: int | None, fingerprint: str) -> frozenset[str]:
    key = (version_id, fingerprint)
    found = _UPLOAD_PAGES.get(key)
    if found is None:
        version = version_by_id(session=db_session(), version_id=version_id) if version_id is not None else None
        if version is None:
            return frozenset()
        instrument = instrument_of(version)
        first: dict[str, Group] = {}
        for group in instrument.groups:  # the page of a name is its first group (pages.find_page)
            first.setdefault(group.name, group)
        found = frozenset(name for name, group in first.items()
                          if any(isinstance(n, Question) and n.type in UPLOAD_TYPES for n in group.walk()))
        _UPLOAD_PAGES[key] = found
    return found


def _page_takes_files(args: dict[str, Any]) -> bool:
    """Whether page ``args["page"]`` of a study's instruments asks for a file (its POST may then carry one
    up to ``KEIREKI_UPLOAD_MAX_BYTES``; every other page keeps the small body limit). One small query (the
    study's versions) per request; what each version's pages ask is worked out once per process."""
    slug, page = str(args.get("study", "")), str(args.get("page", ""))
    if not slug or len(slug) > SLUG_MAX:
        return False
    rows = db_session().exec(_STUDY_VERSIONS, params={"slug": slug}).all()
    return any(page in _upload_pages(version_id, fingerprint) for version_id, fingerprint in rows)


@bp.route("/<study>/form/<page>", methods=["GET", "POST"])
@allows_upload(when=_page_takes_files)
def form_page(study: str, page: str) -> ResponseReturnValue:
    c = _context(study)
    if not isinstance(c, Ctx):
        return c
    group = pages.find_page(c.instrument, page)
    if request.method == "POST" and group is not None and engine.is_relevant(
        c.instrument, group, c.draft.answers, today=c.today
    ):
        return _post_page(c, _part_of(c, group))  # the pages shown are computed once, after the save
    visible = pages.visible_pages(c.instrument, c.draft.answers, c.today)
    if group not in visible:
        if not visible:
            return redirect(url_for("participate.review", study=c.study.slug))
        return redirect(url_for("participate.form_page", study=c.study.slug, page=visible[0].name))
    assert group is not None
    return _show_page(c, _part_of(c, group), visible)


@dataclass
class PartAt:
    """A page and the part of it a request is about (a long page is cut into parts, ``pages.parts``)."""

    group: Group
    chunks: list[Group]
    part: int

    @property
    def shown(self) -> Group:
        return self.chunks[self.part - 1]

    @property
    def key(self) -> str:
        """Where the part's pending values are kept in the draft's ``meta["pending"]``."""
        return self.group.name + (f"/{self.part}" if self.part > 1 else "")


def _part_of(c: Ctx, group: Group) -> PartAt:
    chunks = pages.parts(c.instrument, group, g.language)
    part = request.args.get("part", "1")
    # A part number beyond this language's parts (the page was cut differently in another one): the last part.
    return PartAt(group, chunks, max(1, min(int(part), len(chunks))) if part.isascii() and part.isdigit() else 1)


def _page_url(c: Ctx, group: Group, part: int = 1, **args: Any) -> str:
    return url_for("participate.form_page", study=c.study.slug, page=group.name, part=part if part > 1 else None,
                   **args)


def _show_page(c: Ctx, at: PartAt, visible: list[Group]) -> ResponseReturnValue:
    group = at.group
    meta = c.draft.meta or {}
    pending = meta.get("pending", {}).get(at.key, {})
    contact_qs = _contact_questions(at.shown)
    contact_values = (
        contact.values_for(contact.load(session=db_session(), participant=c.person), contact_qs)
        if contact_qs
        else {}
    )
    values = {**c.draft.answers, **contact_values, **pending.get("values", {})}
    rows, rules = page_rows(
        instrument=c.instrument,
        group=at.shown,
        answers=c.draft.answers,
        values=values,
        errors=pending.get("errors", {}),
        entry=None,
        today=c.today,
        language=g.language,
        contact_values=contact_values,
    )
    _with_uploads(c, rows, c.draft.answers)
    issues = engine.validate_page(c.instrument, group, c.draft.answers, today=c.today)
    for row in rows:
        if row["kind"] == "repeat":
            row["entries"] = _entries(c, row["group"], issues, ids=True)
            row["full"] = row["group"].max_count is not None and len(row["entries"]) >= row["group"].max_count
    index = visible.index(group)
    first = index == 0
    drawn = None
    if group is career.career_page(c.instrument):
        answers = engine.prune_irrelevant(c.instrument, c.draft.answers, c.today)
        drawn = career.draw(instrument=c.instrument, answers=answers, today=c.today, language=g.language,
                            slug=c.study.slug)
    return render_template(
        "participate/form_page.html",
        career=drawn,
        study=c.study,
        participant=c.person,
        group=group,
        rows=rows,
        rules=rules,
        title=c.instrument.text(group.label, g.language) or group.name,
        step=index + 1,
        steps=len(visible),
        part=at.part,
        parts=len(at.chunks),
        appeared=bool(pending.get("appeared")),
        has_errors=bool(pending.get("errors")),
        show_resume=(first and at.part == 1) or request.args.get("saved") == "1",
        info=resume_info(c.study, c.person, c.draft),
        back=not first or at.part > 1,
        undo=isinstance(meta.get("undo"), dict) and meta["undo"].get("page") == group.name,
    )


def _with_uploads(c: Ctx, rows: list[dict[str, Any]], values: dict[str, Any]) -> None:
    """Upload rows get the stored file ("File received: name, size") when the answer has one."""
    wanted = [r for r in rows if r.get("widget") == "file"]
    found = uploads.describe(
        session=db_session(), participant_id=c.person.id, keys=[values.get(r["name"]) for r in wanted]  # type: ignore[arg-type]
    )
    for row in wanted:
        upload = found.get(values.get(row["name"]))  # type: ignore[arg-type]
        if upload is not None:
            row.update(upload=upload, upload_size=_size(upload.size))


def _size(size: int) -> str:
    """A file size as the page's language writes it (``1.2 MB``, ``340 kB``)."""
    if size >= 1_000_000:
        return f"{format_decimal(round(size / 1_000_000, 1))} MB"
    return f"{format_decimal(max(1, round(size / 1000)))} kB"


def _entries(
    c: Ctx, repeat: Group, issues: dict[str, Any], answers: dict[str, Any] | None = None, *, ids: bool = False
) -> list[dict[str, Any]]:
    entries = (c.draft.answers if answers is None else answers).get(repeat.name)
    out = []
    shown = [q for q in pages.questions(repeat) if pages.answerable(q) and not q.is_contact]
    raw = (c.draft.meta or {}).get("raw") or {}
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            entry = {}
        head = f"{repeat.name}[{i}]."
        typed = {p[len(head):]: v for p, v in raw.items() if p.startswith(head)}
        out.append(
            {
                "n": i + 1,
                "summary": entry_summary(c.instrument, shown, entry, g.language, typed),
                "incomplete": any(k.startswith(f"{repeat.name}[{i}].") for k in issues),
                # Remove names the entry by its id too: a double tap or a list shown before another window
                # removed an entry must not remove the entry that moved up into its place.
                "id": pages.saved_entry_id(c.draft.meta or {}, repeat.name, i) if ids else "",
            }
        )
    return out


def _apply(
    c: Ctx, group: Group, key: str, entry: pages.Entry, *, complete: bool = True
) -> tuple[page_service.PageOutcome, dict[str, Any]]:
    contact_qs = _contact_questions(group)
    record = contact.load(session=db_session(), participant=c.person) if contact_qs else {}
    known = contact.values_for({k: v for k, v in record.items() if k != "_pending"}, contact_qs)
    asked = page_service.page_questions(group)
    raw = page_service.read_raw(instrument=c.instrument, questions=asked, language=g.language)
    refused = uploads.take_page(
        session=db_session(), participant=c.person, questions=asked, raw=raw,
        scope=pages.scope_of(c.draft.answers, entry), prefix=pages.entry_prefix(entry),
        files=request.files, form=request.form,
    )
    outcome = page_service.apply_page(
        instrument=c.instrument,
        group=group,
        raw=raw,
        answers=c.draft.answers,
        meta=c.draft.meta or {},
        contact=known,
        entry=entry,
        today=c.today,
        language=g.language,
        complete=complete,
        seen=page_service.read_seen(),
    )
    outcome.errors.update(refused)  # a refused file: the answer stays as it was, the page is shown again
    meta = outcome.meta
    meta.setdefault("pending", {})
    if outcome.errors or outcome.pending or outcome.appeared or outcome.contact_pending:
        meta["pending"][key] = {
            "values": outcome.pending,
            "errors": outcome.errors,
            "appeared": outcome.appeared,
        }
    else:
        meta["pending"].pop(key, None)
    if contact_qs:
        contact.save(
            session=db_session(),
            participant=c.person,
            questions=contact_qs,
            values=outcome.contact,
            pending=outcome.contact_pending,
            now=utcnow(),
        )
    return outcome, meta


#: Buttons that are not "next": they check only what was typed, not what the participant has not reached.
_PARTIAL = ("add:", "remove:", "lang:", "undo")


def _post_page(c: Ctx, at: PartAt) -> ResponseReturnValue:
    group = at.group
    action = request.form.get("action", "next")
    if not _ACTION.fullmatch(action):
        action = "save"
    c.draft = responses.lock_draft(session=db_session(), draft=c.draft)  # a save after a save, never beside it
    outcome, meta = _apply(c, at.shown, at.key, None, complete=not action.startswith(_PARTIAL))
    answers = outcome.answers
    for repeat in pages.repeats(group):  # entries saved before ids existed get theirs
        meta = pages.with_entry_ids(meta, repeat.name, pages.entry_ids(answers, meta, repeat.name))
    if action.startswith("remove:"):
        answers, meta = _remove(group, action, answers, meta)
    elif action == "undo":
        answers, meta = _undo(group, answers, meta)
    else:
        meta.pop("undo", None)
    responses.save_page(
        session=db_session(), draft=c.draft, answers=answers, meta=meta, page=group.name, now=utcnow()
    )
    return redirect(_target(c, at, action, answers, blocked=not outcome.accepted), code=303)


def _remove(
    group: Group, action: str, answers: dict[str, Any], meta: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Remove an entry in one tap, keeping what it was for one "Undo" (until the next save).

    The button names the entry by number and id (``remove:jobs:2:<id>``): the entry of that id is removed
    wherever it is now, and none when it is gone already (a double tap; removed in another window), so
    the entry that moved up into its place stays (and so does the Undo of the first tap)."""
    name, number, *named = action.split(":")[1:]
    if name not in {r.name for r in pages.repeats(group)}:
        meta.pop("undo", None)
        return answers, meta
    index = int(number) - 1
    if named:
        ids = pages.entry_ids(answers, meta, name)
        if named[0] not in ids:
            return answers, meta
        index = ids.index(named[0])
    meta.pop("undo", None)
    before = {"page": group.name, "answers": answers, "meta": meta}
    answers, meta = pages.remove_entry(
        answers=answers, meta=meta, repeat=name, index=index, page=group.name
    )
    meta.get("pending", {}).pop(group.name, None)
    meta["undo"] = before
    flash(_("The entry was removed."))
    return answers, meta


def _undo(group: Group, answers: dict[str, Any], meta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    saved = (meta.get("undo") or {}) if isinstance(meta.get("undo"), dict) else {}
    if saved.get("page") != group.name or not isinstance(saved.get("answers"), dict):
        return answers, meta
    flash(_("The entry is back."))
    return saved["answers"], dict(saved.get("meta") or {})


def _target(c: Ctx, at: PartAt, action: str, answers: dict[str, Any], *, blocked: bool) -> str:
    """Where a posted page (part) goes on; the pages shown are computed once, on the saved answers."""
    slug, group = c.study.slug, at.group
    if action.startswith("add:"):
        name = action.split(":")[1]
        repeat = next((r for r in pages.repeats(group) if r.name == name), None)
        count = len(answers.get(name) or [])
        if repeat is not None and (repeat.max_count is None or count < repeat.max_count):
            return url_for("participate.entry", study=slug, page=group.name, n=count + 1, r=name)
    elif action.startswith("lang:"):  # form.js: a language link saves what is typed first
        return url_for("participate.form_page", study=slug, page=group.name, lang=action[5:])
    elif action == "save":
        flash(_("Your answers are saved."))
        return _page_url(c, group, at.part, saved=1)
    elif action in ("back", "next") and not (action == "next" and blocked):
        return _step_target(c, at, action == "back", answers)
    return _page_url(c, group, at.part)


def _step_target(c: Ctx, at: PartAt, back: bool, answers: dict[str, Any]) -> str:
    """Back or Next: the part before or after in the page, else the page before (its last part) or after."""
    if back and at.part > 1:
        return _page_url(c, at.group, at.part - 1)
    if not back and at.part < len(at.chunks):
        return _page_url(c, at.group, at.part + 1)
    visible = pages.visible_pages(c.instrument, answers, c.today)
    index = visible.index(at.group) if at.group in visible else -1
    if back:
        if index > 0:
            before = visible[index - 1]
            return _page_url(c, before, len(pages.parts(c.instrument, before, g.language)))
        return _page_url(c, at.group, at.part)
    later = visible[index + 1 :]
    return _page_url(c, later[0]) if later else url_for("participate.review", study=c.study.slug)


@dataclass
class EntryAt:
    """The repeat entry a request is about: page, repeat, entry number ``n`` (1-based) and part."""

    group: Group
    repeat: Group
    n: int
    count: int  #: entries so far
    chunks: list[Group]  #: the entry's parts
    part: int
    entry_id: str = ""  #: the entry's stable id ("" for an entry saved before ids existed, not yet given one)
    slot: pages.EntrySlot | None = None  #: where a posted form saves (the entry of its id, or a new one)
    ids: list[str] | None = None  #: a post: the ids of the repeat's entries before it

    @property
    def shown(self) -> Group:
        return self.chunks[self.part - 1]

    @property
    def key(self) -> str:
        """Where the entry's pending values are kept in the draft's ``meta["pending"]``."""
        return f"{self.group.name}/{self.repeat.name}/{self.n}" + (f"/{self.part}" if self.part > 1 else "")


def _entry_at(c: Ctx, page: str, n: int, *, posted: bool = False) -> EntryAt:
    """The entry of a request. A posted form is placed by the id it carries (:func:`pages.place_entry`):
    ``n`` becomes where that entry is now, or a new entry at the end, even if the URL's number is past the
    entries by now (removed in another window); nothing typed meets a 404."""
    group = _page_or_404(c, page)
    found = pages.repeats(group)
    name = request.args.get("r") or (found[0].name if found else "")
    repeat = next((r for r in found if r.name == name), None)
    entries = c.draft.answers.get(name) if repeat else None
    count = len(entries) if isinstance(entries, list) else 0
    if repeat is None or n < 1:
        abort(404)
    slot = ids = None
    if posted:
        ids = pages.entry_ids(c.draft.answers, c.draft.meta or {}, name)
        slot = pages.place_entry(ids=ids, n=n, posted_id=request.form.get("_entry", ""),
                                 opened_new=request.form.get("_new") == "1")
        n = slot.index + 1
    elif n > count + 1 or (n > count and repeat.max_count is not None and count >= repeat.max_count):
        abort(404)
    chunks = pages.parts(c.instrument, repeat, g.language)
    part = request.args.get("part", "1")
    if (not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= len(chunks)
            or (int(part) > 1 and n > count and not posted)):
        abort(404)
    entry_id = slot.entry_id if slot else pages.saved_entry_id(c.draft.meta or {}, name, n - 1) if n <= count \
        else pages.new_entry_id()
    return EntryAt(group, repeat, n, count, chunks, int(part), entry_id, slot, ids)


def _list_url(c: Ctx, at: EntryAt) -> str:
    """The page (the part of it) with the entry's repeat list, where saving or cancelling an entry goes back."""
    chunks = pages.parts(c.instrument, at.group, g.language)
    part = next((i for i, chunk in enumerate(chunks, 1) if at.repeat in chunk.children), 1)
    return _page_url(c, at.group, part)


def _entry_url(c: Ctx, at: EntryAt, part: int) -> str:
    return url_for("participate.entry", study=c.study.slug, page=at.group.name, n=at.n, r=at.repeat.name,
                   part=part if part > 1 else None)


@bp.route("/<study>/form/<page>/entry/<int:n>", methods=["GET", "POST"])
@allows_upload(when=_page_takes_files)
def entry(study: str, page: str, n: int) -> ResponseReturnValue:
    c = _context(study)
    if not isinstance(c, Ctx):
        return c
    if request.method == "POST":
        if request.form.get("action", "") != "cancel":  # a save after a save, never beside it
            c.draft = responses.lock_draft(session=db_session(), draft=c.draft)
        return _post_entry(c, _entry_at(c, page, n, posted=True))
    return _show_entry(c, _entry_at(c, page, n))


def _post_entry(c: Ctx, at: EntryAt) -> ResponseReturnValue:
    page_url = _list_url(c, at)
    action = request.form.get("action", "")
    if action == "cancel":
        return redirect(page_url, code=303)
    outcome, meta = _apply(c, at.shown, at.key, (at.repeat.name, at.n - 1))
    meta.pop("undo", None)
    assert at.slot is not None
    assert at.ids is not None
    ids = list(at.ids)
    if at.slot.index == len(ids):  # a new entry (or one removed meanwhile, kept as new), under the form's id
        ids.append(at.slot.entry_id)
    meta = pages.with_entry_ids(meta, at.repeat.name, ids)
    meta = pages.with_entry_ids(meta, at.repeat.name, pages.entry_ids(outcome.answers, meta, at.repeat.name))
    if at.slot.gone:
        flash(_("This entry had been removed in another window. What you typed is kept as a new entry."))
    responses.save_page(
        session=db_session(), draft=c.draft, answers=outcome.answers, meta=meta, page=at.group.name, now=utcnow()
    )
    here = _entry_url(c, at, at.part)
    if action.startswith("lang:") and len(action) < 24:
        return redirect(f"{here}{'&' if '?' in here else '?'}{urlencode({'lang': action[5:]})}", code=303)
    if not outcome.accepted:
        return redirect(here, code=303)
    if at.part < len(at.chunks):
        return redirect(_entry_url(c, at, at.part + 1), code=303)
    flash(_("The entry was saved."))
    return redirect(page_url, code=303)


def _show_entry(c: Ctx, at: EntryAt) -> ResponseReturnValue:
    pending = (c.draft.meta or {}).get("pending", {}).get(at.key, {})
    scope = pages.scope_of(c.draft.answers, (at.repeat.name, at.n - 1))
    rows, rules = page_rows(
        instrument=c.instrument,
        group=at.shown,
        answers=c.draft.answers,
        values={**scope, **pending.get("values", {})},
        errors=pending.get("errors", {}),
        entry=(at.repeat.name, at.n - 1),
        today=c.today,
        language=g.language,
    )
    _with_uploads(c, rows, scope)
    return render_template(
        "participate/entry.html",
        study=c.study,
        participant=c.person,
        group=at.group,
        repeat=at.repeat,
        n=at.n,
        rows=rows,
        rules=rules,
        title=c.instrument.text(at.repeat.label, g.language) or at.repeat.name,
        page_title=c.instrument.text(at.group.label, g.language),
        page_url=_list_url(c, at),
        is_new=at.n == at.count + 1,
        entry_id=at.entry_id,
        part=at.part,
        parts=len(at.chunks),
        appeared=bool(pending.get("appeared")),
        has_errors=bool(pending.get("errors")),
        **_step(c, at.group),
    )


def _step(c: Ctx, group: Group) -> dict[str, int]:
    visible = pages.visible_pages(c.instrument, c.draft.answers, c.today)
    return {"step": visible.index(group) + 1 if group in visible else 1, "steps": len(visible)}


@bp.route("/<study>/review")
def review(study: str) -> ResponseReturnValue:
    c = _context(study)
    if not isinstance(c, Ctx):
        return c
    answers = engine.prune_irrelevant(c.instrument, c.draft.answers, c.today)
    missing = engine.required_missing(c.instrument, answers, c.today)
    visible = pages.visible_pages(c.instrument, answers, c.today)
    # Contact details are not answers (encrypted apart, see webapp.participate.contact): shown to be checked too.
    contact_qs = [q for group in visible for q in _contact_questions(group)]
    contacts = (contact.values_for(contact.load(session=db_session(), participant=c.person), contact_qs)
                if contact_qs else {})
    sections = []
    for group in visible:
        lines: list[dict[str, Any]] = []
        given: list[str] = []  # the contact details, on one line under the page's title (the page stays light)
        for node in pages.items(group):
            if isinstance(node, Group):
                # The repeat's entries as a numbered list of their summaries (as on the page's list), so the
                # review stays light with 15 jobs.
                entries = [entry["summary"] for entry in _entries(c, node, {}, answers)]
                if entries:
                    lines.append({"label": c.instrument.text(node.label, g.language), "entries": entries})
            elif node.is_contact:
                given.extend(str(line["value"]) for line in _lines(c, [node], contacts))
            else:
                lines.extend(_lines(c, [node], answers))
        sections.append(
            {
                "name": group.name,
                "title": c.instrument.text(group.label, g.language) or group.name,
                "lines": lines,
                "contact": " · ".join(given),
                "missing": [m for m in missing if _page_of(c.instrument, m) == group.name],
            }
        )
    drawn = career.draw(instrument=c.instrument, answers=answers, today=c.today, language=g.language,
                        slug=c.study.slug)
    said = (c.draft.meta or {}).get("timeline")
    return render_template(
        "participate/review.html",
        career=drawn,
        confirmed=drawn is not None and isinstance(said, dict) and said.get("confirmed") == drawn.digest,
        study=c.study,
        participant=c.person,
        sections=sections,
        complete=not missing,
        info=resume_info(c.study, c.person, c.draft),
        title=_("Check your answers"),
    )


def _lines(c: Ctx, questions: list[Question], scope: dict[str, Any]) -> list[dict[str, Any]]:
    files = uploads.describe(
        session=db_session(), participant_id=c.person.id,  # type: ignore[arg-type]
        keys=[scope.get(q.name) for q in questions if q.type in UPLOAD_TYPES],
    )
    typed = (c.draft.meta or {}).get("raw") or {}
    return [
        {
            "label": c.instrument.text(q.label, g.language),
            "value": _file_line(files[scope[q.name]]) if q.type in UPLOAD_TYPES and scope[q.name] in files
            else display(c.instrument, q, scope[q.name], g.language, typed.get(q.name)),
        }
        for q in questions
        if pages.answerable(q) and q.name in scope and q.type != "acknowledge"
    ]


def _file_line(upload: Any) -> str:
    return _("File received: %(name)s (%(size)s)", name=upload.name, size=_size(upload.size))


def _page_of(instrument: Instrument, path: str) -> str | None:
    name = path.split("[")[0]  # a top-level path is the name itself (names may hold dots)
    for group in instrument.groups:
        if any(node.name == name for node in group.walk()):
            return group.name
    return None


@bp.route("/<study>/review/career", methods=["POST"])
def confirm_career(study: str) -> ResponseReturnValue:
    """"Yes, this is my career": the career the answers draw now is kept as confirmed (until it changes)."""
    c = _context(study)
    if not isinstance(c, Ctx):
        return c
    answers = engine.prune_irrelevant(c.instrument, c.draft.answers, c.today)
    found = careers.timeline_of(c.instrument, answers, c.today)
    if found and request.form.get("career") == "yes":
        meta = {**(c.draft.meta or {}), "timeline": {"confirmed": careers.timeline_digest(found)}}
        responses.save_page(session=db_session(), draft=c.draft, answers=c.draft.answers, meta=meta,
                            page=c.draft.page, now=utcnow())
    return redirect(url_for("participate.review", study=c.study.slug) + "#career", code=303)


@bp.route("/<study>/submit", methods=["POST"])
def submit(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = state.participant(s)
    if person is None:
        return redirect(url_for("participate.start", study=s.slug), code=303)
    if person.status in ("submitted", "interviewed"):
        return redirect(url_for("participate.thanks", study=s.slug), code=303)
    if person.status != "consented":
        return go_on(s, person)
    try:
        responses.submit_response(
            session=db_session(), participant=person, draft=intake_draft(person), now=utcnow()
        )
    except responses.IncompleteError:
        flash(_("Some answers are still missing. Please complete them, then send your answers."))
        return redirect(url_for("participate.review", study=s.slug), code=303)
    except LookupError:
        return go_on(s, person)
    return redirect(url_for("participate.thanks", study=s.slug), code=303)

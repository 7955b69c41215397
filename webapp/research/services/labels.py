"""Researcher-facing names of codes (UI catalog strings); times are ``webapp.services.times``."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

PARTICIPANT_TYPES = {"ti": _l("Technical intern"), "sie": _l("Self-initiated expatriate"),
                     "manager": _l("SME manager")}
STATUSES = {"screened": _l("Screened"), "consented": _l("Consented"), "submitted": _l("Form submitted"),
            "interviewed": _l("Interviewed"), "withdrawn": _l("Withdrawn")}
BOOKING_STATUSES = {"booked": _l("Booked"), "cancelled": _l("Cancelled"), "completed": _l("Completed"),
                    "no_show": _l("Did not come"), "rescheduled": _l("Rescheduled")}
#: Kinds of career transitions (contract vocabulary ``transition_kind``; no instrument list names them).
TRANSITION_KINDS = {
    "status_change": _l("Change of residence status"), "employer_change": _l("Change of employer"),
    "occupation_change": _l("Change of occupation"), "return_home": _l("Return to the home country"),
    "to_overseas_subsidiary": _l("Move to an overseas subsidiary"),
    "ti_to_ssw_same_employer": _l("Technical intern to specified skilled worker, same employer"),
    "ti_to_ssw_new_employer": _l("Technical intern to specified skilled worker, new employer"),
    "promotion": _l("Promotion"), "entry_to_japan": _l("Entry to Japan"),
}
JOB_STATUSES = {"queued": _l("Waiting"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
QUALITY_FLAGS = {
    "any": _l("Any flag"),
    "overlap": _l("Overlapping episodes"),
    "end_before_start": _l("End before start"),
    "future_date": _l("Date in the future"),
    "gap_over_12_months": _l("Gap of more than 12 months"),
    "under_15_at_start": _l("Under 15 at the start"),
    "missing_required": _l("Required answer missing"),
    "zawgyi_converted": _l("Zawgyi text converted"),
    "era_date_parsed": _l("Japanese era date read"),
    "unparsed_date": _l("Date not understood"),
    "skill_event_episode_missing": _l("Skill event names an episode the career record does not have"),
    "conversion_note": _l("Conversion note"),
}


def label(mapping: dict[str, object], code: str | None) -> str:
    """The translated name of a code, else the code itself."""
    if code is None:
        return ""
    return str(mapping.get(code, code))


def init_filters(app: Flask) -> None:
    app.jinja_env.globals.update(
        type_label=lambda c: label(PARTICIPANT_TYPES, c), status_label=lambda c: label(STATUSES, c),
        booking_label=lambda c: label(BOOKING_STATUSES, c), job_label=lambda c: label(JOB_STATUSES, c),
        flag_label=lambda c: label(QUALITY_FLAGS, c), transition_label=lambda c: label(TRANSITION_KINDS, c),
    )

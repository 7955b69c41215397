"""What the schedule pages share: the viewer's language and permissions, the interview they may see, slot lists.

Used by the route modules of this package only (no HTTP routes here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import abort, g
from flask_login import current_user

from webapp.auth.roles import PERMISSIONS
from webapp.db import db_session
from webapp.extensions import UI_LANGUAGES
from webapp.models import Booking, InterviewType
from webapp.schedule.services.messages import JAPAN, babel_locale
from webapp.schedule.services.slots import Slot, group_by_day

SLOT_FORMAT = "%Y%m%dT%H%MZ"
DAYS_PER_PAGE = 7


def parse_slot(value: str | None) -> datetime | None:
    """A slot value of a form (``SLOT_FORMAT``, UTC) as an instant, or ``None`` when malformed."""
    try:
        return datetime.strptime(value or "", SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def researcher_language() -> str:
    """Researcher pages follow the user's UI language."""
    lang = getattr(current_user, "ui_language", "en")
    g.language = lang if lang in UI_LANGUAGES else "en"
    return str(g.language)


def allowed(permission: str) -> bool:
    """Whether the viewer's role in the current study has ``permission``."""
    return permission in PERMISSIONS[g.role]


def type_name(itype: InterviewType | None, language: str) -> str:
    """The interview type's name in ``language`` (else English, else any)."""
    if itype is None:
        return ""
    return itype.name.get(language) or itype.name.get("en") or next(iter(itype.name.values()), "")


def own_or_all(booking: Booking) -> None:
    """Interviewers see their own interviews only; ``schedule`` sees every interview of the study."""
    if booking.study_id != g.study.id:
        abort(404)
    if not allowed("schedule") and booking.interviewer_id != current_user.id:
        abort(404)


def booking_for_viewer(booking_id: int) -> Booking:
    """The interview ``booking_id`` of the current study if the viewer may see it, else 404."""
    booking = db_session().get(Booking, booking_id)
    if booking is None:
        abort(404)
    own_or_all(booking)
    return booking


def slot_days(slots: list[Slot], *, zone: str, language: str, page: int) -> dict[str, Any]:
    """Slots grouped by day in ``zone`` for one page of days, with labels in ``language``."""
    days = group_by_day(slots, zone)
    shown = days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    loc, tz, jst = babel_locale(language), ZoneInfo(zone), ZoneInfo(JAPAN)
    groups = []
    for day, day_slots in shown:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        items = [
            {
                "value": s.start.strftime(SLOT_FORMAT),
                "time": format_time(s.start, "short", tzinfo=tz, locale=loc),
                "japan": format_time(s.start, "short", tzinfo=jst, locale=loc) if zone != JAPAN else None,
            }
            for s in day_slots
        ]
        groups.append(
            {
                "label": format_skeleton("MMMMEd", noon, tzinfo=UTC, locale=loc),
                "short": format_skeleton("MMMEd", noon, tzinfo=UTC, locale=loc),
                "key": day.isoformat(),
                "slots": items,
            }
        )
    return {"groups": groups, "page": page, "more": len(days) > (page + 1) * DAYS_PER_PAGE}

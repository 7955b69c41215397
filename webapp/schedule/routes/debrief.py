"""The interviewer's debrief page of an interview (built by ``webapp.schedule.services.debrief_page.debrief_page``)."""

from __future__ import annotations

from typing import Any

from webapp.auth.roles import study_view
from webapp.models import Study
from webapp.schedule import bp
from webapp.schedule.routes.common import booking_for_viewer, researcher_language
from webapp.schedule.services.debrief_page import debrief_page


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/debrief", methods=["GET", "POST"])
@study_view("interview")
def debrief(study: Study, booking_id: int) -> Any:
    """Fill in the debrief for the interview's participant, or change the saved one (a new version)."""
    language = researcher_language()
    return debrief_page(booking=booking_for_viewer(booking_id), language=language)

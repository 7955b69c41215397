"""The one-line summary of a job entry on the page and the review (issue 15, Low): employer, dates, a
choice; never a bare number."""

from __future__ import annotations

from instruments.loader import load_bundled
from webapp.forms import pages
from webapp.forms.rows import entry_summary


def test_a_job_reads_with_its_dates_and_no_bare_number() -> None:
    instrument = load_bundled()["ti_intake"]
    group = pages.find_page(instrument, "japan_jobs")
    assert group is not None
    repeat = next(r for r in pages.repeats(group) if r.name == "jobs")
    shown = [q for q in pages.questions(repeat) if pages.answerable(q)]
    entry = {
        "job_employer": "Sato Foods",
        "job_employees": 25,
        "job_start": "2019-04",
        "job_end": "2020-01",
    }
    line = entry_summary(instrument, shown, entry, "en")
    assert line.startswith("Sato Foods · 2019-04 – 2020-01")
    assert " 25 " not in f" {line} "
    open_job = entry_summary(instrument, shown, {**entry, "job_end": None}, "en")
    assert "2019-04 –" in open_job

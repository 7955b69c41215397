"""Scheduling operations (keyword-only, typed): no HTTP here, the pages are in ``webapp.schedule.routes``.

- ``booking``: book, reschedule, cancel, outcome (one serialised transaction each), tokens
- ``availability``: interviewers, their windows and busy spans from the database -> ``open_slots``
- ``slots``: the pure slot arithmetic (no database)
- ``messages`` / ``ics``: texts and calendar files to participants and interviewers
- ``reminders``: planned reminders, claimed and sent by the beat task
- ``deliveries``: a message sent by hand, recorded once
- ``transcripts``: transcript files (extract, store encrypted, read)
- ``debrief``: the interviewer's debrief (save, check, and the page builder ``debrief_page``)
- ``contact``: the participant's contact details chosen at booking
"""

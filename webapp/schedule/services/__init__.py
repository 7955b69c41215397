"""Scheduling operations (keyword-only, typed): no HTTP here, the pages are in ``webapp.schedule.routes``.

- ``booking``: book, reschedule, cancel, outcome (one serialised transaction each), tokens
- ``availability``: interviewers, their windows and busy spans from the database -> ``open_slots``
- ``slots``: the pure slot arithmetic (no database)
- ``messages`` / ``ics``: texts and calendar files to participants and interviewers
- ``reminders``: planned reminders, claimed and sent by the beat task
- ``deliveries``: a message sent by hand, recorded once
- ``transcripts`` / ``docx_text``: transcript files (extract, store encrypted, read)
- ``outbox``: the outbox's items as a viewer may see them
- ``debrief``: the interviewer's debrief (save, check, revisions); ``debrief_page``: its page builder
- ``contact``: the contact typed on the booking form, checked and merged into ``webapp.services.contacts``
"""

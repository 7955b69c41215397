"""The scheduling pages, by audience: ``participant`` (book, reschedule, cancel), ``interviews`` (agenda and one
page per interview), ``debrief``, ``admin`` (availability, interview types, outbox). Operations are in
``webapp.schedule.services``; what the pages share is in ``common``.
"""

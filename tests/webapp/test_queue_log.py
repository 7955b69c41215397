"""waitress's queue warning (one line per request queued while its threads are busy) is kept to one a minute."""

from __future__ import annotations

import logging

import pytest
from waitress.task import ThreadedTaskDispatcher

from webapp import redaction


def test_a_burst_of_queued_requests_logs_one_line_then_a_summary(caplog: pytest.LogCaptureFixture) -> None:
    redaction.throttle_queue_warnings()
    redaction.throttle_queue_warnings()  # idempotent: one filter
    logger = logging.getLogger("waitress.queue")
    throttles = [f for f in logger.filters if isinstance(f, redaction._Throttle)]
    assert len(throttles) == 1
    throttles[0]._next = 0.0  # whatever an earlier test logged
    dispatcher = ThreadedTaskDispatcher()  # no threads: every task queues and waitress warns
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        for _ in range(500):
            dispatcher.add_task(object())
        assert [r.getMessage() for r in caplog.records] == ["Task queue depth is 1"]
        throttles[0]._next = 0.0  # a minute later
        dispatcher.add_task(object())
    assert len(dispatcher.queue) == 501  # the tasks are all queued: only the lines were held back
    assert caplog.records[-1].getMessage() == (
        "Task queue depth is 501 (at most 501 in the last 60 s, 499 more such lines held back)")

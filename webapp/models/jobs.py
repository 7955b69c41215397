"""Background jobs with progress and leases: the application-level guarantee that work is done.

Every job a user or the system starts is a row here before its Celery message is sent. A task takes
a lease while it runs; the beat sweeper re-enqueues jobs whose lease expired (a killed worker) or
whose message never started (a lost message), so no broker is trusted to redeliver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int | None = Field(default=None, foreign_key="study.id", index=True)
    kind: str = Field(max_length=32, index=True)  #: convert | rebuild | export | ...
    status: str = Field(default="queued", max_length=16, index=True)
    params: dict[str, Any] = json_field()
    total: int = 0  #: units of work, for progress
    done: int = 0
    attempts: int = 0
    max_attempts: int = 5
    error: str | None = Field(default=None, max_length=2000)
    result: dict[str, Any] = json_field()  #: e.g. the export file's path, size and sha256
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = ts_field(default_now=True)
    started_at: datetime | None = ts_field(nullable=True)
    finished_at: datetime | None = ts_field(nullable=True)
    lease_until: datetime | None = ts_field(nullable=True, index=True)
    expires_at: datetime | None = ts_field(nullable=True)  #: when its result is deleted

"""Celery the Flask way (Flask's ``celery_init_app`` recipe): every task runs in the app context.

Tasks live in ``workers/tasks/*.py`` as ``@shared_task``; they take ids, never objects (JSON only).
Start a worker with ``celery -A workers.entry worker`` and beat with ``celery -A workers.entry beat``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask, has_app_context

from workers.tasks import exports, participate, records, schedule, system
from workers.transport import Transport

#: Task modules: imported here, so their ``@shared_task`` functions are registered, and named to Celery's
#: ``include`` for the worker.
TASK_MODULES = [module.__name__ for module in (system, records, schedule, exports, participate)]

#: Periodic jobs run by beat. Each task guards itself against running twice (claims in the database).
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "sweep-jobs": {"task": "keireki.sweep_jobs", "schedule": timedelta(seconds=30)},
    "send-reminders": {"task": "keireki.send_due_reminders", "schedule": timedelta(seconds=60)},
    "expire-exports": {"task": "keireki.expire_exports", "schedule": timedelta(hours=1)},
    "expire-drafts": {"task": "keireki.expire_drafts", "schedule": timedelta(hours=6)},
}


def init_celery(app: Flask) -> Celery[Any]:
    settings = app.config["KEIREKI"]

    class FlaskTask(Task):  # type: ignore[type-arg,unused-ignore]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # Called directly inside an app context (a test, a CLI command): run there. In a worker no
            # context exists, and the task gets one of the app that made this Celery app.
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    if settings.broker_url.startswith("filesystem"):
        for key in ("data_folder_out", "control_folder"):
            Path(settings.broker_transport_options()[key]).mkdir(parents=True, exist_ok=True)

    celery_app: Celery[Any] = Celery(app.import_name, task_cls=FlaskTask, include=TASK_MODULES)
    celery_app.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=settings.broker_transport_options(),
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=settings.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_time_limit=3600,
        beat_schedule=BEAT_SCHEDULE,
        beat_schedule_filename=str(settings.instance_dir / "celerybeat-schedule"),
        timezone="UTC",
        enable_utc=True,
    )
    if settings.broker_url.startswith("filesystem"):
        # Atomic publish and a consumer that survives a bad file (see workers/transport.py).
        celery_app.conf.broker_transport = Transport
    celery_app.conf.update(app.config.get("CELERY", {}))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app

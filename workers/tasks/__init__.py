"""Celery tasks: thin wrappers that load by id, call a pure function, write in one transaction."""

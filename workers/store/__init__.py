"""Data access of the Celery runtime, one module per area: the SQL a task runs, kept out of the task file.

A task (``workers/tasks/<area>.py``) claims its job, calls ``workers.store.<area>`` to load plain inputs,
hands them to the pure core (``workers.records``, ``workers.exports``) and writes the result back through
the same module, in one transaction.
"""

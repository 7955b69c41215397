"""Owner-only files: the instance and data directories are 0700 and everything written in them 0600.

The database (answers in JSON), the secrets, the outbox's messages, export bundles (personal-data ones
included), transcripts and the embedded broker's files all live under the instance directory. Each process
of Keireki (web, worker, beat, CLI) sets its umask to ``077`` when it builds the app, so every file and
directory it creates from then on is private whoever writes it (SQLite, Celery's filesystem transport, the
export writers); directories and files made before (by an older version, or under a looser umask) are
tightened once at start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from webapp.config import Settings

#: The umask of every Keireki process: nothing readable or writable by group or others.
UMASK = 0o077


def _tighten(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            path.chmod(current & mode)
    except FileNotFoundError:
        pass


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix or ":memory:" in url:
        return None
    return Path(url[len(prefix):].split("?", 1)[0])


def make_private(settings: Settings) -> None:
    """Set the process umask to :data:`UMASK`; create the instance and data directories 0700 and remove
    group/other access from them, the secrets and a SQLite database file that already exist."""
    os.umask(UMASK)
    for folder in (settings.instance_dir, settings.data_dir):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _tighten(folder, 0o700)
    for name in ("secret_key", "data_key"):
        _tighten(settings.instance_dir / name, 0o600)
    database = _sqlite_file(settings.database_url)
    if database is not None:
        try:
            database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return  # an unusable database path: the app starts and /healthz names the database as down
        for suffix in ("", "-wal", "-shm"):
            _tighten(database.with_name(database.name + suffix), 0o600)

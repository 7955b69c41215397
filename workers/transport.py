"""The embedded broker: kombu's filesystem transport, made safe for several processes.

kombu's own ``_put`` creates the message file and only then locks and writes it, so a consumer can open
it empty and die on ``JSONDecodeError`` (kombu issue #1551); its ``_get`` moves claimed files to the
system temporary folder, which is another filesystem on many machines (a copy, not an atomic move).
Here a message is written under a temporary name in the queue folder and ``os.rename``-d into place,
so it is never visible before it is whole; a consumer claims a message by renaming it into
``claimed/`` (one winner, atomic), and a file it cannot decode is moved to ``bad/`` and logged, not
fatal. Celery uses it through ``broker_transport`` (``workers/celery_app.py``) for ``filesystem://``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

#: Suffix of a message still being written (never matches a queue's ``<queue>.msg``).
PARTIAL = ".part"


class Channel(filesystem.Channel):
    """Atomic publish, atomic claim, quarantine of undecodable files."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        temporary = folder / f"tmp-{uuid.uuid4().hex}{PARTIAL}"
        try:
            with open(temporary, "wb") as fh:
                fh.write(dumps(payload).encode())
            os.rename(temporary, folder / name)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = self._folder("claimed") / name
            try:
                os.rename(folder / name, claimed)  # only one consumer wins a message
            except FileNotFoundError:
                continue  # another consumer took it
            payload = self._decode(claimed)
            if payload is not None:
                return payload
        raise Empty()

    def _decode(self, path: Path) -> Any:
        """The message in ``path`` (removed after reading); None when it cannot be decoded (quarantined)."""
        try:
            payload = loads(path.read_bytes().decode())
        except (ValueError, UnicodeDecodeError) as exc:
            bad = self._folder("bad") / path.name
            os.replace(path, bad)
            log.error("embedded broker: message %s cannot be decoded (%s); moved to %s", path.name, exc, bad)
            return None
        path.unlink(missing_ok=True)
        return payload

    def get_table(self, exchange: str) -> Any:
        try:
            return super().get_table(exchange)
        except json.JSONDecodeError:  # an exchange file being (re)written: no bound queues this instant
            return []

    def _folder(self, name: str) -> Path:
        path = Path(self.data_folder_in).parent / name
        path.mkdir(parents=True, exist_ok=True)
        return path


class Transport(filesystem.Transport):
    Channel = Channel

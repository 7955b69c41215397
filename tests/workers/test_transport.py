"""The embedded broker (workers/transport.py): a message is never visible before it is whole, and a file
that cannot be decoded is quarantined while the consumer goes on. Real processes on a real folder."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

from kombu import Connection

QUEUE = "soak"
PUBLISHERS, CONSUMERS, PER_PUBLISHER = 3, 3, 150


def _options(root: Path) -> dict[str, Any]:
    return {"data_folder_in": str(root / "out"), "data_folder_out": str(root / "out"),
            "control_folder": str(root / "control"), "polling_interval": 0.01}


def _connection(root: Path) -> Connection:
    return Connection(transport="workers.transport:Transport", transport_options=_options(root))


def _publish(root: str, publisher: int) -> None:
    with _connection(Path(root)) as conn:
        queue = conn.SimpleQueue(QUEUE)
        for n in range(PER_PUBLISHER):
            # Large bodies widen the window in which a half-written file could be seen.
            queue.put({"p": publisher, "n": n, "pad": "x" * 20000})
        queue.close()


def _consume(root: str, consumer: int, publishing_done: Any) -> None:
    seen: list[list[int]] = []
    with _connection(Path(root)) as conn:
        queue = conn.SimpleQueue(QUEUE)
        idle = 0
        while idle < 100 or not publishing_done.is_set():  # 10 s without a message after the last publish
            try:
                message = queue.get(timeout=0.1)
            except queue.Empty:
                idle += 1
                continue
            idle = 0
            body = message.payload
            assert len(body["pad"]) == 20000  # whole, never truncated
            seen.append([body["p"], body["n"]])
            message.ack()
        queue.close()
    Path(root, f"seen-{consumer}.json").write_text(json.dumps(seen))


def test_concurrent_publishers_and_consumers_see_every_message_whole_once(tmp_path: Path) -> None:
    for sub in ("out", "control"):
        (tmp_path / sub).mkdir()
    ctx = multiprocessing.get_context("spawn")
    done = ctx.Event()
    consumers = [ctx.Process(target=_consume, args=(str(tmp_path), i, done)) for i in range(CONSUMERS)]
    publishers = [ctx.Process(target=_publish, args=(str(tmp_path), i)) for i in range(PUBLISHERS)]
    for proc in consumers + publishers:
        proc.start()
    for proc in publishers:
        proc.join(timeout=120)
    done.set()
    for proc in consumers:
        proc.join(timeout=120)
    assert [p.exitcode for p in publishers + consumers] == [0] * (PUBLISHERS + CONSUMERS)
    seen = [tuple(m) for i in range(CONSUMERS) for m in json.loads((tmp_path / f"seen-{i}.json").read_text())]
    assert len(seen) == len(set(seen)) == PUBLISHERS * PER_PUBLISHER
    assert not list((tmp_path / "out").iterdir())  # no temporary file left behind
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())


def test_an_undecodable_file_is_quarantined_and_consuming_goes_on(tmp_path: Path) -> None:
    for sub in ("out", "control"):
        (tmp_path / sub).mkdir()
    (tmp_path / "out" / f"00_empty.{QUEUE}.msg").write_bytes(b"")
    (tmp_path / "out" / f"01_garbage.{QUEUE}.msg").write_bytes(b"\xff\xfe{not json")
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue(QUEUE)
        queue.put({"hello": "world"})
        message = queue.get(timeout=5)
        assert message.payload == {"hello": "world"}
        message.ack()
        queue.close()
    assert sorted(os.listdir(tmp_path / "bad")) == [f"00_empty.{QUEUE}.msg", f"01_garbage.{QUEUE}.msg"]

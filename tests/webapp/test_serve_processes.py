"""`keireki serve`: one web process (exact in-memory rate limits) on waitress, which buffers slow requests."""

from __future__ import annotations

from webapp.commands.serve import _commands, web_processes


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_the_web_app_is_one_waitress_process_with_threads() -> None:
    web = _commands("127.0.0.1", 5000, 2, "memory://")["web"]
    assert web[1:3] == ["-m", "waitress"]
    assert "--workers" not in web  # waitress has no worker processes: limits in memory stay exact
    assert int(_option(web, "--threads") or 0) > 1


def test_a_shared_limit_store_keeps_one_process_too() -> None:
    assert web_processes("redis://127.0.0.1:6379/1") == web_processes("memory://")

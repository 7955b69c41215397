"""`keireki serve`: rate limits stay exact, because process-local limits get exactly one web process."""

from __future__ import annotations

from webapp.commands.serve import _commands, web_processes


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_memory_limits_get_one_web_process_with_threads() -> None:
    web = _commands("127.0.0.1", 5000, 2, "memory://")["web"]
    assert _option(web, "--workers") == "1"
    assert int(_option(web, "--threads") or 0) > 1


def test_a_shared_limit_store_allows_several_web_processes() -> None:
    assert int(_option(web_processes("redis://127.0.0.1:6379/1"), "--workers") or 0) > 1

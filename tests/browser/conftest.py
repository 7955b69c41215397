"""Browser tests: the app served by werkzeug in a thread on a database of its own, driven by Playwright
with Debian's Chromium at a phone's viewport (390 x 844)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_test_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Served:
    """The app at ``url``, and ``app`` to look into its database."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture
def served(fresh_database: str, tmp_path: Path) -> Iterator[Served]:
    from werkzeug.serving import make_server

    from webapp.db import db_session
    from webapp.services.studies import load_bundled_study

    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    app.config["TESTING"] = False
    with app.app_context():
        load_bundled_study(session=db_session())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def phone(browser: Any) -> Any:
    """A new phone (browser context): ``phone(locale="vi-VN", javascript=True)``."""
    contexts: list[Any] = []

    def _make(*, locale: str = "en-US", javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport=PHONE,
            locale=locale,
            java_script_enabled=javascript,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

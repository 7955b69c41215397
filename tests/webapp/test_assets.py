"""Pages and JSON arrive compressed; static files live under content-hashed URLs and are cached for good."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import brotli
import pytest
import rcssmin
import rjsmin
from flask import Flask, send_file
from flask.testing import FlaskClient

from tests.conftest import make_test_app
from tests.webapp.participate.journey import end_request_session
from webapp.assets import IMMUTABLE

START = "/s/sme-careers"
_ASSET = re.compile(r'(?:href|src)="(/[^"]+\.(?:css|js)[^"]*)"')


def _get(client: FlaskClient, path: str, **headers: str) -> Any:
    response = client.get(path, headers=headers)
    response.get_data()
    response.close()  # as a WSGI server does: a static file's handle is closed
    end_request_session()
    return response


@pytest.fixture
def page(client: FlaskClient, bundled_study: Any, fresh_limits: None) -> Any:
    return _get(client, START, **{"Accept-Encoding": "identity", "Accept-Language": "en"})


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("gzip, deflate, br", "br", brotli.decompress),
    ("gzip, deflate", "gzip", gzip.decompress),
])
def test_a_page_is_sent_compressed_in_what_the_browser_accepts(
    client: FlaskClient, page: Any, accept: str, encoding: str, decode: Any
) -> None:
    plain = page.get_data()
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers
    assert len(plain) > 500
    response = _get(client, START, **{"Accept-Encoding": accept, "Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(plain) / 2
    # The same page (the CSRF token and nonce-free markup aside) comes out of the decoder.
    body = decode(response.get_data()).decode()
    assert body.lower().startswith("<!doctype html>")
    assert "</html>" in body
    assert response.headers["Cache-Control"] == "no-store"


def test_tiny_bodies_and_downloads_are_not_compressed(database_url: str, tmp_path: Path) -> None:
    app: Flask = make_test_app(database_url=database_url, instance_dir=tmp_path)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("answers.csv", "id,answer\n" + "1,yes\n" * 2000)
    payload = archive.getvalue()

    @app.get("/__download_for_test")
    def _download() -> Any:
        return send_file(io.BytesIO(payload), mimetype="application/zip", download_name="bundle.zip")

    client = app.test_client()
    download = client.get("/__download_for_test", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in download.headers
    assert download.get_data() == payload
    health = client.get("/healthz", headers={"Accept-Encoding": "br, gzip"})
    assert len(health.get_data()) < 500
    assert "Content-Encoding" not in health.headers


def test_every_stylesheet_and_script_on_a_page_has_its_content_hash(page: Any) -> None:
    assets = _ASSET.findall(page.get_data(as_text=True))
    assert any("/p.css" in a for a in assets)
    assert any("rules.js" in a for a in assets) or any("app.css" in a for a in assets)
    for url in assets:
        assert re.search(r"[?&]v=[0-9a-f]{16}$", url), url


def test_a_hashed_asset_is_cached_for_good_and_another_hash_is_not(
    client: FlaskClient, page: Any, app: Flask
) -> None:
    url = next(a for a in _ASSET.findall(page.get_data(as_text=True)) if "/p.css" in a)
    assert app.blueprints["participate"].static_folder is not None
    source = Path(app.blueprints["participate"].static_folder, "participate", "p.css").read_bytes()
    assert url.endswith("v=" + hashlib.sha256(source).hexdigest()[:16])
    fresh = _get(client, url, **{"Accept-Encoding": "identity"})
    assert fresh.status_code == 200
    # Sent minified: the stylesheet without comments and needless white space.
    assert fresh.get_data() == rcssmin.cssmin(source)
    assert len(fresh.get_data()) < len(source)
    assert int(fresh.headers["Content-Length"]) == len(fresh.get_data())
    assert fresh.headers["Cache-Control"] == IMMUTABLE
    stale = _get(client, url.split("?")[0] + "?v=0123456789abcdef", **{"Accept-Encoding": "identity"})
    assert stale.status_code == 200
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_a_compressed_asset_keeps_a_strong_etag_per_encoding_and_answers_304(
    client: FlaskClient, page: Any, app: Flask
) -> None:
    url = next(a for a in _ASSET.findall(page.get_data(as_text=True)) if "/p.css" in a)
    first = _get(client, url, **{"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    etag = first.headers["ETag"]
    assert etag.endswith(':br"')
    assert not etag.startswith("W/")
    source = Path(app.blueprints["participate"].static_folder or "", "participate", "p.css").read_bytes()
    assert brotli.decompress(first.get_data()) == rcssmin.cssmin(source)
    again = _get(client, url, **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_the_rules_script_route_is_hashed_and_immutable_too(client: FlaskClient, page: Any) -> None:
    from webapp.participate.routes import RULES_JS

    digest = hashlib.sha256(RULES_JS.read_bytes()).hexdigest()[:16]
    response = _get(client, f"/s/static/rules.js?v={digest}", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == rjsmin.jsmin(RULES_JS.read_bytes())


@pytest.mark.parametrize(("reload", "follows"), [(False, False), (True, True)])
def test_a_files_hash_is_read_once_per_process_unless_templates_reload(
    database_url: str, tmp_path: Path, reload: bool, follows: bool
) -> None:
    """``keireki serve``: a static URL's hash is worked out once (no stat or read per ``url_for``); where
    the app reloads its templates (debug, ``TEMPLATES_AUTO_RELOAD``) a changed file gets its new hash."""
    from webapp.assets import register_file_route

    script = tmp_path / "served.js"
    script.write_text("var a = 1;\n")
    app: Flask = make_test_app(database_url=database_url, instance_dir=tmp_path, TEMPLATES_AUTO_RELOAD=reload)

    @app.get("/__served_for_test.js")
    def _served() -> Any:
        return send_file(script)

    register_file_route(app, "_served", script)

    def url() -> str:
        with app.test_request_context():
            from flask import url_for

            return url_for("_served")

    first = url()
    assert first.endswith("v=" + hashlib.sha256(script.read_bytes()).hexdigest()[:16])
    assert url() == first
    script.write_text("var a = 2; // changed\n")
    changed = hashlib.sha256(script.read_bytes()).hexdigest()[:16]
    assert url().endswith("v=" + changed) is follows
    assert (url() == first) is not follows

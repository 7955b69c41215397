"""What makes pages arrive fast: compressed responses and static files under content-hashed URLs.

- HTML, JSON, CSS, JavaScript and SVG responses are compressed (Flask-Compress: brotli where the client accepts
  it, else gzip); bodies under ``COMPRESS_MIN_SIZE`` bytes and downloads (streamed, and zip, xlsx, parquet, …
  are not in the list of types) go as they are. ``Vary: Accept-Encoding`` is set; a strong ETag gets the
  encoding appended (``"…:br"``), so a cache never mixes encodings.
- Stylesheets and scripts are sent minified (rcssmin, rjsmin: comments and needless white space out), the
  files in the repository stay readable.
- Every ``url_for`` of a static file (the app's and every blueprint's ``static`` endpoint, and routes registered
  with :func:`register_file_route`) gets ``?v=<hash of the file's content>``, worked out once per process (where
  the app reloads its templates, debug or ``TEMPLATES_AUTO_RELOAD``, again when the file changes). A request
  whose ``v`` is the current hash is answered with ``Cache-Control: public, max-age=31536000, immutable``: a
  phone asks once, and a changed file has another URL. Any other ``v`` (an old page, a hand-typed URL) keeps
  Flask's ``no-cache``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin
from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

#: Cache-Control of a static file requested under its current content hash.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Response types worth compressing (text); everything else (archives, spreadsheets, images) is sent as it is.
COMPRESSED_TYPES = [
    "text/html", "application/json", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
]
#: Brotli's quality for responses (0-11; see init_assets).
BROTLI_QUALITY = 2
_EXTENSION = "keireki_assets"
_URLS = "keireki_asset_urls"  #: (endpoint, filename) -> content hash, where files are not rechecked


class _Files:
    """Content hashes and minified bodies of static files, computed once per file. Where the app reloads its
    templates (debug, ``TEMPLATES_AUTO_RELOAD``) a file is looked at again on every use and hashed again when
    its size or mtime changes; elsewhere (``keireki serve``) what was read first stands for the process."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str, bytes | None]] = {}
        self._lock = threading.Lock()

    def _entry(self, path: str, *, recheck: bool) -> tuple[int, int, str, bytes | None] | None:
        known = self._known.get(path)
        if known is not None and not recheck:
            return known
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known
        with self._lock:
            content = Path(path).read_bytes()
            entry = (stat.st_mtime_ns, stat.st_size, hashlib.sha256(content).hexdigest()[:16], _minified(path, content))
            self._known[path] = entry
        return entry

    def digest(self, path: str, *, recheck: bool = True) -> str | None:
        entry = self._entry(path, recheck=recheck)
        return entry[2] if entry is not None else None

    def minified(self, path: str, *, recheck: bool = True) -> bytes | None:
        """The file without comments and needless white space (CSS and JavaScript), else None."""
        entry = self._entry(path, recheck=recheck)
        return entry[3] if entry is not None else None


def _minified(path: str, content: bytes) -> bytes | None:
    if path.endswith(".css"):
        return rcssmin.cssmin(content)
    if path.endswith(".js"):
        return rjsmin.jsmin(content)
    return None


_FILES = _Files()


def register_file_route(app: Flask, endpoint: str, path: Path) -> None:
    """Treat ``endpoint`` (a route serving the one file at ``path``) like a static file: hashed and immutable."""
    app.extensions.setdefault(_EXTENSION, {})[endpoint] = str(path)


def _file_of(app: Flask, endpoint: str, values: dict[str, Any]) -> str | None:
    """The file a URL for ``endpoint`` with ``values`` serves, if it is a static file."""
    files: dict[str, str] = app.extensions[_EXTENSION]
    if endpoint in files:
        return files[endpoint]
    if endpoint == "static":
        folder = app.static_folder
    elif endpoint.endswith(".static"):
        blueprint = app.blueprints.get(endpoint[: -len(".static")])
        folder = blueprint.static_folder if blueprint is not None else None
    else:
        return None
    filename = values.get("filename")
    if not folder or not isinstance(filename, str):
        return None
    return safe_join(folder, filename)


def _recheck(app: Flask) -> bool:
    """Whether static files may change under the running app: where its templates are reloaded."""
    return bool(app.jinja_env.auto_reload)


def _add_hash(endpoint: str, values: dict[str, Any]) -> None:
    if "v" in values:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    filename = values.get("filename")
    key = (endpoint, filename if isinstance(filename, str) else None)
    hashed: dict[tuple[str, str | None], str] = app.extensions[_URLS]
    digest = hashed.get(key)
    if digest is None:
        path = _file_of(app, endpoint, values)
        if path is None:
            hashed[key] = digest = ""  # not a static file (which endpoints serve files is fixed at start)
        else:
            recheck = _recheck(app)
            digest = _FILES.digest(path, recheck=recheck)
            if digest is not None and not recheck:
                hashed[key] = digest  # the URL's hash for the process: no path, stat or read next time
    if digest:
        values["v"] = digest


def _cache_for_good(response: Response) -> Response:
    endpoint = request.endpoint
    if endpoint is None:
        return response
    path = _file_of(current_app, endpoint, dict(request.view_args or {}))
    if path is None:
        return response
    recheck = _recheck(current_app)
    if response.status_code == 200:
        # The (small) file read into the response, minified where it is CSS or JavaScript, so it is compressed
        # whole and its handle closed with the response (Flask-Compress's streaming path would leave the file
        # open until garbage collection). The ETag stays: the same file always gives the same bytes.
        minified = _FILES.minified(path, recheck=recheck)
        response.direct_passthrough = False
        if minified is not None:
            response.close()
            response.set_data(minified)
        else:
            response.make_sequence()
    wanted = request.args.get("v")
    if wanted is not None and response.status_code in (200, 304) and _FILES.digest(path, recheck=recheck) == wanted:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_assets(app: Flask) -> None:
    """Compression and hashed static URLs; call after the blueprints are registered."""
    app.extensions.setdefault(_EXTENSION, {})
    app.extensions.setdefault(_URLS, {})
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed bodies are downloads: sent as they are
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Brotli quality 2, not Flask-Compress's 4: a form page (5.8 kB) in 28 instead of 56 µs (about 0.1 ms of a
    # 2 ms request measured in the app), 2.4 instead of 2.2 kB, as small as gzip -6 and well inside the first
    # round trip of a slow link (every participant page compresses to under 7 kB; bench/README.md).
    app.config.setdefault("COMPRESS_BR_LEVEL", BROTLI_QUALITY)
    Compress(app)
    app.url_defaults(_add_hash)
    # Registered after Flask-Compress, so it runs before it (after_request functions run last-registered first).
    app.after_request(_cache_for_good)

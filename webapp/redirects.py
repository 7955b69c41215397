"""One rule for following a user-supplied address after an action: only a path on this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

#: The longest target followed; longer ones are refused (no legitimate page path is this long).
MAX_TARGET = 2000


def safe_target(target: str | None) -> str | None:
    """``target`` when it is a same-origin relative path (``/studies?x=1``), else None.

    Browsers drop tabs and newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example`` and
    ``/\\evil.example`` both lead off-site: any control or format character and any backslash refuse the target
    before it is parsed, and what :func:`urllib.parse.urlsplit` makes of it must have no scheme, no host and a
    path beginning with one ``/`` only.
    """
    if not target or len(target) > MAX_TARGET or "\\" in target or target.startswith("//"):
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return None
    if target != target.strip():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target

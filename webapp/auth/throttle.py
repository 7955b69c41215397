"""Throttling password guesses without locking the rightful user out.

Failed sign-ins are counted three ways: per source address (over all accounts: the decorator on the view),
per account *and* source (``signin-pair``: that source may not try that account again for a while, even
with the right password), and per account over all sources (``signin-account``). When an account has had
many failures from elsewhere, sign-ins to it still go through — only slowed by :data:`UNDER_ATTACK_DELAY`
seconds — so strangers cannot lock a researcher out, and each stranger's guesses stay bounded per source.
"""

from __future__ import annotations

import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from webapp.extensions import limiter

#: Failures of one source on one account (then that source is refused for that account).
PAIR_LIMIT = "5 per minute; 20 per hour"
#: Failures of all sources on one account after which every attempt on it is slowed down.
ACCOUNT_LIMIT = "20 per hour"
#: Seconds each attempt on an account under attack waits before its password is checked.
UNDER_ATTACK_DELAY = 2.0


def _limits(key: str, default: str) -> list[RateLimitItem]:
    return parse_many(str(current_app.config.get(key, default)))


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _keys(address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("signin-pair", f"{address}|{get_remote_address()}"), ("signin-account", address)


def source_blocked(address: str) -> bool:
    """True when this source has failed too often on this account (refuse without checking the password)."""
    if not _enabled() or not address:
        return False
    (scope, key), _account = _keys(address)
    return any(not limiter.limiter.test(item, scope, key)
               for item in _limits("KEIREKI_SIGNIN_LIMIT_PAIR", PAIR_LIMIT))


def slow_down_if_attacked(address: str) -> None:
    """Wait :data:`UNDER_ATTACK_DELAY` seconds when the account has too many failures from all sources."""
    if not _enabled() or not address:
        return
    _pair, (scope, key) = _keys(address)
    if any(not limiter.limiter.test(item, scope, key)
           for item in _limits("KEIREKI_SIGNIN_LIMIT_ACCOUNT", ACCOUNT_LIMIT)):
        time.sleep(float(current_app.config.get("KEIREKI_SIGNIN_ATTACK_DELAY", UNDER_ATTACK_DELAY)))


def count_failure(address: str) -> None:
    """Count one failed sign-in against this account, and against this account from this source."""
    if not _enabled() or not address:
        return
    (pair_scope, pair_key), (account_scope, account_key) = _keys(address)
    for item in _limits("KEIREKI_SIGNIN_LIMIT_PAIR", PAIR_LIMIT):
        limiter.limiter.hit(item, pair_scope, pair_key)
    for item in _limits("KEIREKI_SIGNIN_LIMIT_ACCOUNT", ACCOUNT_LIMIT):
        limiter.limiter.hit(item, account_scope, account_key)

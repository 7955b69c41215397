"""All settings, in one typed place, read from ``KEIREKI_*`` environment variables.

Each option is documented once, here; ``keireki config`` prints ``OPTIONS`` and ``keireki config --markdown``
prints the README's settings table (``tests/webapp/test_config.py`` checks that the README holds exactly that).
The embedded defaults need no server: SQLite and a filesystem broker under ``instance/``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


@dataclass(frozen=True)
class Option:
    name: str  #: environment variable
    default: str  #: Markdown, as in the README table; "" = unset (a plain value is shown in backticks there)
    help: str  #: Markdown


OPTIONS: tuple[Option, ...] = (
    Option("KEIREKI_ENV", "development", "`development` or `production`; production refuses weak secrets"),
    Option("KEIREKI_INSTANCE_DIR", "instance", "where the SQLite database, secrets, broker files and data live"),
    Option("KEIREKI_DATABASE_URL", "sqlite:///<instance>/keireki.db", "SQLAlchemy URL of the database"),
    Option("KEIREKI_BROKER_URL", "filesystem://",
           "Celery broker: `filesystem://` (embedded), `redis://`, `amqp://`"),
    Option("KEIREKI_SECRET_KEY", "generated into `<instance>/secret_key`", "signs sessions and links (≥ 32 chars)"),
    Option("KEIREKI_DATA_KEY", "generated into `<instance>/data_key`", "Fernet key(s) encrypting personal data; "
           "comma-separated, newest first, to rotate"),
    Option("KEIREKI_DATA_DIR", "<instance>/data", "transcripts, exports, mail outbox"),
    Option("KEIREKI_BASE_URL", "http://127.0.0.1:5000",
           "public URL, for links in messages and QR codes; set it in production. Unset, `keireki serve` uses "
           "`http://127.0.0.1:<port>` and (development) keeps it in `instance/served_at` for commands run in "
           "another terminal"),
    Option("KEIREKI_SECURE_COOKIES", "`true` in production", "mark cookies Secure (HTTPS only)"),
    Option("KEIREKI_RATELIMIT_STORAGE_URL", "memory://", "Flask-Limiter storage. With `memory://` limits are per "
           "process, so `keireki serve` runs one web process (waitress, 8 threads); set `redis://` before running "
           "several web processes (gunicorn `--workers` > 1, several machines)"),
    Option("KEIREKI_MAX_CONTENT_LENGTH", "2097152", "largest request body in bytes, file uploads excepted "
           "(larger gets 413)"),
    Option("KEIREKI_UPLOAD_MAX_BYTES", "10485760", "largest file upload (a transcript) in bytes; its request "
           "may be this large"),
    Option("KEIREKI_SMTP_URL", "", "`smtp://user:pass@host:587` (STARTTLS) or `smtps://…`; unset: `.eml` files "
           "in the outbox"),
    Option("KEIREKI_MAIL_FROM", "keireki@localhost", "sender address of outgoing mail"),
    Option("KEIREKI_EXPORT_TTL_HOURS", "72", "hours an export bundle can be downloaded before it is deleted"),
    Option("KEIREKI_JOB_LEASE_SECONDS", "300", "how long a running job may go silent before it is re-run"),
    Option("KEIREKI_WORKER_CONCURRENCY", "2", "Celery worker processes started by `make run`"),
    Option("KEIREKI_QUEUE", "keireki", "Celery queue name (tests use their own)"),
    Option("KEIREKI_PROXY_HOPS", "0", "reverse proxies in front (trust their `X-Forwarded-*` headers)"),
)


def settings_table() -> str:
    """The README's settings table (Markdown), generated from ``OPTIONS`` (``keireki config --markdown``)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for opt in OPTIONS:
        default = opt.default if "`" in opt.default else f"`{opt.default}`" if opt.default else "unset"
        lines.append(f"| `{opt.name}` | {default} | {opt.help} |")
    return "\n".join(lines) + "\n"


_WEAK_SECRETS = {"change-me", "changeme", "secret", "dev", "development", "password", "keireki"}


@dataclass(frozen=True)
class Settings:
    env: str
    instance_dir: Path
    database_url: str
    broker_url: str
    secret_key: str
    data_keys: tuple[str, ...]
    data_dir: Path
    base_url: str
    secure_cookies: bool
    ratelimit_storage_url: str
    max_content_length: int
    upload_max_bytes: int
    smtp_url: str | None
    mail_from: str
    export_ttl_hours: int
    job_lease_seconds: int
    worker_concurrency: int
    queue: str
    proxy_hops: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def broker_transport_options(self) -> dict[str, Any]:
        if self.broker_url.startswith("filesystem"):
            folder = self.instance_dir / "broker"
            return {"data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out"),
                    "control_folder": str(folder / "control"), "polling_interval": 0.2}
        if self.broker_url.startswith("redis"):
            return {"visibility_timeout": self.job_lease_seconds * 2}
        return {}


def _secret_from_file(path: Path, make: Any) -> str:
    """The secret in ``path``, created on first use, atomically and owner-only (it protects personal data).

    The value is written to a temporary file (mode 0600) and hard-linked into place, which fails if the
    file exists: of processes starting together on an empty instance folder exactly one wins, and the
    others read the winner's whole file (never a half-written one).
    """
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(str(make()))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: its file is whole, read it
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise ConfigError(f"{path} is empty; delete it to have a new secret generated")
    return value


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


#: Where ``keireki serve`` last served this (development) instance: the base of the links that commands run in
#: another terminal print (``keireki users invite``), when ``KEIREKI_BASE_URL`` is not set.
SERVED_AT = "served_at"


def _served_at(instance: Path) -> str | None:
    try:
        return (instance / SERVED_AT).read_text().strip() or None
    except OSError:
        return None


def remember_base_url(settings: Settings) -> None:
    """Keep the base URL ``keireki serve`` runs at for the instance's other commands (development only)."""
    if settings.env != "production":
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
        (settings.instance_dir / SERVED_AT).write_text(settings.base_url + "\n")


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings from ``env`` (default: the process environment), then apply ``overrides``."""
    e = dict(os.environ if env is None else env)
    mode = e.get("KEIREKI_ENV", "development")
    if mode not in ("development", "production"):
        raise ConfigError(f"KEIREKI_ENV must be 'development' or 'production', not {mode!r}")
    instance = Path(overrides.pop("instance_dir", None) or e.get("KEIREKI_INSTANCE_DIR") or PROJECT_ROOT / "instance")
    instance = instance.resolve()
    production = mode == "production"

    secret = e.get("KEIREKI_SECRET_KEY", "")
    data_key = e.get("KEIREKI_DATA_KEY", "")
    if production:
        if len(secret) < 32 or secret.lower() in _WEAK_SECRETS or len(set(secret)) < 10:
            raise ConfigError(
                "KEIREKI_ENV=production needs KEIREKI_SECRET_KEY: a random value of at least 32 characters, "
                "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        if not data_key:
            raise ConfigError(
                "KEIREKI_ENV=production needs KEIREKI_DATA_KEY (a Fernet key encrypting personal data), "
                "e.g. from `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            )
    else:
        secret = secret or _secret_from_file(instance / "secret_key", lambda: secrets.token_urlsafe(48))
        data_key = data_key or _secret_from_file(instance / "data_key", _fernet_key)

    settings = Settings(
        env=mode,
        instance_dir=instance,
        database_url=e.get("KEIREKI_DATABASE_URL") or f"sqlite:///{instance / 'keireki.db'}",
        broker_url=e.get("KEIREKI_BROKER_URL") or "filesystem://",
        secret_key=secret,
        data_keys=tuple(k.strip() for k in data_key.split(",") if k.strip()),
        data_dir=Path(e.get("KEIREKI_DATA_DIR") or instance / "data"),
        base_url=(e.get("KEIREKI_BASE_URL") or (None if production else _served_at(instance))
                  or "http://127.0.0.1:5000").rstrip("/"),
        secure_cookies=_bool(e.get("KEIREKI_SECURE_COOKIES"), default=production),
        ratelimit_storage_url=e.get("KEIREKI_RATELIMIT_STORAGE_URL") or "memory://",
        max_content_length=int(e.get("KEIREKI_MAX_CONTENT_LENGTH") or 2 * 1024 * 1024),
        upload_max_bytes=int(e.get("KEIREKI_UPLOAD_MAX_BYTES") or 10 * 1024 * 1024),
        smtp_url=e.get("KEIREKI_SMTP_URL") or None,
        mail_from=e.get("KEIREKI_MAIL_FROM") or "keireki@localhost",
        export_ttl_hours=int(e.get("KEIREKI_EXPORT_TTL_HOURS") or 72),
        job_lease_seconds=int(e.get("KEIREKI_JOB_LEASE_SECONDS") or 300),
        worker_concurrency=int(e.get("KEIREKI_WORKER_CONCURRENCY") or 2),
        queue=e.get("KEIREKI_QUEUE") or "keireki",
        proxy_hops=int(e.get("KEIREKI_PROXY_HOPS") or 0),
    )
    known = {f.name for f in fields(Settings)}
    direct = {k: v for k, v in overrides.items() if k in known}
    extra = {k: v for k, v in overrides.items() if k not in known}
    if direct or extra:
        from dataclasses import replace

        settings = replace(settings, **direct, extra={**settings.extra, **extra})
    return settings


def _bool(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")

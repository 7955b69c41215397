"""gunicorn's settings for Keireki (read from the working directory): each instance's control socket
lives in its own instance folder, so two Keireki instances of one user do not take it from each other."""

import os
from pathlib import Path

_instance = Path(os.environ.get("KEIREKI_INSTANCE_DIR") or Path(__file__).resolve().parent / "instance")
_instance.mkdir(parents=True, exist_ok=True)
control_socket = str(_instance.resolve() / "gunicorn.ctl")

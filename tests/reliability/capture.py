"""Everything the reliability suite logged, kept for the secrets check that ends it.

- `LOG_FILES`: the log file of every real process started (`fleet.Fleet`).
- `SECRETS`: every secret a scenario used — private keys, tokens, Authorization values.
- `InProcessLogs`: a handler on the root logger of the pytest process, rendering records the
  way the processes do (structlog JSON), so in-process code (the simulator, `run_once`, the
  API served in a thread) is checked too.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from cwsync.logging import configure_logging

LOG_FILES: list[Path] = []
SECRETS: set[str] = set()


def basic_authorization(company: str, public_key: str, private_key: str) -> str:
    """The Authorization value ConnectWise gets for a key pair (what must never be logged)."""
    raw = f"{company}+{public_key}:{private_key}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def remember_key_pair(company: str, public_key: str, private_key: str) -> None:
    SECRETS.add(private_key)
    SECRETS.add(basic_authorization(company, public_key, private_key))
    SECRETS.add(basic_authorization(company, public_key, private_key).split(" ", 1)[1])


def remember_token(token: str) -> None:
    SECRETS.add(token)
    SECRETS.add(f"Bearer {token}")


class InProcessLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record we cannot render is kept raw rather than lost
            self.lines.append(f"{record.getMessage()} {record.args!r}")


IN_PROCESS = InProcessLogs()


def start_in_process_capture() -> None:
    """Route this process's logs (structlog included) through the product's JSON formatter
    and keep a copy of every line."""
    configure_logging("DEBUG", json=True)
    root = logging.getLogger()
    IN_PROCESS.setFormatter(root.handlers[0].formatter)
    if IN_PROCESS not in root.handlers:
        root.addHandler(IN_PROCESS)

"""Rotating log file with a filter that masks secrets, whatever the message."""

from __future__ import annotations

import logging
import logging.handlers
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["setup_logging", "RedactingFilter"]

_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


class RedactingFilter(logging.Filter):
    def __init__(self, secret: Callable[[], str | None]) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        key = self._secret()
        if key and key in text:
            text = text.replace(key, "***")
        text = _BEARER.sub(r"\1***", text)
        record.msg, record.args = text, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks can carry values; keep the type and location only.
            record.exc_text = None
        return True


def setup_logging(log_file: Path, secret: Callable[[], str | None],
                  level: int = logging.INFO) -> logging.Handler:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secret))
    root = logging.getLogger("mrtimer")
    root.setLevel(level)
    for old in list(root.handlers):
        if isinstance(old, logging.handlers.RotatingFileHandler):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler

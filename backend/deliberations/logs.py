"""Keep ballot receipts out of access logs.

A receipt in a logged URL, beside the caller's address and time, would let whoever reads the logs
look up what that person voted. The receipt-check path is the only place a receipt travels, so
the access loggers of the servers we run under (gunicorn, werkzeug) get a filter that blanks it.
"""
from __future__ import annotations

import logging
import re

RECEIPT_IN_PATH = re.compile(r"(/receipts/)[^\s/?\"]+")
ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")


def redact(text: str) -> str:
    return RECEIPT_IN_PATH.sub(r"\1***", text)


class RedactReceipts(logging.Filter):
    """Blank receipts in a log record's message and arguments (tuple or gunicorn's dict of atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


_FILTER = RedactReceipts()


def redact_receipts_in_access_logs() -> None:
    """Install the filter once per process on every access logger."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

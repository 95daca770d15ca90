"""Where log lines go, and what they never contain.

Two jobs, both installed on the root logger's handlers so they cover third-party loggers
too (httpx prints every request URL, and Telegram's URLs carry the bot token):

- `Redactor` replaces every configured secret in a formatted line, its arguments and its
  traceback with `***`, at any verbosity; and any email address or international phone
  number (a buyer's contact, commerce.delivery) with `<email>` / `<phone>`, since buyers'
  personal data is never logged. Delivery details themselves print as `<redacted>`
  (commerce.views.DeliveryDetails), so no log line can carry a name or an address.
- `route_to_file` keeps the console chat readable: with the console adapter in the
  terminal, log lines go to a file and the terminal gets at most one short notice per
  source every few minutes (a MercadoPago outage is one notice, not a flood).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
#: Shorter values would mask ordinary words; no real credential is this short.
MIN_SECRET = 6
#: A source that keeps warning gets one terminal notice per this many seconds.
NOTICE_INTERVAL = 300.0
#: Buyers' contacts, masked wherever they appear: emails and +country phone numbers.
PERSONAL = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"\+\d[\d\s().-]{7,18}\d"), "<phone>"),
)


class Redactor(logging.Filter):
    """Masks secret values in the final text of a record, whatever logger made it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for s in secrets if len(s) >= MIN_SECRET for form in (s, quote(s, safe=""))}
        self.secrets = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, mask in PERSONAL:
            text = pattern.sub(mask, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what was written, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redactor(secrets: Iterable[str]) -> Redactor:
    """Put one Redactor on every handler there is now: the root's and any library's own."""
    redactor = Redactor(secrets)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            for old in [f for f in handler.filters if isinstance(f, Redactor)]:
                handler.removeFilter(old)
            handler.addFilter(redactor)
    return redactor


class TerminalNotice(logging.Handler):
    """One line per source for warnings and errors, rate-limited, pointing at the log file."""

    def __init__(
        self, log_file: Path, stream: TextIO, *, interval: float = NOTICE_INTERVAL
    ) -> None:
        super().__init__(logging.WARNING)
        self.log_file = log_file
        self.stream = stream
        self.interval = interval
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        # every warning shares one budget (an outage warns from several modules at once);
        # each source's errors get their own, so a new kind of failure is always seen
        source = "warning" if record.levelno < logging.ERROR else record.name
        now = time.monotonic()
        last = self._last.get(source)
        if last is not None and now - last < self.interval:
            self._quiet[source] = self._quiet.get(source, 0) + 1
            return
        self._last[source] = now
        more = self._quiet.pop(source, 0)
        first = (self.format(record).splitlines() or [""])[0]
        if len(first) > 90:
            first = first[:89] + "…"
        since = f", {more} more since" if more else ""
        line = f"[vivo {record.levelname.lower()}] {first} (see {self.log_file}{since})"
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)


def route_to_file(log_file: Path, stream: TextIO | None = None) -> None:
    """Send the log to `log_file` and leave the terminal to the chat, but for notices."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    notice = TerminalNotice(log_file, stream if stream is not None else sys.stderr)
    notice.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(notice)

"""Keeps passwords, tokens and API keys out of every log record.

Redaction happens where records are made (a log record factory), not in one handler's filter:
a filter on our handler would leave other handlers, and records of other libraries' loggers,
unredacted. A record's message and exception text are rendered, redacted and kept on the record.

What is redacted: the configured secrets wherever they appear; the value after any key that
names a secret (`password=...`, `"refreshToken": "..."`, `api_key=...`, `Authorization: ...`;
an unquoted value ends at white space); passwords in URLs; bearer credentials; JWTs; argon2
hashes. It is a second line: the code itself logs no request input.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter configured values would redact ordinary words

_SENSITIVE_WORD = r"passw(?:or)?d|secret|token|api[_-]?key|authorization|cookie"
_SENSITIVE_KEY = rf"[\w-]*(?:{_SENSITIVE_WORD})[\w-]*"
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?{_SENSITIVE_KEY}["']?\s*[:=]\s*)
    (?P<value>"[^"]*"|'[^']*'|(?:bearer\s+|basic\s+)?[^\s"',;&)}}\]]+)
    """
)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]+@")
_PATTERNS = (
    re.compile(r"(?i)\b(?:bearer|basic)\s+[\w.~+/=-]{8,}"),
    re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]+"),
    re.compile(r"\$argon2(?:id|i|d)\$[\w$=,+/.-]+"),
)
# Every match of the patterns above contains one of these, under the same flags (so with the
# same Unicode case folding): text without any of them, most records, skips the substitutions.
_TRIGGERS = rf"(?i:{_SENSITIVE_WORD}|bearer|basic)|eyJ|\$argon2|://"


class Redactor:
    """Replaces secrets in text with REDACTED."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        known = {value for value in secrets if value and len(value) >= MIN_SECRET_LENGTH}
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted(known, key=len, reverse=True)
        self._trigger = re.compile("|".join([_TRIGGERS, *map(re.escape, self.secrets)]))

    def __call__(self, text: str) -> str:
        if not self._trigger.search(text):
            return text
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _KEY_VALUE.sub(lambda match: match["key"] + REDACTED, text)
        text = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", text)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def redact_record(self, record: logging.LogRecord) -> None:
        """Rewrite the record's message, exception and stack text without secrets."""
        message = record.getMessage()
        clean = self(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self("".join(traceback.format_exception(*record.exc_info)).rstrip())
        if record.stack_info:
            record.stack_info = self(record.stack_info)


class _RedactingFactory:
    def __init__(self, wrapped: Callable[..., logging.LogRecord], redactor: Redactor) -> None:
        self.wrapped = wrapped
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.wrapped(*args, **kwargs)
        self.redactor.redact_record(record)
        return record


def install_redaction(secrets: Iterable[str | None] = ()) -> None:
    """Redact every log record from now on; installing again replaces the known secrets."""
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _RedactingFactory):
        factory = factory.wrapped
    logging.setLogRecordFactory(_RedactingFactory(factory, Redactor(secrets)))

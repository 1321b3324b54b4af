"""Redaction: every kind of secret is taken out of a log record, and ordinary records pass as is."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.redaction import REDACTED, Redactor, install_redaction

if TYPE_CHECKING:
    from collections.abc import Iterator

CONFIGURED = "configured-secret-value-1234"

# A log message of each kind the redactor knows, and the secret in it.
SECRETS_BY_KIND = {
    "configured secret": ("connecting with %s", CONFIGURED),
    "key=value": ("login failed: password=%s", "hunter2hunter2"),
    "quoted key": ('body {"refreshToken": "%s"}', "r3fr3sh-t0k3n-value"),
    "upper-case key": ("AUTHORIZATION: %s", "opaque-credential-9"),
    "key under Unicode case folding": ("pa\u017fsword=%s", "folded-password-1"),
    "bearer": ("sent Bearer %s", "abcdefghijklmnop"),
    "basic": ("sent basic %s", "dXNlcjpwYXNzd29yZA=="),
    "JWT": ("the caller sent %s", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl"),
    "argon2 hash": ("stored %s", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"),
    "URL password": ("connecting to postgresql://app:%s@db/referrals", "pa55-w0rd-db"),
}


@pytest.fixture
def redacting() -> Iterator[None]:
    """Redaction installed with CONFIGURED as a known secret, and removed afterwards."""
    factory = logging.getLogRecordFactory()
    install_redaction([CONFIGURED])
    yield
    logging.setLogRecordFactory(factory)


@pytest.mark.usefixtures("redacting")
@pytest.mark.parametrize("kind", SECRETS_BY_KIND)
def test_a_secret_of_every_kind_is_redacted_from_a_log_record(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    message, secret = SECRETS_BY_KIND[kind]
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        logging.getLogger("tests.redaction").info(message, secret)
    (record,) = caplog.records
    assert secret not in record.getMessage()
    assert REDACTED in record.getMessage()


@pytest.mark.usefixtures("redacting")
def test_an_ordinary_record_is_logged_as_it_was_made(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        logging.getLogger("tests.redaction").info("%s %s %d", "GET", "/referrals/{id}", 200)
    (record,) = caplog.records
    assert (record.msg, record.args) == ("%s %s %d", ("GET", "/referrals/{id}", 200))


# Pieces of secrets, their keys and their separators, in several cases, for text that comes
# close to every pattern from every side.
FRAGMENTS = st.sampled_from(
    [
        *(secret for _, secret in SECRETS_BY_KIND.values()),
        *("password", "PASSWD", "pa\u017fsword", "secret", "Token", "api_key", "API-KEY"),
        *("authorization", "Cookie", "Bearer ", "basic ", "eyJ", "$argon2i$", "://", "@"),
        *("=", ": ", '"', "'", ".", " ", "\n", "\u0130", "\u0131"),
    ]
)


@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=12).map("".join))
def test_the_pre_check_never_changes_what_is_redacted(text: str) -> None:
    redactor = Redactor([CONFIGURED])
    every_text_checked = Redactor([CONFIGURED])
    every_text_checked._trigger = re.compile("")  # no pre-check: every substitution runs
    assert redactor(text) == every_text_checked(text)

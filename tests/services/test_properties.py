"""Properties of the input rules: email normalisation, code validation, cursor round trips."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.domain.accounts import (
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    normalize_email,
)
from app.domain.codes import GENERATED_CODE_ALPHABET, generate_code, normalize_code
from app.domain.pages import MAX_ID, decode_cursor, encode_cursor, parse_id
from app.errors import BadUserInput
from tests.strategies import odd_text

ALPHANUMERIC = string.ascii_letters + string.digits
codes = st.text(alphabet=ALPHANUMERIC, min_size=4, max_size=24)
blank = st.sampled_from(["", " ", "\t", "  \n"])
# What clients send: hypothesis' text, and text with lone surrogates and NUL in it.
client_text = st.text(max_size=300) | odd_text


def normalized_or_none(email: str) -> str | None:
    try:
        return normalize_email(email)
    except BadUserInput:
        return None


@given(st.emails())
def test_a_valid_email_normalises_to_lower_case_within_the_limit(email: str) -> None:
    normalized = normalized_or_none(email)
    if normalized is not None:
        assert normalized == normalized.lower()
        assert len(normalized) <= MAX_EMAIL_LENGTH


@given(st.emails() | client_text)
@example("İnfo@example.com")
@example("ǅ@example.com")
def test_email_normalisation_is_idempotent(email: str) -> None:
    normalized = normalized_or_none(email)
    if normalized is not None:
        assert normalize_email(normalized) == normalized


@given(st.emails(), blank, blank)
def test_email_case_and_surrounding_space_do_not_matter(
    email: str, before: str, after: str
) -> None:
    normalized = normalized_or_none(email)
    if normalized is not None:
        assert normalize_email(before + email.upper() + after) == normalized
        assert normalize_email(email.swapcase()) == normalized


@given(client_text)
@example("\ud800@example.com")
@example("a\x00b@example.com")
def test_anything_else_is_bad_input_never_a_crash(text: str) -> None:
    normalized = normalized_or_none(text)
    assert normalized is None or "@" in normalized


@given(codes, blank, blank)
def test_a_code_of_letters_and_digits_normalises_to_upper_case(
    code: str, before: str, after: str
) -> None:
    assert normalize_code(before + code + after) == code.upper()


@given(st.text(max_size=40) | odd_text)
@example("ßab1")  # "SSAB1" once upper-cased
@example("\u0131NTERNAL")  # dotless i upper-cases to an ASCII "I"
@example("ﬀab1")  # the ligature upper-cases to "FF"
@example("AB\x00CD")
@example("AB\ud800CD")
def test_a_code_is_accepted_only_if_it_is_4_to_24_ascii_letters_and_digits(text: str) -> None:
    stripped = text.strip()
    valid = 4 <= len(stripped) <= 24 and all(char in ALPHANUMERIC for char in stripped)
    if valid:
        assert normalize_code(text) == stripped.upper()
    else:
        with pytest.raises(BadUserInput):
            normalize_code(text)


def test_generated_codes_are_valid_and_unambiguous() -> None:
    for code in (generate_code() for _ in range(200)):
        assert normalize_code(code) == code
        assert len(code) == 10
        assert set(code) <= set(GENERATED_CODE_ALPHABET)
        assert not set(code) & set("01OIL")


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_a_cursor_decodes_to_the_id_it_encodes(referee_id: int) -> None:
    cursor = encode_cursor(referee_id)
    assert decode_cursor(cursor) == referee_id
    assert set(cursor) <= set(ALPHANUMERIC + "-_")


@given(client_text)
@example("cmVmZXJyYWw6MQ\ud800")
def test_a_cursor_we_did_not_issue_is_bad_input_or_a_valid_id(cursor: str) -> None:
    try:
        decoded = decode_cursor(cursor)
    except BadUserInput:
        return
    assert decoded is not None
    assert 0 <= decoded <= MAX_ID


@given(st.text(alphabet=string.digits, min_size=11, max_size=6000).map(lambda d: "1" + d))
@example(str(MAX_ID + 1))
@example("9" * 5000)  # past Python's limit on converting digits to int
def test_a_cursor_past_any_id_is_bad_input(digits: str) -> None:
    forged = base64.urlsafe_b64encode(f"referral:{digits}".encode()).decode().rstrip("=")
    with pytest.raises(BadUserInput):
        decode_cursor(forged)


@given(client_text)
@example("\ud800" * MIN_PASSWORD_LENGTH)
@example("\x00" * MIN_PASSWORD_LENGTH)
def test_a_password_is_accepted_by_its_length_alone(password: str) -> None:
    if MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        assert check_password(password) == password
    else:
        with pytest.raises(BadUserInput):
            check_password(password)


@given(client_text | st.integers())
@example("1\ud800")
@example("1\x00")
@example(" 007 ")
@example("\u0661")  # ARABIC-INDIC DIGIT ONE, which int() reads as 1
def test_an_id_from_a_client_is_a_positive_whole_number_or_bad_input(raw: str | int) -> None:
    try:
        parsed = parse_id(raw)
    except BadUserInput:
        return
    assert parsed >= 1
    assert parsed == int(str(raw).strip())

"""Answers the stand-ins give, in the providers' documented formats.

A body may be a callable of the requested email, so that one scripted answer reads like a
real one for whichever address asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

# What Hunter's deprecated `result` says next to each `status`.
_RESULT_OF_STATUS = {
    "valid": "deliverable",
    "webmail": "deliverable",
    "invalid": "undeliverable",
    "accept_all": "risky",
    "disposable": "risky",
    "unknown": "risky",
}
_SCORE_OF_STATUS = {
    "valid": 100,
    "webmail": 95,
    "accept_all": 70,
    "unknown": 50,
    "disposable": 30,
    "invalid": 0,
}
_HUNTER_ERROR_IDS = {
    222: ("smtp_failed", "The remote SMTP server answered unexpectedly."),
    400: ("wrong_params", "You are missing the email parameter."),
    401: ("authentication_failed", "No user found for the API key supplied."),
    403: ("too_many_requests", "You have reached the rate limit for this key."),
    404: ("not_found", "No data for this email address."),
    429: ("too_many_requests", "You have reached your usage limit."),
    451: ("claimed_email", "The person behind this address asked not to be processed."),
    500: ("internal_error", "Something went wrong on our side."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, JSON body, headers, and how long to take (or hang)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False

    def body_for(self, email: str) -> Any:
        return self.body(email) if callable(self.body) else self.body


def verification(status: str, *, result: str | None = None) -> Answer:
    """Hunter's Email Verifier 200 with `data.status` (and a matching deprecated `result`)."""

    def body(email: str) -> dict[str, Any]:
        return {
            "data": {
                "status": status,
                "result": result or _RESULT_OF_STATUS.get(status, "risky"),
                "score": _SCORE_OF_STATUS.get(status, 50),
                "email": email,
                "regexp": True,
                "gibberish": False,
                "disposable": status == "disposable",
                "webmail": status == "webmail",
                "mx_records": status != "invalid",
                "smtp_server": status != "invalid",
                "smtp_check": status in ("valid", "webmail"),
                "accept_all": status == "accept_all",
                "block": False,
                "sources": [],
            },
            "meta": {"params": {"email": email}},
        }

    return Answer(body=body)


def still_running() -> Answer:
    """202: Hunter is still checking (or Clearbit queued the lookup); ask again."""
    return Answer(status=202)


def hunter_error(status: int, *, retry_after: int | None = None) -> Answer:
    """A Hunter error: `{"errors": [{"id", "code", "details"}]}` with this status."""
    error_id, details = _HUNTER_ERROR_IDS.get(status, ("error", "Unexpected error."))
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = {"errors": [{"id": error_id, "code": status, "details": details}]}
    return Answer(status=status, body=body, headers=headers)


def clearbit_error(status: int, *, retry_after: int | None = None) -> Answer:
    """A Clearbit error: `{"error": {"type", "message"}}` with this status."""
    kinds = {401: "auth_required", 404: "unknown_record", 422: "email_invalid", 429: "rate_limit"}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = {"error": {"type": kinds.get(status, "server_error"), "message": "Stand-in error."}}
    return Answer(status=status, body=body, headers=headers)


def person(
    *,
    full_name: str | None = "Ada Lovelace",
    location: str | None = "London, England, GB",
    avatar: str | None = "https://avatars.example.com/ada.png",
    company: str | None = "Analytical Engines",
    domain: str | None = "engines.example",
    title: str | None = "Chief Mathematician",
) -> Answer:
    """A combined-lookup 200 in Clearbit's format: `{"person": {...}, "company": {...}}`."""
    given, _, family = (full_name or "").partition(" ")

    def body(email: str) -> dict[str, Any]:
        return {
            "person": {
                "id": "d54c54ad-40be-4305-8a34-0ab44710b90d",
                "name": {
                    "fullName": full_name,
                    "givenName": given or None,
                    "familyName": family or None,
                },
                "email": email,
                "location": location,
                "avatar": avatar,
                "employment": {"name": company, "domain": domain, "title": title},
            },
            "company": {"name": company, "domain": domain} if company or domain else None,
        }

    return Answer(body=body)


def slow(answer: Answer, seconds: float) -> Answer:
    """The same answer, given after `seconds`."""
    return replace(answer, delay=seconds)


def hang() -> Answer:
    """No answer at all until the client gives up and disconnects."""
    return Answer(hang=True)

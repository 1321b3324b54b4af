"""wrk: install it, write a Lua script for a scenario, run it and read the numbers it prints."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from bench.procs import Children

WRK = "wrk"
RESULT_MARK = "BENCH_JSON "


def ensure_wrk(*, install: bool = True) -> str | None:
    """The path of wrk, installing Debian's package when it is missing and we may."""
    found = shutil.which(WRK)
    if found or not install:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"]):
        subprocess.run(command, env=environment, capture_output=True, timeout=300, check=False)
        if found := shutil.which(WRK):
            return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        env=environment,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return shutil.which(WRK)


@dataclass(frozen=True, slots=True)
class Request:
    """One kind of request a wrk connection sends over and over, and how to check its answer."""

    method: str
    path: str
    body: str | None = None
    content_type: str | None = None
    expect_status: int = 200
    expect_text: str | None = None  # the answer must contain this
    reject_text: str | None = None  # and must not contain this
    # Register-style requests: `{email}` in the body becomes a fresh address per request.
    unique_email_prefix: str | None = None
    bearer: str | None = None  # sent as `Authorization: Bearer ...`


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_script(request: Request) -> str:
    """A wrk script that sends `request`, counts wrong answers and prints JSON when done.

    Register-style requests get addresses unique to this script, so that a warm-up and the
    measurement after it never ask for the same email.
    """
    headers = ""
    if request.content_type:
        headers = f'wrk.headers["Content-Type"] = {_lua_string(request.content_type)}\n'
    if request.bearer:
        headers += f'wrk.headers["Authorization"] = {_lua_string("Bearer " + request.bearer)}\n'
    lines = [
        f"wrk.method = {_lua_string(request.method)}",
        f"wrk.path = {_lua_string(request.path)}",
        headers,
        f"expect_status = {request.expect_status}",
        f"expect_text = {_lua_string(request.expect_text) if request.expect_text else 'nil'}",
        f"reject_text = {_lua_string(request.reject_text) if request.reject_text else 'nil'}",
        "bad = 0",
        "first_bad = nil",
        "threads = {}",
        "local thread_count = 0",
        "function setup(thread)",
        "  thread_count = thread_count + 1",
        "  thread:set('thread_id', thread_count)",
        "  table.insert(threads, thread)",
        "end",
        "function response(status, headers, body)",
        "  local wrong = status ~= expect_status",
        "  if not wrong and expect_text then",
        "    wrong = not string.find(body, expect_text, 1, true)",
        "  end",
        "  if not wrong and reject_text then wrong = string.find(body, reject_text, 1, true) end",
        "  if wrong then",
        "    bad = bad + 1",
        "    if not first_bad then first_bad = status .. ' ' .. string.sub(body or '', 1, 200) end",
        "  end",
        "end",
    ]
    if request.unique_email_prefix is not None:
        assert request.body is not None
        prefix = f"{request.unique_email_prefix}-{secrets.token_hex(4)}"
        before, _, after = request.body.partition("{email}")
        lines += [
            f"body_before = {_lua_string(before)}",
            f"body_after = {_lua_string(after)}",
            f"email_prefix = {_lua_string(prefix)}",
            "counter = 0",
            "function request()",
            "  counter = counter + 1",
            "  local email = email_prefix .. '-' .. (thread_id or 0) .. '-' .. counter"
            " .. '@bench.example.com'",
            "  return wrk.format(nil, nil, nil, body_before .. email .. body_after)",
            "end",
        ]
    elif request.body is not None:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    lines += [
        "function done(summary, latency, requests)",
        "  local wrong, sample = 0, ''",
        "  for _, thread in ipairs(threads) do",
        "    wrong = wrong + (thread:get('bad') or 0)",
        "    local first = thread:get('first_bad')",
        "    if first and sample == '' then sample = first end",
        "  end",
        "  local e = summary.errors",
        "  io.write(string.format('" + RESULT_MARK + '{"requests":%d,"duration_us":%d,'
        '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,'
        '"timeouts":%d,"bad":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
        '"mean_us":%.1f,"sample":"%s"}\\n\',',
        "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,",
        "    e.timeout, wrong, latency:percentile(50), latency:percentile(90),",
        "    latency:percentile(99), latency.max, latency.mean,",
        "    (string.gsub(sample, '[^%w %.%-_:,;{}%[%]()=/]', '?'))))",
        "end",
    ]
    return "\n".join(line for line in lines if line) + "\n"


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors, timeouts and wrong answers
    sample_error: str
    breakdown: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_output(output: str) -> WrkResult:
    """The numbers from the JSON line that the script's done() prints."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            data = json.loads(line[len(RESULT_MARK) :])
            errors = sum(
                int(data[key])
                for key in ("connect_errors", "read_errors", "write_errors", "timeouts", "bad")
            )
            return WrkResult(
                requests=int(data["requests"]),
                seconds=int(data["duration_us"]) / 1e6,
                p50_ms=int(data["p50_us"]) / 1000,
                p90_ms=int(data["p90_us"]) / 1000,
                p99_ms=int(data["p99_us"]) / 1000,
                max_ms=int(data["max_us"]) / 1000,
                errors=errors,
                sample_error=str(data.get("sample", "")),
                breakdown={
                    key: int(data[key])
                    for key in ("connect_errors", "read_errors", "write_errors", "timeouts", "bad")
                    if int(data[key])
                },
            )
    raise RuntimeError(f"wrk printed no result line:\n{output[-2000:]}")


class WrkRun:
    """One wrk process running in the background; `result()` waits for it (bounded)."""

    def __init__(
        self,
        children: Children,
        *,
        url: str,
        request: Request,
        script_path: Path,
        duration: int,
        connections: int,
        threads: int = 1,
        timeout: int = 10,
    ) -> None:
        script_path.write_text(lua_script(request))
        self.duration = duration
        self.children = children
        self.process = children.start(
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                f"--timeout={timeout}s",
                "-s",
                str(script_path),
                url.rstrip("/") + request.path,
            ],
            capture=True,
        )

    def result(self) -> WrkResult:
        try:
            stdout, stderr = self.process.communicate(timeout=self.duration + 60)
        finally:
            self.children.stop(self.process)
        return parse_output(stdout.decode(errors="replace") + stderr.decode(errors="replace"))

"""`python -m bench.compare A.json B.json ...`: medians of several bench runs side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _cell(summary: dict[str, object] | None) -> str:
    if summary is None:
        return "-"
    if summary.get("skipped"):
        return "skipped"
    if summary.get("not_run"):
        return "not run"
    rps, p50, p99 = (float(summary[key]) for key in ("rps", "p50_ms", "p99_ms"))  # type: ignore[arg-type]
    return f"{rps:,.1f} / {p50:,.1f} / {p99:,.1f}"


def main(paths: list[str]) -> None:
    runs = [json.loads(Path(path).read_text()) for path in paths]
    names: list[str] = []
    for run in runs:
        names += [name for name in run.get("summaries", {}) if name not in names]
    print("| scenario | " + " | ".join(Path(path).stem for path in paths) + " |")
    print("|---|" + "---|" * len(paths))
    for name in names:
        cells = [_cell(run.get("summaries", {}).get(name)) for run in runs]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "\nreq/s / p50 ms / p99 ms, medians; "
        + "; ".join(
            f"{Path(path).stem}: {run['backend']}, {run['settings']['repeat']} runs,"
            f" hashing limit {run['hashing']['cores'] / run['hashing']['hash_seconds']:.0f}/s"
            for path, run in zip(paths, runs, strict=True)
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])

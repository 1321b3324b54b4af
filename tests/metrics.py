"""Reading GET /metrics as Prometheus does: the text format, parsed by prometheus-client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    import httpx

REQUESTS = "referrals_request_duration_seconds_count"


class Scrape:
    """The samples of one scrape, by name and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when the scrape has none."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def labels_of(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample with this name."""
        return [dict(labels) for sample, labels in self.samples if sample == name]

    def requests(self, transport: str, operation: str, outcome: str = "ok") -> float:
        """How many requests the histogram counted with these labels."""
        return self.value(REQUESTS, transport=transport, operation=operation, outcome=outcome)

    def minus(self, earlier: Scrape) -> Scrape:
        """What changed since an earlier scrape, sample by sample (counters only grow)."""
        delta = Scrape("")
        delta.samples = {
            key: value - earlier.samples.get(key, 0.0)
            for key, value in self.samples.items()
            if value != earlier.samples.get(key, 0.0)
        }
        return delta


async def scrape(http: httpx.AsyncClient, *, token: str | None = None) -> Scrape:
    """GET /metrics, which must answer Prometheus' text format."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.text)

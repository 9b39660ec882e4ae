"""A worker's health and metrics over HTTP (`wirestream worker --http-port 9464`).

- `GET /livez`: 200 while the worker's event loop turns (it ticks every second); 503 when it has
  not for `LIVE_WITHIN_S`, a stuck loop that a supervisor should restart.
- `GET /readyz`: 200 when live, holding partitions, and with no partition the stall detector
  flags; 503 with the reasons otherwise (before the group assigns it anything, during a stall).
- `GET /metrics`: Prometheus text, from the counters the stages keep (`wirestream_events_total
  {stage, outcome}`), the timings of `pipeline.metrics` (batches, model, Elasticsearch), the
  group's lag per topic-partition, the partitions held, the stalled ones, and the loop's last tick.

The server runs in a thread of its own, so it answers (with 503) when the event loop does not.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from pipeline import metrics

log = logging.getLogger(__name__)

#: The loop is live while its last tick is younger than this.
LIVE_WITHIN_S = 15.0


@dataclass(eq=False)  # a Prometheus collector: registered by identity
class WorkerHealth:
    """What the stages and the loop report, read by the HTTP thread."""

    #: Stage -> its live counters (the Counter each stage's `register` returns).
    counters: dict[str, Counter[str]] = field(default_factory=dict)
    last_tick: float = field(default_factory=time.monotonic)
    partitions: int = 0
    stalled: int = 0
    #: Reads the worker group's lag, (topic, partition) -> events not committed yet, from Kafka.
    lag: Callable[[], Mapping[tuple[str, int], int]] | None = None

    def tick(self, partitions: int) -> None:
        """Called by the event loop every second."""
        self.last_tick = time.monotonic()
        self.partitions = partitions

    def problems(self, now: float | None = None) -> list[str]:
        """Why the worker is not ready; empty when it is."""
        age = (now or time.monotonic()) - self.last_tick
        found = [f"event loop has not ticked for {age:.0f} s"] if age > LIVE_WITHIN_S else []
        if not self.partitions:
            found.append("no partitions assigned yet")
        if self.stalled:
            found.append(f"{self.stalled} partition(s) stalled")
        return found

    def collect(self) -> Iterator[Metric]:
        events = CounterMetricFamily("wirestream_events", "Events each stage handled, by outcome.",
                                     labels=["stage", "outcome"])
        for stage, counts in sorted(self.counters.items()):
            for outcome, count in sorted(counts.items()):
                events.add_metric([stage, outcome], count)
        yield events
        yield GaugeMetricFamily("wirestream_partitions_assigned", "Partitions this worker holds.", value=self.partitions)
        yield GaugeMetricFamily("wirestream_partitions_stalled", "Partitions the stall detector flags.",
                                value=self.stalled)
        yield GaugeMetricFamily("wirestream_loop_tick_age_seconds", "Seconds since the event loop last ticked.",
                                value=time.monotonic() - self.last_tick)
        if self.lag is not None:
            lag = GaugeMetricFamily("wirestream_consumer_lag", "Events on each pipeline topic-partition the "
                                    "worker group has not committed yet, read from Kafka.", labels=["topic", "partition"])
            try:
                for (topic, partition), behind in sorted(self.lag().items()):
                    lag.add_metric([topic, str(partition)], behind)
            except Exception as error:  # noqa: BLE001 - Kafka away: the other metrics still answer
                log.warning("metrics: cannot read the group's lag: %s", error)
            yield lag


def serve(health: WorkerHealth, host: str, port: int) -> ThreadingHTTPServer:
    """Start the health and metrics server in a daemon thread; returns it (`.shutdown()` stops it)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(health)
    for metric in metrics.ALL:
        registry.register(metric)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            if self.path == "/metrics":
                self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                return
            if self.path not in ("/livez", "/readyz"):
                self._answer(404, b"not found: /livez, /readyz, /metrics\n", "text/plain")
                return
            problems = health.problems()
            if self.path == "/livez":
                problems = [p for p in problems if p.startswith("event loop")]
            body = json.dumps({"ok": not problems, "problems": problems}).encode() + b"\n"
            self._answer(503 if problems else 200, body, "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # probes every few seconds: not worth a log line
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="health-http", daemon=True).start()
    return server

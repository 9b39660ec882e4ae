"""The worker's timings as Prometheus histograms, one set per process, served on the worker's
`/metrics` (`pipeline.health`) next to the stages' event counters.

They are module-level, as prometheus_client intends, but registered only with the worker's own
registry (`registry=None` here): a test or a CLI command that imports a stage exports nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

#: From a few milliseconds (a dedup decision) to minutes (a batch waiting out an outage).
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

BATCH_SECONDS = Histogram("wirestream_batch_seconds", "Time a stage takes from receiving a batch of events to "
                          "acknowledging it (dedup: one event).", ["stage"], buckets=_BUCKETS, registry=None)
MODEL_SECONDS = Histogram("wirestream_model_seconds", "Time a model process takes for one batch (entities, vectors).",
                          ["model"], buckets=_BUCKETS, registry=None)
ELASTICSEARCH_SECONDS = Histogram("wirestream_elasticsearch_request_seconds", "Time of one request to "
                                  "Elasticsearch (bulk writes, copy counts), its retries included.",
                                  buckets=_BUCKETS, registry=None)
ELASTICSEARCH_RETRIES = Counter("wirestream_elasticsearch_retries", "Requests to Elasticsearch tried again because "
                                "it was unreachable or busy.", registry=None)

ALL = (BATCH_SECONDS, MODEL_SECONDS, ELASTICSEARCH_SECONDS, ELASTICSEARCH_RETRIES)


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    """Observe the time the `with` block takes, also when it raises (a failed batch took time too)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - start)

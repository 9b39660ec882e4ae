"""A worker's health and metrics endpoints, served from their own thread."""

import json
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from pipeline.health import LIVE_WITHIN_S, WorkerHealth, serve


@pytest.fixture
def endpoint():
    health = WorkerHealth(counters={"enrich": Counter(enriched=3, refused=1), "dedup": Counter()})
    server = serve(health, "127.0.0.1", 0)
    yield health, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_ready_only_when_holding_partitions_and_none_stalled(endpoint):
    health, url = endpoint
    status, body = get(url + "/readyz")
    assert status == 503 and json.loads(body)["problems"] == ["no partitions assigned yet"]
    assert get(url + "/livez")[0] == 200  # live all the same
    health.tick(partitions=4)
    assert get(url + "/readyz") == (200, '{"ok": true, "problems": []}\n')
    health.stalled = 1
    status, body = get(url + "/readyz")
    assert status == 503 and json.loads(body)["problems"] == ["1 partition(s) stalled"]


def test_not_live_when_the_event_loop_stops_ticking(endpoint):
    health, url = endpoint
    health.tick(partitions=4)
    health.last_tick = time.monotonic() - LIVE_WITHIN_S - 5  # as if the loop were stuck
    status, body = get(url + "/livez")
    assert status == 503 and "event loop has not ticked" in json.loads(body)["problems"][0]
    assert get(url + "/readyz")[0] == 503


def test_metrics_are_prometheus_text_from_the_stages_counters(endpoint):
    health, url = endpoint
    health.tick(partitions=2)
    status, body = get(url + "/metrics")
    assert status == 200
    assert 'wirestream_events_total{outcome="enriched",stage="enrich"} 3.0' in body
    assert 'wirestream_events_total{outcome="refused",stage="enrich"} 1.0' in body
    assert "wirestream_partitions_assigned 2.0" in body and "wirestream_partitions_stalled 0.0" in body
    health.counters["enrich"]["enriched"] += 2  # read live at each scrape
    assert 'wirestream_events_total{outcome="enriched",stage="enrich"} 5.0' in get(url + "/metrics")[1]
    assert get(url + "/nothing")[0] == 404


def test_metrics_carry_timings_and_the_groups_lag(endpoint):
    from pipeline.metrics import BATCH_SECONDS, ELASTICSEARCH_RETRIES, timed

    health, url = endpoint
    health.lag = lambda: {("articles.unique", 2): 7, ("articles.raw", 0): 0}
    with timed(BATCH_SECONDS.labels("health-test")):
        pass
    retries_before = ELASTICSEARCH_RETRIES._value.get()
    ELASTICSEARCH_RETRIES.inc(2)
    status, metrics = get(url + "/metrics")
    assert status == 200
    assert 'wirestream_consumer_lag{partition="2",topic="articles.unique"} 7.0' in metrics
    assert 'wirestream_batch_seconds_count{stage="health-test"} 1.0' in metrics
    assert 'wirestream_batch_seconds_bucket{le="0.005",stage="health-test"} 1.0' in metrics
    assert f"wirestream_elasticsearch_retries_total {retries_before + 2}" in metrics
    assert "# HELP wirestream_model_seconds" in metrics


def test_metrics_still_answer_when_the_lag_cannot_be_read(endpoint):
    health, url = endpoint

    def unreachable():
        raise TimeoutError("Kafka is away")

    health.lag = unreachable
    status, metrics = get(url + "/metrics")
    assert status == 200 and 'wirestream_events_total{outcome="enriched",stage="enrich"} 3.0' in metrics
    assert "wirestream_consumer_lag{" not in metrics


def test_the_grafana_dashboard_queries_only_series_a_worker_serves(endpoint):
    import re

    from pipeline.settings import CONFIG_DIR

    from pipeline.metrics import BATCH_SECONDS, MODEL_SECONDS

    health, url = endpoint
    health.lag = lambda: {("articles.raw", 0): 1}
    BATCH_SECONDS.labels("health-test").observe(0.1)  # a labelled histogram has series once observed
    MODEL_SECONDS.labels("health-test").observe(0.1)
    served = set(re.findall(r"^(wirestream_\w+?)(?:\{| )", get(url + "/metrics")[1], re.MULTILINE))
    dashboard = json.loads((CONFIG_DIR / "grafana" / "dashboards" / "pipeline-health.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\bwirestream_\w+", target["expr"])}
    assert len(queried) >= 8
    assert queried <= served, sorted(queried - served)

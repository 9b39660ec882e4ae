"""The bulk writer's patience: without end for a node that does not answer, a deadline for one
that answers and keeps failing. (Its writes against the real node: tests/integration.)"""

from __future__ import annotations

import pytest
from elastic_transport import ConnectionTimeout
from elasticsearch import ConnectionError as Unreachable

from pipeline.sinks.elasticsearch import BulkWriter, DeadlineExceeded


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def writer(time: FakeTime) -> BulkWriter:
    return BulkWriter(client=None, deadline_s=300, sleep=time.sleep, clock=lambda: time.now)


def test_a_request_failing_while_elasticsearch_answers_ends_after_the_deadline():
    time = FakeTime()

    def timing_out():
        raise ConnectionTimeout("read timed out")

    with pytest.raises(DeadlineExceeded, match=r"answered but failed a request for 300 s \(ConnectionTimeout: "):
        writer(time)._request(timing_out)
    assert 300 < time.now < 300 + 2 * 30  # no later than one more wait after the deadline


def test_a_node_that_does_not_answer_is_waited_for_however_long():
    time = FakeTime()
    attempts = 0

    def down_for_an_hour():
        nonlocal attempts
        attempts += 1
        if time.now < 3600:
            raise Unreachable("connection refused")
        return {"took": 1}

    assert writer(time)._request(down_for_an_hour) == ({"took": 1}, attempts - 1)


def test_the_deadline_counts_only_the_time_the_node_answers():
    time = FakeTime()

    def down_then_slow():  # unreachable for an hour, then timing out: 300 s from the first time-out
        if time.now < 3600:
            raise Unreachable("connection refused")
        raise ConnectionTimeout("read timed out")

    with pytest.raises(DeadlineExceeded):
        writer(time)._request(down_then_slow)
    assert 3600 + 300 < time.now < 3600 + 300 + 60

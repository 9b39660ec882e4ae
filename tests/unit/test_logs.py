"""JSON logs: one event per line, tracebacks included, for the worker's whole life."""

import json
import logging
import os
import subprocess
import sys
import time

from pipeline.logs import JsonFormatter


def test_a_record_is_one_line_of_json_with_its_traceback():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord("wirestream.x", logging.ERROR, __file__, 1, "failed: %s", ("story-1",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["level"] == "error" and event["logger"] == "wirestream.x" and event["message"] == "failed: story-1"
    assert "ValueError: bad\nthing" in event["error"] and event["time"].endswith("+00:00")


def test_the_worker_logs_json_lines_from_its_first_line():
    env = {**os.environ, "WIRESTREAM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}  # nothing listens there
    worker = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "worker", "--log-format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    events = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and not any(e["logger"] == "wirestream.worker" for e in events):
            line = worker.stdout.readline()
            if not line:
                break
            events.append(json.loads(line))  # every line is an event
    finally:
        worker.kill()
        _, errors = worker.communicate()
    waiting = [e for e in events if e["logger"] == "wirestream.worker"]
    assert waiting and waiting[0]["level"] == "warning" and "cannot reach Kafka at 127.0.0.1:1" in waiting[0]["message"]
    assert not any(e["logger"] == "kafka.conn" and e["level"] == "info" for e in events)  # client chatter is quiet
    assert errors == ""

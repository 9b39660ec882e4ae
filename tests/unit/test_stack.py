"""The local stack's pure parts, and what it reads of a process from /proc."""

import os
import subprocess
import sys
import uuid

from pipeline import stack


def test_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xF8 in the first byte encodes to "-" first: Kafka's storage tool took such an id for an
    # option and the stack failed to start, once in 64 fresh starts.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" + bytes(15))])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))

    assert stack.cluster_id() == "EAAAAAAAAAAAAAAAAAAAAA"


def test_cluster_id_is_22_url_safe_characters():
    ids = {stack.cluster_id() for _ in range(200)}

    assert len(ids) == 200
    assert all(len(i) == 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_a_process_cpu_and_run_queue_times_are_read_from_proc_and_none_once_it_is_gone():
    sum(range(3_000_000))  # some CPU time of our own
    assert stack.cpu_seconds(os.getpid()) > 0
    assert stack.run_queue_seconds(os.getpid()) >= 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert stack.cpu_seconds(child.pid) is None and stack.run_queue_seconds(child.pid) is None

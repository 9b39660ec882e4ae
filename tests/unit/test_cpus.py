"""`enrich.model_cpu`: the CPU plan and its one-line refusals."""

import os
import subprocess
import sys

import pytest

from pipeline.enrich.cpus import CpuPlan, plan
from pipeline.settings import SettingsError, load_settings


def test_unset_pins_nothing():
    assert plan(None, {0, 1}) is None


def test_the_model_gets_its_cpu_and_the_rest_the_others():
    assert plan(2, {0, 1, 2, 3}) == CpuPlan(model=frozenset({2}), others=frozenset({0, 1, 3}))


def test_a_cpu_the_worker_may_not_use_is_refused_by_name():
    with pytest.raises(ValueError, match=r"model_cpu is 4, but this worker may run on CPUs 0, 1 only"):
        plan(4, {0, 1})


def test_one_cpu_cannot_be_shared_out():
    with pytest.raises(ValueError, match="one CPU only"):
        plan(0, {0})


def test_a_negative_cpu_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("WIRESTREAM_ENRICH__MODEL_CPU", "-1")
    with pytest.raises(SettingsError, match=r"enrich\.model_cpu.*WIRESTREAM_ENRICH__MODEL_CPU"):
        load_settings()


def test_the_worker_refuses_a_model_cpu_it_cannot_use_in_one_line():
    env = {**os.environ, "WIRESTREAM_ENRICH__MODEL_CPU": "4096", "WIRESTREAM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    worker = subprocess.run([sys.executable, "-m", "pipeline.cli", "worker"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert worker.returncode == 1
    lines = worker.stderr.strip().splitlines()
    assert len(lines) == 1 and "enrich.model_cpu is 4096, but this worker may run on CPUs" in lines[0], lines

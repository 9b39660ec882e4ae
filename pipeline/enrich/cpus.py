"""Which CPUs a worker's processes run on when `enrich.model_cpu` gives the entity model a core.

A flood goes as fast as the entity model process: spaCy on one core, busy all the time. On a host
it shares with other busy processes (the worker's own event loop and vector process, and on a small
machine Kafka and Elasticsearch), each of their wake-ups that lands on the model's core stops the
model for a while: sampled from `/proc/<pid>/schedstat` in `wirestream bench --workers 1` on two
cores, the model process waited for a core 6-11 % of the flood. With the model on a CPU of its own
and the worker's other threads and its vector process on the rest, the same run went from 0.80 to
0.88 of raw `nlp.pipe`. The machine's scheduler still places everything else (Kafka, Elasticsearch).

Unset (the default), nothing is pinned: the right choice when several workers share a host without
each being given its own `model_cpu`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuPlan:
    """The model process's CPU, and the CPUs left for the worker's other processes and threads."""

    model: frozenset[int]
    others: frozenset[int]


def plan(model_cpu: int | None, allowed: Iterable[int] | None = None) -> CpuPlan | None:
    """The plan for `model_cpu` among the CPUs this process may use (`allowed`, by default what the
    system allows it); None when unset. Raises `ValueError` (one line) when it cannot be followed."""
    if model_cpu is None:
        return None
    allowed = frozenset(allowed_cpus() if allowed is None else allowed)
    if model_cpu not in allowed:
        raise ValueError(f"enrich.model_cpu is {model_cpu}, but this worker may run on CPUs {_listed(allowed)} only")
    if len(allowed) < 2:
        raise ValueError(f"enrich.model_cpu is {model_cpu}, but this worker may run on one CPU only: "
                         "the model cannot have one to itself (unset it)")
    return CpuPlan(frozenset({model_cpu}), allowed - {model_cpu})


def allowed_cpus() -> frozenset[int]:
    """The CPUs this process may run on. Raises `ValueError` where CPUs cannot be chosen (not Linux)."""
    if not hasattr(os, "sched_getaffinity"):
        raise ValueError("enrich.model_cpu needs Linux (CPU affinity); unset it on this system")
    return frozenset(os.sched_getaffinity(0))


def pin_process(cpus: frozenset[int]) -> None:
    """Run every thread of this process on `cpus`; threads started later inherit it."""
    for thread in os.listdir("/proc/self/task"):  # os.sched_setaffinity(0, ...) moves the calling thread only
        try:
            os.sched_setaffinity(int(thread), cpus)
        except ProcessLookupError:  # it ended meanwhile
            pass


def _listed(cpus: frozenset[int]) -> str:
    return ", ".join(str(cpu) for cpu in sorted(cpus))

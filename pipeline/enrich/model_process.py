"""The entity engine in a process of its own, for the enrichment agent.

spaCy holds the GIL for most of a batch. In a thread of the worker it took turns with the event
loop (Kafka, deduplication, the sinks, the alerts), and each slowed the other; in a process of its
own the model has a core while the worker's loop has the other.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from threadpoolctl import threadpool_limits

from pipeline.embedding import Embedder, load_embedder
from pipeline.enrich.batch import EnrichResult, enrich_batch
from pipeline.enrich.engine import EntityEngine
from pipeline.ingest import Rejected
from pipeline.producer import dead_letter

log = logging.getLogger(__name__)

#: How long a batch may take in the model process before the child counts as hung. A batch of 32
#: takes 1-3 s; a child that has not loaded its models yet (just replaced) takes ~5 s more.
DEADLINE_S = 120.0

_engine: EntityEngine | None = None  # in the model process
_embedder: Embedder | None = None  # in the model process, when vectors are on


class ModelProcess:
    """Runs `enrich_batch` in a child process that loads the engine once.

    A child that dies (killed, out of memory, a crash in native code), or gives no answer within
    `deadline_s` (hung: stopped, deadlocked, swapping), is killed and replaced, and its batch tagged
    again; a batch that fails twice is tagged story by story, and a story that fails once more goes
    to the dead letters with the reason rather than stopping the worker. Without the deadline a hung
    child would hold the agent's await forever, and with it every agent of the worker (Faust feeds
    them all from one fetch loop).
    """

    def __init__(self, vectors: bool = True, deadline_s: float = DEADLINE_S) -> None:
        self._vectors = vectors
        self._deadline_s = deadline_s
        self._pool = _start(vectors)

    async def warm_up(self) -> None:
        """Start the child and load the model now, not on the first story (no deadline: loading
        takes as long as the machine needs)."""
        await self._run([], [], timed=False)

    async def enrich(self, values: list[bytes], where: list[str]) -> EnrichResult:
        """`enrich_batch` on the engine in the child process."""
        for attempt in (1, 2):
            pool = self._pool
            try:
                return await self._run(values, where)
            except (BrokenProcessPool, TimeoutError) as error:
                log.error("enrich: the model process %s (attempt %d for a batch of %d); starting a new one",
                          self._failure(error), attempt, len(values))
                self._restart(pool)
        result = EnrichResult([], [])
        for value, position in zip(values, where):
            pool = self._pool
            try:
                one = await self._run([value], [position])
            except (BrokenProcessPool, TimeoutError) as error:
                self._restart(pool)
                reason = f"entity tagging failed: the model process {self._failure(error)} on this story"
                one = EnrichResult([], [dead_letter(Rejected(position, reason, value), stage="enrich")])
            result.enriched.extend(one.enriched)
            result.refused.extend(one.refused)
        return result

    @property
    def pids(self) -> list[int]:
        """The child's process id once it started (empty before)."""
        return list(self._children())

    def close(self) -> None:
        """Stop the child now (a worker that re-executes itself keeps its children otherwise)."""
        for process in self._children().values():
            process.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _children(self) -> dict:
        # The executor has no public way to name or stop its processes.
        return dict(getattr(self._pool, "_processes", None) or {})

    async def _run(self, values: list[bytes], where: list[str], *, timed: bool = True) -> EnrichResult:
        work = asyncio.get_running_loop().run_in_executor(self._pool, _tag, values, where)
        return await asyncio.wait_for(work, self._deadline_s if timed else None)

    def _failure(self, error: Exception) -> str:
        return f"gave no answer within {self._deadline_s:g} s" if isinstance(error, TimeoutError) else "died"

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        # Two batches in flight both see the child die: the second must not stop the new one.
        if self._pool is broken:
            self.close()
            self._pool = _start(self._vectors)


def _start(vectors: bool) -> ProcessPoolExecutor:
    # spawn, not fork: the worker runs threads (Kafka's, Faust's) that a fork would copy mid-state.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_load, initargs=(os.getpid(), vectors))


def _load(parent: int, vectors: bool) -> None:
    global _engine, _embedder
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    # The story embedder's matrix products would take both cores; this process has one.
    threadpool_limits(1)
    _engine = EntityEngine.from_config()
    _embedder = load_embedder(vectors)


def _exit_with(parent: int) -> None:
    # A worker killed with SIGKILL cannot stop its child; the child notices it was orphaned.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _tag(values: list[bytes], where: list[str]) -> EnrichResult:
    assert _engine is not None
    return enrich_batch(_engine, values, where, _embedder)

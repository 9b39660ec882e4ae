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

_engine: EntityEngine | None = None  # in the model process
_embedder: Embedder | None = None  # in the model process, when vectors are on


class ModelProcess:
    """Runs `enrich_batch` in a child process that loads the engine once.

    A child that dies (killed, out of memory, a crash in native code) is replaced and its batch
    tagged again; a batch it dies on twice is tagged story by story, and a story that kills it
    once more goes to the dead letters rather than stopping the worker.
    """

    def __init__(self, vectors: bool = True) -> None:
        self._vectors = vectors
        self._pool = _start(vectors)

    async def warm_up(self) -> None:
        """Start the child and load the model now, not on the first story."""
        await self._run([], [])

    async def enrich(self, values: list[bytes], where: list[str]) -> EnrichResult:
        """`enrich_batch` on the engine in the child process."""
        for attempt in (1, 2):
            pool = self._pool
            try:
                return await self._run(values, where)
            except BrokenProcessPool:
                log.error("enrich: the model process died (attempt %d for a batch of %d); starting a new one",
                          attempt, len(values))
                self._restart(pool)
        result = EnrichResult([], [])
        for value, position in zip(values, where):
            pool = self._pool
            try:
                one = await self._run([value], [position])
            except BrokenProcessPool:
                self._restart(pool)
                reason = "entity tagging failed: the model process died on this story"
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

    async def _run(self, values: list[bytes], where: list[str]) -> EnrichResult:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _tag, values, where)

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

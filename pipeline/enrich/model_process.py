"""The entity engine and the story embedder, each in a process of its own, for the enrichment agent.

spaCy holds the GIL for most of a batch. In a thread of the worker it took turns with the event
loop (Kafka, deduplication, the sinks, the alerts), and each slowed the other; in a process of its
own the model has a core while the worker's loop has the other. The embedder (`pipeline.embedding`,
about a fifth of the entity model's time a story) runs in a second child: it vectors one batch while
the entity child tags the next, on whatever core is free, instead of adding its time to the
entity child's, which limits a flood.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from pipeline.embedding import Embedder, load_embedder
from pipeline.enrich.batch import EnrichResult, embed_stories, enrich_batch
from pipeline.enrich.engine import EntityEngine
from pipeline.ingest import Rejected
from pipeline.metrics import MODEL_SECONDS, timed
from pipeline.producer import dead_letter
from schemas import EnrichedArticle

log = logging.getLogger(__name__)

#: How long a batch may take in a model process before the child counts as hung. A batch of 32
#: takes 1-3 s; a child that has not loaded its models yet (just replaced) takes ~5 s more.
DEADLINE_S = 120.0
#: How much lower the vector process's CPU priority is than the worker's (`nice`).
VECTOR_NICENESS = 10

_engine: EntityEngine | None = None  # in the entity process
_embedder: Embedder | None = None  # in the vector process


class ModelProcess:
    """Runs `enrich_batch` in a child process that loads the engine once, and `embed_stories` in
    another when vectors are on.

    An entity child that dies (killed, out of memory, a crash in native code), or gives no answer
    within `deadline_s` (hung: stopped, deadlocked, swapping), is killed and replaced, and its batch
    tagged again; a batch that fails twice is tagged story by story, and a story that fails once
    more goes to the dead letters with the reason rather than stopping the worker. Without the
    deadline a hung child would hold the agent's await forever, and with it every agent of the
    worker (Faust feeds them all from one fetch loop). A vector child that fails is replaced and its
    stories go on without vectors: search still finds them by their words.
    """

    def __init__(self, vectors: bool = True, deadline_s: float = DEADLINE_S) -> None:
        self._entities = _Child(_load_engine, deadline_s)
        self._vectors = _Child(_load_embedder, deadline_s) if vectors else None

    async def warm_up(self) -> None:
        """Start the children and load the models now, not on the first story (no deadline:
        loading takes as long as the machine needs)."""
        await asyncio.gather(*(child.run(_ready, timed=False) for child in self._children))

    async def enrich(self, values: list[bytes], where: list[str]) -> EnrichResult:
        """`enrich_batch` on the engine in the entity child."""
        for attempt in (1, 2):
            try:
                with timed(MODEL_SECONDS.labels("entities")):
                    return await self._entities.run(_tag, values, where)
            except _Child.FAILED as error:
                log.error("enrich: the model process %s (attempt %d for a batch of %d); starting a new one",
                          self._entities.failure(error), attempt, len(values))
        result = EnrichResult([], [])
        for value, position in zip(values, where):
            try:
                one = await self._entities.run(_tag, [value], [position])
            except _Child.FAILED as error:
                reason = f"entity tagging failed: the model process {self._entities.failure(error)} on this story"
                one = EnrichResult([], [dead_letter(Rejected(position, reason, value), stage="enrich")])
            result.enriched.extend(one.enriched)
            result.refused.extend(one.refused)
        return result

    async def with_vectors(self, stories: list[EnrichedArticle]) -> list[EnrichedArticle]:
        """The stories with their vectors (`embed_stories` in the vector child); unchanged when
        vectors are off or the child fails."""
        if self._vectors is None or not stories:
            return stories
        try:
            with timed(MODEL_SECONDS.labels("vectors")):
                return await self._vectors.run(_embed, stories)
        except _Child.FAILED as error:
            log.error("enrich: the vector process %s; %d stories go on without vectors",
                      self._vectors.failure(error), len(stories))
            return stories

    @property
    def pids(self) -> list[int]:
        """The children's process ids once they started (empty before): the entity process first."""
        return [pid for child in self._children for pid in child.pids]

    def close(self) -> None:
        """Stop the children now (a worker that re-executes itself keeps its children otherwise)."""
        for child in self._children:
            child.close()

    @property
    def _children(self) -> list[_Child]:
        return [self._entities, *([self._vectors] if self._vectors else [])]


class _Child:
    """One spawned process behind a one-worker pool: calls under a deadline; a dead or hung
    process is killed and replaced before the failure is raised."""

    FAILED = (BrokenProcessPool, TimeoutError)

    def __init__(self, load: Callable[[int], None], deadline_s: float) -> None:
        self._load = load
        self._deadline_s = deadline_s
        self._pool = self._start()

    async def run(self, fn: Callable[..., Any], *args: Any, timed: bool = True) -> Any:
        pool = self._pool
        try:
            work = asyncio.get_running_loop().run_in_executor(pool, fn, *args)
            return await asyncio.wait_for(work, self._deadline_s if timed else None)
        except self.FAILED:
            self._restart(pool)
            raise

    def failure(self, error: BaseException) -> str:
        return f"gave no answer within {self._deadline_s:g} s" if isinstance(error, TimeoutError) else "died"

    @property
    def pids(self) -> list[int]:
        return list(self._processes())

    def close(self) -> None:
        for process in self._processes().values():
            process.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _processes(self) -> dict:
        # The executor has no public way to name or stop its processes.
        return dict(getattr(self._pool, "_processes", None) or {})

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        # Two batches in flight both see the child fail: the second must not stop the new one.
        if self._pool is broken:
            self.close()
            self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the worker runs threads (Kafka's, Faust's) that a fork would copy mid-state.
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=self._load, initargs=(os.getpid(),))


def _load_engine(parent: int) -> None:
    global _engine
    _watch(parent)
    _engine = EntityEngine.from_config()


def _load_embedder(parent: int) -> None:
    global _embedder
    _watch(parent)
    # One core's worth: the matrix products would otherwise take both.
    threadpool_limits(1)
    # The entity process is what limits a flood; this one yields the core to it, and keeps up
    # anyway (it has half the work and waits when the entity process is ahead).
    os.nice(VECTOR_NICENESS)
    _embedder = load_embedder(True)


def _watch(parent: int) -> None:
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    # A worker killed with SIGKILL cannot stop its child; the child notices it was orphaned.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _ready() -> None:
    pass


def _tag(values: list[bytes], where: list[str]) -> EnrichResult:
    assert _engine is not None
    return enrich_batch(_engine, values, where)


def _embed(stories: list[EnrichedArticle]) -> list[EnrichedArticle]:
    return embed_stories(_embedder, stories)

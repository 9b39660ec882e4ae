"""Batches of events that are acknowledged only once they have been handled."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import faust
from faust.streams import _current_event

from pipeline.metrics import BATCH_SECONDS, timed

T = TypeVar("T")


class Batch(list):
    """A batch's events. Set `unacked` to leave them to whoever owns their partitions next (a
    stage that found its partition taken away by a rebalance mid-batch)."""

    unacked = False


async def batches(stream: faust.StreamT, size: int, within_s: float, stage: str) -> AsyncIterator[Batch]:
    """Up to `size` events, or what arrived within `within_s` seconds. A batch's events are acked
    when the loop body asks for the next batch, that is after it has handled them; the time that
    takes is `stage`'s `wirestream_batch_seconds`.

    Faust's `take_events` acks a batch in a `finally`: when the agent is cut short in the middle of
    a batch (cancelled at a rebalance, crashed), the batch's offsets are committed although its
    output was never sent, and those stories are lost. Here an unfinished batch stays unacked and
    is read again by whoever owns its partition next: at least once, and the sink's versions and
    the alerts table make the second reading harmless.
    """
    handled = BATCH_SECONDS.labels(stage)
    async for events in stream.noack_take(size, within_s):
        batch = Batch(events)
        with timed(handled):
            yield batch
            if not batch.unacked:
                for event in batch:
                    await stream.ack(event)


async def pipelined(stream: faust.StreamT, size: int, within_s: float, stage: str,
                    start: Callable[[list[faust.EventT]], Awaitable[T]],
                    finish: Callable[[list[faust.EventT], T], Awaitable[None]]) -> None:
    """`batches`, with the next batch started while the one before it is finished.

    `start(events)` begins each batch's work (the enrichment's model, in its own process) at once;
    `finish(events, result)` runs in the order the batches came, and a batch is acked after its
    finish, as in `batches`. The slow resource never waits for the event loop between two batches.
    """
    started: asyncio.Queue[tuple[list[faust.EventT], asyncio.Future[T], float]] = asyncio.Queue(maxsize=1)
    handled = BATCH_SECONDS.labels(stage)

    async def finish_in_order() -> None:
        while True:
            events, work, since = await started.get()
            await finish(events, await work)
            for event in events:
                await stream.ack(event)
            handled.observe(time.perf_counter() - since)

    finisher = asyncio.ensure_future(finish_in_order())
    try:
        async for events in stream.noack_take(size, within_s):
            put = asyncio.ensure_future(started.put((events, asyncio.ensure_future(start(events)), time.perf_counter())))
            await asyncio.wait({put, finisher}, return_when=asyncio.FIRST_COMPLETED)
            if finisher.done():
                put.cancel()
                finisher.result()  # raises what stopped it
    finally:
        finisher.cancel()
        while not started.empty():
            started.get_nowait()[1].cancel()


def in_event_context(event: faust.EventT) -> None:
    """Make `event` the current event of this task, as Faust does for each event it yields. A table
    write goes to the changelog partition of the current event, and a batch (`batches`)
    sets none. Only the context variable is set: the stream's own `current_event`, which its
    batching reads, is left alone."""
    _current_event.set(weakref.ref(event))

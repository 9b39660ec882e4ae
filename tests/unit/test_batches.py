"""`pipelined`: batches finished in order, acked only after their finish, failures not swallowed."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.agents.batches import pipelined
from pipeline.metrics import BATCH_SECONDS


class FakeStream:
    """What `pipelined` uses of a Faust stream: batches of events, and acks."""

    def __init__(self, batches: list[list[int]]) -> None:
        self.batches = batches
        self.acked: list[int] = []

    async def noack_take(self, size: int, within_s: float):
        for batch in self.batches:
            yield batch
        await asyncio.Event().wait()  # a topic never ends; the agent is cancelled at a stop

    async def ack(self, event: int) -> None:
        self.acked.append(event)


async def run_until(stream: FakeStream, start, finish, done) -> None:
    """`pipelined` as an agent runs it, cancelled once `done()` holds (or after 2 s)."""
    agent = asyncio.ensure_future(pipelined(stream, 10, 0.01, "unit-test", start, finish))
    for _ in range(200):
        if done() or agent.done():
            break
        await asyncio.sleep(0.01)
    agent.cancel()
    try:
        await agent
    except asyncio.CancelledError:
        pass


def test_batches_finish_in_order_and_are_acked_after_their_finish():
    stream = FakeStream([[1, 2], [3], [4, 5]])
    log: list[tuple] = []
    running = 0
    most_running = 0

    async def start(events):
        nonlocal running, most_running
        running += 1
        most_running = max(most_running, running)
        await asyncio.sleep(0.03 if events[0] == 1 else 0.0)  # the first batch is the slowest
        running -= 1
        return sum(events)

    async def finish(events, total):
        assert not set(events) & set(stream.acked)
        log.append((events, total))

    timings = BATCH_SECONDS.labels("unit-test")
    before = timings._sum.get()
    asyncio.run(run_until(stream, start, finish, done=lambda: len(stream.acked) == 5))
    assert timings._sum.get() - before >= 0.03  # each batch timed from its start to its ack
    assert log == [([1, 2], 3), ([3], 3), ([4, 5], 9)]
    assert stream.acked == [1, 2, 3, 4, 5]
    assert most_running == 2  # the next batch started while one was in hand


def test_a_failing_finish_stops_the_agent_and_leaves_its_batch_unacked():
    stream = FakeStream([[1], [2], [3], [4]])

    async def start(events):
        return events

    async def finish(events, _):
        if events == [2]:
            raise RuntimeError("cannot send")

    with pytest.raises(RuntimeError, match="cannot send"):
        asyncio.run(run_until(stream, start, finish, done=lambda: False))
    assert 2 not in stream.acked and 1 in stream.acked

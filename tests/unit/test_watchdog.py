"""The stall detector: partitions behind while no owned partition's commit moved for the whole
window are stalled; a commit that moves anywhere, or waiting for something outside the worker,
is not a stall. At a stall the log names where each task waits."""

import asyncio

from pipeline.agents.watchdog import StallDetector, task_chains

RAW, UNIQUE = ("articles.raw", 0), ("articles.unique", 1)


def test_behind_with_nothing_committed_for_the_whole_window_is_stalled():
    detector = StallDetector(stall_s=20)
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 5)}, paused=False, now=0) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 5)}, paused=False, now=19) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 9)}, paused=False, now=20) == [RAW, UNIQUE]


def test_a_moving_commit_restarts_the_clock():
    detector = StallDetector(stall_s=20)
    detector.observe({RAW: (0, 16)}, paused=False, now=0)
    assert detector.observe({RAW: (4, 16)}, paused=False, now=15) == []
    assert detector.observe({RAW: (4, 16)}, paused=False, now=34) == []
    assert detector.observe({RAW: (4, 16)}, paused=False, now=35) == [RAW]


def test_progress_on_another_partition_is_a_busy_worker_not_a_stalled_one():
    # A dropped event can leave Faust reporting it in flight for ever, so only commits count.
    detector = StallDetector(stall_s=20)
    detector.observe({RAW: (0, 16), UNIQUE: (0, 900)}, paused=False, now=0)
    assert detector.observe({RAW: (0, 16), UNIQUE: (300, 900)}, paused=False, now=15) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (600, 900)}, paused=False, now=30) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (900, 900)}, paused=False, now=45) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (900, 900)}, paused=False, now=65) == [RAW]


def test_waiting_for_something_outside_starts_the_clock_again():
    detector = StallDetector(stall_s=20)
    detector.observe({RAW: (0, 16)}, paused=False, now=0)
    assert detector.observe({RAW: (0, 16)}, paused=True, now=40) == []  # e.g. Elasticsearch down
    assert detector.observe({RAW: (0, 16)}, paused=False, now=45) == []
    assert detector.observe({RAW: (0, 16)}, paused=False, now=65) == [RAW]


def test_no_longer_owned_is_forgotten():
    detector = StallDetector(stall_s=20)
    detector.observe({RAW: (0, 16)}, paused=False, now=0)
    detector.observe({UNIQUE: (0, 3)}, paused=False, now=10)
    assert detector.observe({RAW: (0, 20), UNIQUE: (0, 3)}, paused=False, now=25) == []  # owned again: a fresh clock
    assert detector.observe({RAW: (0, 20), UNIQUE: (0, 3)}, paused=False, now=45) == [RAW, UNIQUE]


def chains_while_waiting(waiter) -> list[str]:
    """`task_chains()` taken while `waiter(event)` runs as a task and waits for `event`."""
    async def main() -> str:
        event = asyncio.Event()
        task = asyncio.ensure_future(waiter(event))
        await asyncio.sleep(0)
        chains = task_chains()
        event.set()
        await task
        return chains

    return asyncio.run(main()).splitlines()


def test_task_chains_name_where_each_task_waits() -> None:
    async def inner(event: asyncio.Event) -> None:
        await event.wait()

    async def outer(event: asyncio.Event) -> None:
        await inner(event)

    line = next(line for line in chains_while_waiting(outer) if "outer" in line)
    assert line.strip().startswith("outer (unit/test_watchdog.py:")
    assert "> inner (unit/test_watchdog.py:" in line and "> wait (asyncio/locks.py:" in line


def test_task_chains_see_into_async_for() -> None:
    async def source(event: asyncio.Event):
        while True:
            await event.wait()
            yield 1

    async def consume(event: asyncio.Event) -> None:
        async for _ in source(event):
            break

    chains = chains_while_waiting(consume)
    # The task's own chain stops at the `async for` step; the generator's line goes on from there.
    assert any(line.strip().startswith("consume (") and line.endswith("async_generator_asend") for line in chains)
    assert any(line.strip().startswith("async for: source (unit/test_watchdog.py:") and "> wait (asyncio/locks.py:" in line
               for line in chains)

"""Faust's Kafka transport with one fix: after a rebalance, a partition nothing was committed on
yet is read again from its beginning.

At a rebalance Faust drops the events it had fetched but not yet handed to an agent, then seeks
every partition back to its committed offset to read them again. aiokafka's `seek_to_committed`
only moves partitions whose committed offset is above 0; a partition without one kept its fetch
position past the dropped events, so they were never read, never acked, and the partition
stopped there for good (faust-streaming issue #629 reports the same: no fetch for such a
partition until the worker restarts). Reading such a partition from its beginning is what the
group's `auto_offset_reset="earliest"` means, and what a restarted worker does.
"""

from __future__ import annotations

from collections.abc import Mapping

from faust.transport.drivers import aiokafka
from faust.types import TP


class Consumer(aiokafka.Consumer):
    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        # Table changelogs are positioned by Faust's recovery, not by commits: leave them be.
        never = [tp for tp, offset in committed.items() if not offset and not self._is_changelog_tp(tp)]
        if never:
            await self._thread.seek_to_beginning(*never)
        return committed


class Transport(aiokafka.Transport):
    Consumer = Consumer

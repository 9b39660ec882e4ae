"""The worker group as Kafka sees it: its members, its committed offsets and its lag, read with
kafka-python's admin client (for `wirestream status`, the stall detector, /metrics and the tests)."""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from pipeline.settings import Settings


class GroupOffsets:
    """The worker group's (the Faust app id's) committed and end offsets, over one admin client
    and one consumer kept open between calls."""

    def __init__(self, settings: Settings) -> None:
        self.group = settings.faust.app_id
        self._admin = KafkaAdminClient(**settings.kafka.client_config())
        self._consumer = KafkaConsumer(**settings.kafka.client_config(), enable_auto_commit=False)

    def positions(self, topics: Sequence[str]) -> dict[tuple[str, int], tuple[int, int]]:
        """(topic, partition) -> (committed offset, end offset); committed is 0 where nothing was."""
        partitions = [TopicPartition(topic, p) for topic in topics
                      for p in self._consumer.partitions_for_topic(topic) or ()]
        committed = self._admin.list_group_offsets({self.group: partitions})[self.group]
        end = self._consumer.end_offsets(partitions)
        return {(tp.topic, tp.partition): (max(committed[tp].offset, 0) if tp in committed else 0, end[tp])
                for tp in partitions}

    def lag(self, topic: str) -> int:
        """Events on `topic` that the group has not committed yet: 0 once every agent reading it
        has finished with everything on it."""
        return sum(end - committed for committed, end in self.positions([topic]).values())

    def describe(self) -> tuple[str, list[str]]:
        """The group's state ("Stable", "PreparingRebalance", "Empty", ...) and its members, as
        client id@host."""
        group = self._admin.describe_groups([self.group])[self.group]
        return group["group_state"], sorted(f"{member['client_id']}@{member['client_host']}" for member in group["members"])

    def members(self) -> int | None:
        """How many workers the group has once it is stable (every partition assigned); None while
        it is rebalancing."""
        state, members = self.describe()
        return len(members) if state == "Stable" else None

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()

"""Which alerts are already on their topic: read back when a worker stopped between recording an
alert and hearing it was sent (see `pipeline.alerts.ledger`)."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from pipeline.settings import Settings

#: Read from this much before the alert was recorded: record times come from the producers' clocks.
CLOCK_SKEW_MS = 60_000
READ_TIMEOUT_S = 30.0


class ReadBackError(RuntimeError):
    """The alert topic could not be read to its end."""


def already_sent(settings: Settings, topic: str, ids: set[str], since_ms: int) -> set[str]:
    """Those of `ids` that are keys of records on `topic` (one partition) from `since_ms` on."""
    consumer = KafkaConsumer(**settings.kafka.client_config(), enable_auto_commit=False,
                             group_id=None)
    try:
        if not consumer.partitions_for_topic(topic):
            return set()  # never created: nothing was sent to it
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        start = consumer.offsets_for_times({partition: max(0, since_ms - CLOCK_SKEW_MS)})[partition]
        if start is None:
            return set()  # no record since then
        end = consumer.end_offsets([partition])[partition]
        consumer.seek(partition, start.offset)
        found: set[str] = set()
        deadline = time.monotonic() + READ_TIMEOUT_S
        while consumer.position(partition) < end:
            if time.monotonic() > deadline:
                raise ReadBackError(f"{topic}: not read to offset {end} within {READ_TIMEOUT_S:.0f} s")
            for records in consumer.poll(timeout_ms=1_000).values():
                found.update(key for record in records if record.key and (key := record.key.decode()) in ids)
        return found
    except KafkaError as error:
        raise ReadBackError(f"{topic}: {type(error).__name__}: {error}") from error
    finally:
        consumer.close()

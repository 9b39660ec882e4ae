"""Reading the dead-letter topics back: what was refused, at which stage, and why.

Every stage sends what it cannot use to a dead-letter topic instead of stopping (`articles.dlq`
for input and the agents, `articles.index-dlq` for what Elasticsearch rejects), so these topics
are where a newsroom looks when a story is missing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from pipeline.settings import Settings
from pipeline.topics import read_to_end
from schemas import DeadLetter


@dataclass(frozen=True)
class Letter:
    """A dead letter and where it is: `topic@partition:offset`."""

    position: str
    letter: DeadLetter


@dataclass
class DeadLetters:
    """What the dead-letter topics hold, oldest letter first."""

    letters: list[Letter]
    #: Records on the topics that are not dead letters (written by something else).
    unreadable: int = 0

    def by_reason(self) -> list[tuple[tuple[str, str], int]]:
        """(stage, reason) with their counts, the most frequent first."""
        return Counter((item.letter.stage, item.letter.reason) for item in self.letters).most_common()


def read_dead_letters(settings: Settings, timeout_s: float = 30) -> DeadLetters:
    """Every dead letter on both dead-letter topics, oldest first. Raises LookupError when neither
    topic exists, TimeoutError when they cannot be read to their end within `timeout_s`."""
    topics = [settings.topics.dlq, settings.topics.index_dlq]
    consumer = KafkaConsumer(**settings.kafka.client_config(), enable_auto_commit=False,
                             group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise LookupError(f"no topic {' or '.join(topics)} on this Kafka: `wirestream topics create` makes them")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        found = DeadLetters([])
        for record in read_to_end(consumer, timeout_s, what=f"{' and '.join(topics)} to their end"):
            try:
                letter = DeadLetter.model_validate_json(record.value)
            except ValidationError:
                found.unreadable += 1
                continue
            found.letters.append(Letter(f"{record.topic}@{record.partition}:{record.offset}", letter))
    finally:
        consumer.close()
    found.letters.sort(key=lambda item: item.letter.occurred_at)
    return found

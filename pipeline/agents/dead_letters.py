"""What every agent does with input it cannot use: name where it came from, and publish the
dead letter with its reason, keyed by that position."""

from __future__ import annotations

import logging

import faust

from pipeline.agents.exits import within
from schemas import DeadLetter

log = logging.getLogger(__name__)


def position(event: faust.EventT) -> str:
    """`topic@partition:offset`: where a refused event can be found again."""
    return f"{event.message.topic}@{event.message.partition}:{event.message.offset}"


async def publish(topic: faust.TopicT, letter: DeadLetter) -> None:
    log.warning("%s: %s refused: %s", letter.stage, letter.input, letter.reason)
    await within(topic.send(key=letter.input.encode(), value=letter.model_dump_json().encode()), "a dead letter's send")

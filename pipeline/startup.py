"""What a worker does before Faust starts: check what it will need, and wait for what may still be
starting. `wirestream worker` calls `prepare`, then runs the app (`pipeline.agents.app.create_worker`).

- The gazetteer must load: the model process reads it too, where an error would only show as dead
  letters on every story.
- Kafka may be starting or restarting: wait, saying so in one line per try, and create the
  pipeline's topics (`pipeline.topics`). A broker that answers but refuses is an error.
- `config/alerts.yaml` is applied; if it cannot be, the subscriptions already stored still apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafka.errors import KafkaError

from pipeline.alerts.commands import sync_file
from pipeline.alerts.subscriptions import SubscriptionError
from pipeline.enrich import GazetteerError, load_gazetteer
from pipeline.enrich.gazetteer import gazetteer_files
from pipeline.retrying import retry_forever
from pipeline.settings import CONFIG_DIR, Settings
from pipeline.topics import TopicError, ensure_topics

#: Told (level, one line) what start-up is doing or waiting for.
Say = Callable[[int, str], None]


class StartupError(RuntimeError):
    """Why the worker cannot start, in one line; waiting would not help."""


def prepare(settings: Settings, say: Say) -> None:
    """Everything above, in order; raises `StartupError`."""
    try:
        load_gazetteer(gazetteer_files(CONFIG_DIR))
    except GazetteerError as error:
        raise StartupError(str(error)) from None

    def waiting(error: BaseException, delay: float) -> None:
        say(logging.WARNING, f"waiting: cannot reach Kafka at {settings.kafka.bootstrap_servers} "
            f"({type(error).__name__}); retrying in {delay:.0f} s")

    # Without kafka-python's error line per connection attempt: the line above says it once per try.
    kafka_log = logging.getLogger("kafka")
    level, kafka_log.level = kafka_log.level, logging.CRITICAL
    try:
        retry_forever((KafkaError,), waiting)(ensure_topics, settings)
    except TopicError as error:
        raise StartupError(str(error)) from None
    finally:
        kafka_log.setLevel(level)
    try:
        if changed := sync_file(settings):
            say(logging.INFO, f"alerts: saved {', '.join(changed)} from config/alerts.yaml")
    except (SubscriptionError, KafkaError, TimeoutError) as error:
        say(logging.WARNING, f"warning: config/alerts.yaml not applied: {error}")

"""`wirestream alerts ...`: add, list, remove and sync subscriptions, and tail a subscription's alerts."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Annotated, Optional

import typer
from kafka.errors import KafkaError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.alerts.lucene import compile_query
from pipeline.alerts.store import SubscriptionStore
from pipeline.alerts.subscriptions import ALERTS_FILE, SubscriptionError, canonical, load_subscriptions, parse_subscription
from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.search import QueryError
from pipeline.settings import CONFIG_DIR, Settings
from pipeline.topics import TopicError
from pipeline.views import fail, print_alert, settings_or_exit
from schemas.alerts import Alert, Subscription

#: How many alert ids `alerts tail` remembers to show a resent alert once.
SHOWN_IDS = 100_000

alerts_app = typer.Typer(
    help="Alert subscriptions: each story that matches one is published to the topic `alerts.<name>`.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

Names = Optional[list[str]]


def checked(subscriptions: list[Subscription]) -> list[Subscription]:
    """Subscriptions in canonical form, each query parsed and checked for what alert matching
    supports; raises `SubscriptionError` before anything is stored."""
    gazetteer = load_gazetteer(gazetteer_files(CONFIG_DIR))
    subscriptions = [canonical(sub, gazetteer) for sub in subscriptions]
    for sub in subscriptions:
        if sub.query:
            try:
                compile_query(sub.query)
            except QueryError as error:
                raise SubscriptionError(f"subscription {sub.name!r}: query: {error}") from None
    return subscriptions


def sync_file(settings: Settings) -> list[str]:
    """Store the subscriptions of `config/alerts.yaml` that are new or changed; returns their names."""
    return SubscriptionStore(settings).sync(checked(load_subscriptions(CONFIG_DIR / ALERTS_FILE)))


@alerts_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Letters, digits, '_' or '-'; alerts go to `alerts.<name>`.")],
    person: Annotated[Names, typer.Option("--person", help="Canonical person name; repeat for several.")] = None,
    org: Annotated[Names, typer.Option("--org", help="Canonical organisation name.")] = None,
    place: Annotated[Names, typer.Option("--place", help="Canonical place name.")] = None,
    group: Annotated[Names, typer.Option("--group", help="Nationality, religious or political group.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Require all the entities given, not any one.")] = False,
    phrase: Annotated[Names, typer.Option("--phrase", help="A word or phrase; any one of several matches.")] = None,
    query: Annotated[Optional[str], typer.Option(help="Lucene query: words, \"phrases\", AND/OR/NOT, field:value, word*; e.g. 'preemptive AND Iran'.")] = None,
    section: Annotated[Names, typer.Option("--section", help="Only stories in this section.")] = None,
    source: Annotated[Names, typer.Option("--source", help="Only stories from this source.")] = None,
    min_salience: Annotated[float, typer.Option(help="Matched entities must be at least this central (0-1).")] = 0.0,
    updates: Annotated[bool, typer.Option("--updates", help="Alert again on every new version of a story.")] = False,
) -> None:
    """Add or replace a subscription. Every criterion given must match; entities are matched by
    canonical name (aliases in the gazetteer are accepted: --person Esper means Mark Esper)."""
    settings = settings_or_exit()
    entities = [f"{kind}:{value}" for kind, values in
                (("person", person), ("organisation", org), ("place", place), ("group", group)) for value in values or []]
    data = {"name": name, "all_entities" if all_ else "any_entities": entities, "phrases": phrase or [],
            "query": query, "sections": section or [], "sources": source or [],
            "min_salience": min_salience, "updates": updates}
    store = SubscriptionStore(settings)
    try:
        [subscription] = checked([parse_subscription(data)])
        store.put(subscription)
    except (SubscriptionError, TopicError) as error:
        raise fail(str(error)) from None
    except KafkaError as error:
        raise fail(settings.kafka.unreachable(error)) from None
    console.print(f"subscription [bold]{name}[/] saved; alerts go to {store.topic(name)} "
                  f"(follow with `wirestream alerts tail {name}`)")


@alerts_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """Show every subscription the workers follow."""
    settings = settings_or_exit()
    try:
        subscriptions = SubscriptionStore(settings).load()
    except (KafkaError, TimeoutError) as error:
        raise fail(settings.kafka.unreachable(error, "read subscriptions from Kafka")) from None
    if as_json:
        print(json.dumps([sub.model_dump(mode="json") for sub in subscriptions.values()], indent=2))
        return
    table = Table("name", "matches", "filters", "updates")
    for sub in sorted(subscriptions.values(), key=lambda s: s.name):
        what = [("any of " if len(sub.any_entities) > 1 else "") + ", ".join(map(str, sub.any_entities))] if sub.any_entities else []
        what += [f"all of {', '.join(map(str, sub.all_entities))}"] if sub.all_entities else []
        what += [f"phrase {', '.join(repr(p) for p in sub.phrases)}"] if sub.phrases else []
        what += [f"query {sub.query}"] if sub.query else []
        filters = [f"section {', '.join(sub.sections)}"] if sub.sections else []
        filters += [f"source {', '.join(sub.sources)}"] if sub.sources else []
        filters += [f"salience ≥ {sub.min_salience:g}"] if sub.min_salience else []
        table.add_row(sub.name, escape("; ".join(what)), escape("; ".join(filters)) or "-", "yes" if sub.updates else "no")
    console.print(table if subscriptions else "no subscriptions yet: `wirestream alerts add NAME --person ...`")


@alerts_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The subscription to remove.")]) -> None:
    """Remove a subscription; its topic and the alerts on it stay. One defined in config/alerts.yaml
    comes back when a worker starts, unless it is removed from the file too."""
    if not SubscriptionStore(settings_or_exit()).remove(name):
        raise fail(f"no subscription named {name!r} (see `wirestream alerts list`)")
    console.print(f"subscription [bold]{name}[/] removed")


@alerts_app.command("sync")
def sync() -> None:
    """Store the subscriptions of config/alerts.yaml (workers also do this when they start)."""
    try:
        changed = sync_file(settings_or_exit())
    except SubscriptionError as error:
        raise fail(str(error)) from None
    console.print(f"saved: {', '.join(changed)}" if changed else "every subscription in the file is stored already")


@alerts_app.command("tail")
def tail(
    name: Annotated[str, typer.Argument(help="The subscription to follow.")],
    from_beginning: Annotated[bool, typer.Option("--from-beginning", help="Show the alerts already sent too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON alert per line, for scripts.")] = False,
    count: Annotated[Optional[int], typer.Option(min=1, help="Stop after this many alerts.")] = None,
) -> None:
    """Follow a subscription's alerts as they arrive (Ctrl-C to stop). Any Kafka consumer can read
    the topic `alerts.<name>` too: each record is one alert as JSON, keyed by its id."""
    from kafka import KafkaConsumer

    settings = settings_or_exit()
    store = SubscriptionStore(settings)
    topic = store.topic(name)
    consumer = KafkaConsumer(**settings.kafka.client_config(), enable_auto_commit=False,
                             auto_offset_reset="earliest" if from_beginning else "latest")
    if topic not in consumer.topics():
        consumer.close()
        raise fail(f"no alerts topic {topic!r}: add the subscription first (`wirestream alerts add {name} ...`)")
    consumer.subscribe([topic])
    if not as_json:
        err.print(f"following {topic}{' from the beginning' if from_beginning else ''}; Ctrl-C to stop")
    seen = 0
    shown: OrderedDict[bytes, None] = OrderedDict()  # alert ids, the latest SHOWN_IDS of them
    try:
        for message in consumer:
            # A worker that stalled and woke after its partitions moved can send an alert again, same id.
            if message.key in shown:
                continue
            shown[message.key] = None
            if len(shown) > SHOWN_IDS:
                shown.popitem(last=False)
            try:
                if as_json:  # scripts get the record as it is, if it is JSON at all
                    print(json.dumps(json.loads(message.value or b"")), flush=True)
                else:
                    print_alert(Alert.model_validate_json(message.value or b""), console)
            except (ValueError, ValidationError) as error:  # not an alert: say so and carry on
                reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else "not JSON"
                err.print(f"[yellow]skipped[/] a record at offset {message.offset} that is no alert: {escape(reason)}",
                          highlight=False)
                continue
            seen += 1
            if count and seen >= count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


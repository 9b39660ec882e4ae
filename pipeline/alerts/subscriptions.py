"""Subscriptions from `config/alerts.yaml`, checked and put in canonical form: pure, no I/O but the file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from pipeline.enrich.gazetteer import Gazetteer
from schemas.alerts import EntityRef, Subscription

ALERTS_FILE = "alerts.yaml"


class SubscriptionError(ValueError):
    """A subscription that cannot be accepted, in one line naming what is wrong."""


def parse_subscription(data: dict, where: str = "subscription") -> Subscription:
    """A validated subscription, or `SubscriptionError` naming the field."""
    try:
        return Subscription.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        name = data.get("name") if isinstance(data, dict) else None
        label = f"{where} {name!r}" if isinstance(name, str) else where
        raise SubscriptionError(f"{label}: {field + ': ' if field else ''}{message}") from None


def load_subscriptions(path: Path) -> list[Subscription]:
    """The subscriptions in a YAML file (`subscriptions:` list); none when the file is absent."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SubscriptionError(f"{path}: cannot read: {' '.join(str(error).split())}") from None
    items = data.get("subscriptions", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SubscriptionError(f"{path}: expected a `subscriptions:` list")
    subscriptions = [parse_subscription(item, f"{path}: subscription") for item in items]
    names = [sub.name for sub in subscriptions]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise SubscriptionError(f"{path}: subscription names must be unique: {', '.join(repeated)}")
    return subscriptions


def canonical(subscription: Subscription, gazetteer: Gazetteer) -> Subscription:
    """The subscription with each entity under its canonical name (`person:Esper` -> `person:Mark
    Esper`), so it matches what the enrichment emits. Names the gazetteer does not know stay."""
    def resolve(refs: Iterable[EntityRef]) -> list[EntityRef]:
        return [EntityRef(type=ref.type, name=gazetteer.canonical(ref.type, ref.name)) for ref in refs]

    return subscription.model_copy(
        update={"any_entities": resolve(subscription.any_entities), "all_entities": resolve(subscription.all_entities)}
    )

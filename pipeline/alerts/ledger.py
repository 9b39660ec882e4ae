"""What one story has been alerted: an entry of the `alerts-sent` table, and what to do with a match. Pure.

An alert and the table write that records it are two Kafka records; a worker killed between them
would leave one without the other. So the record goes first, marked *unconfirmed* with the time,
and is written (and acknowledged) before the alert is sent; once the alert is acknowledged the mark
is cleared. A story read again with a mark still on (its worker died in between) is looked for on
its alert topic from that time: sent once, never twice, never lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum

from pipeline.alerts.matching import should_alert
from schemas.alerts import Subscription


class Action(Enum):
    SEND = "send"
    #: This version's alert may or may not have gone out before its worker stopped: look on the topic.
    VERIFY = "verify"
    SKIP = "skip"


@dataclass
class Unconfirmed:
    """An alert recorded but not yet known to be on its topic."""

    since_ms: int
    is_update: bool


@dataclass
class Ledger:
    """One story's entry: the last version alerted to each subscription, and which are unconfirmed."""

    partition: int
    at: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)
    unconfirmed: dict[str, Unconfirmed] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: bytes | None, partition: int) -> Ledger:
        if not raw:
            return cls(partition)
        entry = json.loads(raw)
        return cls(entry["p"], entry["at"], entry["sent"],
                   {name: Unconfirmed(*mark) for name, mark in entry.get("unconfirmed", {}).items()})

    def dump(self) -> bytes:
        unconfirmed = {name: [mark.since_ms, mark.is_update] for name, mark in self.unconfirmed.items()}
        return json.dumps({"at": self.at, "p": self.partition, "sent": self.sent, "unconfirmed": unconfirmed}).encode()

    def action(self, sub: Subscription, version: int) -> Action:
        """What to do with `version` of the story, which matched `sub`."""
        if should_alert(sub, version, self.sent.get(sub.name)):
            return Action.SEND
        if self.sent.get(sub.name) == version and sub.name in self.unconfirmed:
            return Action.VERIFY
        return Action.SKIP

    def record(self, name: str, version: int, now_ms: int) -> Unconfirmed:
        """`version` is about to be alerted to `name`; returns its mark."""
        mark = self.unconfirmed[name] = Unconfirmed(now_ms, is_update=name in self.sent)
        self.sent[name] = version
        self.at = now_ms / 1000
        return mark

    def confirm(self, names: set[str]) -> bool:
        """The alerts to `names` are on their topics; whether that changed the entry."""
        cleared = [self.unconfirmed.pop(name) for name in names if name in self.unconfirmed]
        return bool(cleared)

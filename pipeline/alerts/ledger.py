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
    """An alert (of one version to one subscription) recorded but not yet known to be on its topic."""

    version: int
    since_ms: int
    is_update: bool


@dataclass
class Ledger:
    """One story's entry: the last version alerted to each subscription, and the alerts (versions)
    to each that are unconfirmed. Several versions of one story can be unconfirmed at once (a batch
    that held two of them, cut short), and each is confirmed on its own: a batch read again can
    come back split in two."""

    partition: int
    at: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)
    unconfirmed: dict[str, list[Unconfirmed]] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: bytes | None, partition: int) -> Ledger:
        if not raw:
            return cls(partition)
        entry = json.loads(raw)
        sent = entry["sent"]
        unconfirmed = {}
        for name, marks in entry.get("unconfirmed", {}).items():
            if marks and not isinstance(marks[0], list):  # written before 2026-12-05: one mark, of the last version
                marks = [[sent[name], *marks]]
            unconfirmed[name] = [Unconfirmed(*mark) for mark in marks]
        return cls(entry["p"], entry["at"], sent, unconfirmed)

    def dump(self) -> bytes:
        unconfirmed = {name: [[mark.version, mark.since_ms, mark.is_update] for mark in marks]
                       for name, marks in self.unconfirmed.items()}
        return json.dumps({"at": self.at, "p": self.partition, "sent": self.sent, "unconfirmed": unconfirmed}).encode()

    def action(self, sub: Subscription, version: int) -> Action:
        """What to do with `version` of the story, which matched `sub`."""
        if should_alert(sub, version, self.sent.get(sub.name)):
            return Action.SEND
        if self.mark(sub.name, version):
            return Action.VERIFY
        return Action.SKIP

    def mark(self, name: str, version: int) -> Unconfirmed | None:
        """The mark of `version`'s alert to `name`, if it is unconfirmed."""
        return next((mark for mark in self.unconfirmed.get(name, ()) if mark.version == version), None)

    def record(self, name: str, version: int, now_ms: int) -> Unconfirmed:
        """`version` is about to be alerted to `name`; returns its mark."""
        mark = Unconfirmed(version, now_ms, is_update=name in self.sent)
        self.unconfirmed.setdefault(name, []).append(mark)
        self.sent[name] = version
        self.at = now_ms / 1000
        return mark

    def confirm(self, alerts: set[tuple[str, int]]) -> bool:
        """The alerts of these (subscription, version) are on their topics; whether that changed the entry."""
        changed = False
        for name, version in alerts:
            if mark := self.mark(name, version):
                self.unconfirmed[name].remove(mark)
                if not self.unconfirmed[name]:
                    del self.unconfirmed[name]
                changed = True
        return changed

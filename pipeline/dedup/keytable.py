"""A multimap from hash keys to small integers in two flat arrays: the dedup index's lookups.

The index looks a text up by about twenty keys (its MinHash bands and its openings) and verifies
every story it finds, so a key needs only 32 of its bits: a false match is one more candidate to
compare, not a wrong decision. As Python dicts of ids (and sets where stories share a key) those
lookups cost about 2 KB a story; here an entry is 8 bytes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np

_EMPTY, _DELETED = 0, 1  # key values that mark a free entry; real keys 0 and 1 are stored as 2 and 3
# Grown by 1.23x, from 65% full to 80% full: a power-of-two table grown by 2x is a quarter to three
# quarters full, so at times uses twice the memory, for probes hardly shorter.
_MAX_LOAD, _LOAD_AFTER_GROWTH = 0.8, 0.65


def _stored(key: int) -> int:
    key &= 0xFFFFFFFF
    return key if key > _DELETED else key + 2


class KeyTable:
    """Keys to slot numbers, several slots per key allowed: open addressing with linear probing."""

    def __init__(self, capacity: int = 1021) -> None:
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self._keys = array("I", bytes(4 * capacity))
        self._slots = array("i", bytes(4 * capacity))
        self._capacity = capacity
        self._live = 0
        self._used = 0  # live and deleted entries: what lengthens a probe

    def __len__(self) -> int:
        return self._live

    def add(self, key: int, slot: int) -> None:
        if self._used + 1 > _MAX_LOAD * self._capacity:
            self._rehash()
        key = _stored(key)
        keys, capacity = self._keys, self._capacity
        position = key % capacity
        while keys[position] > _DELETED:
            position = (position + 1) % capacity
        if keys[position] == _EMPTY:
            self._used += 1
        keys[position], self._slots[position] = key, slot
        self._live += 1

    def get(self, key: int) -> Iterator[int]:
        """The slots stored under `key` (and, rarely, under a key with the same low 32 bits)."""
        key = _stored(key)
        keys, slots, capacity = self._keys, self._slots, self._capacity
        position = key % capacity
        while (there := keys[position]) != _EMPTY:
            if there == key:
                yield slots[position]
            position = (position + 1) % capacity

    def discard(self, key: int, slot: int) -> None:
        key = _stored(key)
        keys, slots, capacity = self._keys, self._slots, self._capacity
        position = key % capacity
        while (there := keys[position]) != _EMPTY:
            if there == key and slots[position] == slot:
                keys[position] = _DELETED
                self._live -= 1
                return
            position = (position + 1) % capacity

    def _rehash(self) -> None:
        """Room for the live entries at `_LOAD_AFTER_GROWTH`, without the deleted ones.

        Placed all at once, not entry by entry (a table of a million entries grows often): sorted
        by home position, each entry goes to its home or just after the entry before it, whichever
        is later, so position i = i + the running maximum of (home - i). The few that run past the
        end wrap round to the start, placed one by one."""
        keys, slots = np.frombuffer(self._keys, dtype=np.uint32), np.frombuffer(self._slots, dtype=np.int32)
        live = keys > _DELETED
        keys, slots = keys[live], slots[live]
        self._allocate(max(1021, int((len(keys) + 1) / _LOAD_AFTER_GROWTH)) | 1)
        homes = (keys % np.uint32(self._capacity)).astype(np.int64)
        order = np.argsort(homes, kind="stable")
        keys, slots, homes = keys[order], slots[order], homes[order]
        steps = np.arange(len(homes))
        positions = np.maximum.accumulate(homes - steps) + steps
        fits = positions < self._capacity
        table_keys, table_slots = np.frombuffer(self._keys, dtype=np.uint32), np.frombuffer(self._slots, dtype=np.int32)
        table_keys[positions[fits]], table_slots[positions[fits]] = keys[fits], slots[fits]
        self._live = self._used = int(fits.sum())
        for key, slot in zip(keys[~fits].tolist(), slots[~fits].tolist()):
            self.add(key, slot)

"""LSH banding over MinHash values: texts that agree on all rows of any band are candidates."""

from __future__ import annotations

#: LSH recalls candidates a little below the threshold, so that estimation noise costs no recall:
#: 16 bands of 4 values is datasketch's optimum for a threshold of 0.4 with 64 permutations.
LSH_BANDS, LSH_ROWS = 16, 4


class Bands:
    """LSH banding over MinHash values: stories that agree on all rows of any band are candidates.

    datasketch's `MinHashLSH` does the same, but keeps a Python set per bucket and every band key
    twice: 4.3 of the 9.5 KB a story cost in memory. Here a bucket holds one id, or a set only when
    stories collide, and band keys are recomputed from the values when a story is removed.
    """

    def __init__(self, bands: int = LSH_BANDS, rows: int = LSH_ROWS) -> None:
        self._slices = [slice(band * rows * 4, (band + 1) * rows * 4) for band in range(bands)]
        self._buckets: list[dict[int, str | set[str]]] = [{} for _ in range(bands)]

    def _keys(self, minhash: bytes) -> list[int]:
        return [hash(minhash[part]) for part in self._slices]

    def insert(self, story_id: str, minhash: bytes) -> None:
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if there is None:
                buckets[key] = story_id
            elif isinstance(there, set):
                there.add(story_id)
            elif there != story_id:
                buckets[key] = {there, story_id}

    def remove(self, story_id: str, minhash: bytes) -> None:
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if there == story_id:
                del buckets[key]
            elif isinstance(there, set):
                there.discard(story_id)
                if len(there) == 1:
                    buckets[key] = next(iter(there))

    def candidates(self, minhash: bytes) -> set[str]:
        found: set[str] = set()
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if isinstance(there, set):
                found |= there
            elif there is not None:
                found.add(there)
        return found


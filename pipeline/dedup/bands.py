"""LSH banding over MinHash values: texts that agree on all rows of any band are candidates."""

from __future__ import annotations

#: LSH recalls candidates a little below the threshold, so that estimation noise costs no recall:
#: 16 bands of 4 values is datasketch's optimum for a threshold of 0.4 with 64 permutations.
LSH_BANDS, LSH_ROWS = 16, 4

_SLICES = [slice(band * LSH_ROWS, (band + 1) * LSH_ROWS) for band in range(LSH_BANDS)]
#: Added to each band's hash, so that two bands holding the same values give different keys.
_BAND_SALT = 0x9E3779B1


def band_keys(minhash: bytes) -> list[int]:
    """One lookup key per band of a MinHash (a byte a value, `Text.minhash`): the band's hash.

    datasketch's `MinHashLSH` keeps a Python set per bucket and every band key twice (4.3 of the
    9.5 KB a story once cost); the index keeps these keys in a `KeyTable` instead."""
    return [hash(minhash[part]) + band * _BAND_SALT for band, part in enumerate(_SLICES)]

"""What a story's text looks like to the duplicate detector.

Copies of a wire story differ in what does not matter: whitespace, quote styles, case, the
outlet's boilerplate lines. `normalise` removes those; then three fingerprints are taken:

- `exact`: a hash of the normalised headline and body. Equal means the same story, re-sent.
- `minhash`: a MinHash of the body's word 4-shingles, for near-duplicates. MinHash with LSH
  (rather than SimHash) because its estimate is the Jaccard similarity of the shingle sets, a
  measure with a meaning a threshold can be set on, and LSH finds candidates in constant time.
- `lead` and `prefix`: a hash of the body's first words, to find a truncated copy (a lead
  alone), whose Jaccard similarity with the full story is low but which starts exactly as the
  story does; and 16-bit hashes of the first 200 words, to confirm that the copy is word for
  word the story's beginning and not another story that opens with the same quote.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
SHINGLE_WORDS = 4
LEAD_WORDS = 30
PREFIX_WORDS = 200

_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00ab": '"', "\u00bb": '"'}
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Lines outlets add around a wire story; they say nothing about which story it is.
_BOILERPLATE = re.compile(
    r"^(?:\(?(?:AP|Reuters|AFP|VOA)\)?\s*[-–—]?\s*$|copyright\b.*|all rights reserved.*|read more\b.*|"
    r"click here\b.*|follow us\b.*|related stories\s*$|subscribe\b.*|this (?:story|article) (?:was|has been) updated.*)$",
    re.IGNORECASE,
)
# One seed for every process, so MinHashes from any worker compare.
_SCHEME = "affine32"
_SHINGLE_BASE = 1_000_003
_A, _B = (row.reshape(1, -1) for row in MinHash(num_perm=NUM_PERM, seed=1, scheme=_SCHEME).permutations)


def normalise(text: str) -> str:
    """Lower-case words, unified quotes and whitespace, boilerplate lines removed."""
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _QUOTES.items():  # str.replace is far faster than str.translate here
        text = text.replace(curly, straight)
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not _BOILERPLATE.match(line)]
    return " ".join(" ".join(kept).lower().split())


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


@dataclass(frozen=True)
class Fingerprint:
    exact: str
    lead: str | None
    prefix: bytes
    minhash: bytes  # NUM_PERM uint32 values, little-endian
    word_count: int


def fingerprint(headline: str, body: str) -> Fingerprint:
    tokens = words(body)
    head = " ".join(words(headline))
    exact = hashlib.blake2b(f"{head}\x1f{' '.join(tokens)}".encode(), digest_size=16).hexdigest()
    lead = (
        hashlib.blake2b(" ".join(tokens[:LEAD_WORDS]).encode(), digest_size=16).hexdigest()
        if len(tokens) >= LEAD_WORDS
        else None
    )
    hashes = _word_hashes(tokens)
    prefix = (hashes[:PREFIX_WORDS] & np.uint64(0xFFFF)).astype("<u2").tobytes()
    return Fingerprint(exact, lead, prefix, _minhash(hashes), len(tokens))


def is_prefix(part: bytes, whole: bytes) -> bool:
    """Whether the words behind `part` begin the words behind `whole` (up to `PREFIX_WORDS`)."""
    return len(part) <= len(whole) and whole.startswith(part)


class _WordHashes(dict):
    """word -> its CRC32, remembered: news vocabulary repeats, and a lookup is far cheaper than a hash."""

    MAX_WORDS = 500_000

    def __missing__(self, word: str) -> int:
        if len(self) >= self.MAX_WORDS:
            self.clear()
        value = self[word] = zlib.crc32(word.encode())
        return value


_WORD_HASHES = _WordHashes()


def _word_hashes(tokens: list[str]) -> np.ndarray:
    return np.fromiter(map(_WORD_HASHES.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def _minhash(word_hashes: np.ndarray) -> bytes:
    """datasketch's affine32 MinHash of the word 4-shingles, computed in numpy.

    Same values as `MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").update_batch(shingles)`
    (a unit test holds it to that), without its per-value Python list and call, which cost more
    than the hashing itself. Each shingle's 32-bit hash is a polynomial of its words' hashes,
    computed for all shingles at once.
    """
    if len(word_hashes) == 0:
        word_hashes = np.zeros(1, dtype=np.uint64)
    size = min(SHINGLE_WORDS, len(word_hashes))
    count = len(word_hashes) - size + 1
    shingles = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        shingles = (shingles * np.uint64(_SHINGLE_BASE) + word_hashes[offset : offset + count]) & np.uint64(0xFFFFFFFF)
    # Repeated shingles need no np.unique: they cannot change a minimum.
    values = _fmix32(shingles.astype(np.uint32)).reshape(-1, 1) * _A + _B
    return values.min(axis=0).astype("<u4").tobytes()


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, which datasketch applies before its affine permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))

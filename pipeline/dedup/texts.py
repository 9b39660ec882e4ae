"""One text's fingerprints, and how two texts relate: the evidence the identity rules weigh.

Pure comparisons of two `Text`s; `pipeline.dedup.index` decides what a relation means for a
story (a copy, a version, a merge).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import Enum

import numpy as np

from pipeline.dedup.fingerprint import (LEAD_WORDS, NUM_PERM, PREFIX_WORDS, fingerprint, is_prefix, opening_overlap,
                                        pack_prefix)

#: Estimated Jaccard similarity of shingle sets from which two texts under different ids are one story...
NEAR_THRESHOLD = 0.6
#: ...provided their openings (first 40 tokens) overlap at least this much, unless the similarity
#: reaches `SURE_THRESHOLD` (a paragraph added after the lead changes the opening, not the story).
OPENING_THRESHOLD = 0.5
SURE_THRESHOLD = 0.8
#: Under one id, a changed text is the same story when its shingles overlap this much, or its
#: opening overlaps `SAME_ID_OPENING`; below both, it is unrelated text under a colliding id.
SAME_ID_JACCARD = 0.15
SAME_ID_OPENING = 0.4
#: Under one id, a text of at least this many tokens that begins the other is a lead of it.
SAME_ID_MIN_TOKENS = 4
#: A part longer than the prefix window must also have this share of its shingles in the whole.
LONG_PART_CONTAINMENT = 0.7
#: A shorter text with this estimated share of its shingles in the other is a cut of it, where the
#: two are known to be one story, or open alike.
ESTIMATED_CONTAINMENT = 0.8
#: A text is fuller than another when it has at least this many tokens more.
FULLER_MIN_TOKENS = 8


class Relation(Enum):
    EXACT = "exact"
    PART = "part"  # the new text begins the other (a lead, a truncation)
    FULLER = "fuller"  # the other begins the new text (the short copy came first)
    RELATED = "related"  # a changed text of the same story
    EARLIER = "earlier"  # a copy of an earlier version of the story
    UNRELATED = "unrelated"


#: Bits kept of each MinHash value (b-bit minwise hashing, Li and König 2010): two texts' values
#: agree by chance once in 2**bits, which `jaccard` corrects for; a quarter of the memory of 32.
MINHASH_BITS = 8
_CHANCE = 2.0**-MINHASH_BITS
_HEAD = struct.Struct("<I8s")  # word count, the first 8 bytes of the exact digest (equal by chance: 2**-64)
_MINHASH_AT = _HEAD.size
_OPENINGS_AT = _MINHASH_AT + NUM_PERM + 1  # after the MinHash and the count of opening keys


class Text(bytes):
    """The fingerprints of one text (see `pipeline.dedup.fingerprint`), packed in one bytes object
    of about 350 bytes: the index keeps one for every text of every story, and a Python object per
    fingerprint (a dataclass of five, each its own bytes) cost twice that. Layout: word count,
    exact digest, `MINHASH_BITS`-bit MinHash values, the opening keys (count, then their low 32 bits:
    they find and compare a few candidates, so a chance match costs a comparison, not a decision),
    the packed prefix (`pack_prefix`)."""

    __slots__ = ()

    @classmethod
    def of(cls, headline: str, body: str) -> Text:
        print_ = fingerprint(headline, body)
        return cls.from_parts(print_.exact, print_.openings, print_.prefix, print_.minhash, print_.word_count)

    @classmethod
    def from_parts(cls, exact: str, openings: Sequence[int], prefix: bytes, minhash: bytes, word_count: int) -> Text:
        """From full-width fingerprints, as `fingerprint` makes them: the digest in hex, the opening
        keys as ints, 16-bit prefix hashes and 32-bit MinHash values."""
        values = np.frombuffer(minhash, dtype="<u4") & ((1 << MINHASH_BITS) - 1)
        return cls.packed(bytes.fromhex(exact), openings, pack_prefix(prefix), values.astype("u1").tobytes(), word_count)

    @classmethod
    def packed(cls, exact: bytes, openings: Sequence[int], prefix: bytes, minhash: bytes, word_count: int) -> Text:
        """From the packed forms the properties below return (opening keys of any width)."""
        keys = [key & 0xFFFFFFFF for key in openings]
        return cls(b"".join((_HEAD.pack(word_count, exact[:8]), minhash, bytes([len(keys)]),
                             struct.pack(f"<{len(keys)}I", *keys), prefix)))

    @property
    def word_count(self) -> int:
        return _HEAD.unpack_from(self)[0]

    @property
    def exact(self) -> bytes:
        return self[4:_MINHASH_AT]

    @property
    def minhash(self) -> bytes:
        return self[_MINHASH_AT : _MINHASH_AT + NUM_PERM]

    def values(self) -> np.ndarray:
        return np.frombuffer(self, dtype="u1", count=NUM_PERM, offset=_MINHASH_AT)

    def opening_keys(self) -> tuple[int, ...]:
        return struct.unpack_from(f"<{self[_OPENINGS_AT - 1]}I", self, _OPENINGS_AT)

    @property
    def prefix(self) -> bytes:
        return self[_OPENINGS_AT + 4 * self[_OPENINGS_AT - 1] :]


def same_id_relation(fresh: Text, known: Text) -> Relation:
    """How a text relates to another under the same id: the id vouches for a short lead (a few
    tokens that begin the other), but a changed text must share words with it."""
    if fresh.exact == known.exact:
        return Relation.EXACT
    if relation := containing(fresh, known, SAME_ID_MIN_TOKENS):
        return relation
    if min(fresh.word_count, known.word_count) >= LEAD_WORDS and (
        jaccard(fresh, known) >= SAME_ID_JACCARD or opening_overlap(fresh.prefix, known.prefix) >= SAME_ID_OPENING
    ):
        return Relation.RELATED
    return Relation.UNRELATED


def strong_relation(fresh: Text, known: Text) -> Relation | None:
    """How a text relates to another under a different id, on strong evidence only: the same
    text, one the beginning of the other, or a near-duplicate whose opening agrees. None below."""
    if fresh.exact == known.exact:
        return Relation.EXACT
    if min(fresh.word_count, known.word_count) < LEAD_WORDS:
        return None  # too little text to say it is another id's copy
    similarity = jaccard(fresh, known)
    if similarity >= NEAR_THRESHOLD and (
        similarity >= SURE_THRESHOLD or opening_overlap(fresh.prefix, known.prefix) >= OPENING_THRESHOLD
    ):
        return containing(fresh, known, LEAD_WORDS) or Relation.RELATED
    if not set(fresh.opening_keys()).isdisjoint(known.opening_keys()):
        return containing(fresh, known, LEAD_WORDS)
    return None


def refine(fresh: Text, known: Text) -> Relation:
    """A RELATED pair, already known to be one story, looked at again: a text a sentence or more
    shorter whose shingles nearly all lie in the other is a cut of it, even where it does not begin
    the same way; a text that holds nearly all of a shorter one's is fuller."""
    if fuller(known, fresh) and containment(fresh, known) >= ESTIMATED_CONTAINMENT:
        return Relation.PART
    if fuller(fresh, known) and containment(known, fresh) >= ESTIMATED_CONTAINMENT:
        return Relation.FULLER
    return Relation.RELATED


def containing(fresh: Text, known: Text, minimum: int) -> Relation | None:
    """PART when `fresh` begins `known`, FULLER when the other way round; neither when the shorter
    has fewer than `minimum` tokens, or when both have the same tokens (a new headline over the
    same text is a related text, not a copy). A part is a sentence or more shorter, unless it was
    checked token for token to its end: a few words changed far into a long text make a changed
    text, not a cut."""
    if min(fresh.word_count, known.word_count) < minimum:
        return None
    if fresh.word_count < known.word_count and (fuller(known, fresh) or checked_part(fresh, known)) and begins(fresh, known):
        return Relation.PART
    if fuller(fresh, known) and begins(known, fresh):
        return Relation.FULLER
    return None


def checked_part(part: Text, whole: Text) -> bool:
    """Whether `part` was checked token for token to its end as the beginning of `whole`: a cut
    for certain, whatever its timestamp says (elsewhere a part was judged by its shingles)."""
    return part.word_count <= PREFIX_WORDS and _token_prefix(part, whole)


def fuller(fresh: Text, known: Text) -> bool:
    """Whether `fresh` has more text than `known` by at least a short sentence: a few words more
    (an outlet's credit, a reworded phrase) do not make a copy the story's fuller text."""
    return fresh.word_count >= known.word_count + FULLER_MIN_TOKENS


def begins(part: Text, whole: Text) -> bool:
    """Whether `part` is the beginning of `whole`: token for token as far as the prefix window
    reaches, and by its shingles beyond; or, where a paragraph was put on top or inserted since,
    one of `part`'s first paragraphs opens as one of `whole`'s does and nearly all its shingles
    are in `whole`."""
    if _token_prefix(part, whole):
        return part.word_count <= PREFIX_WORDS or containment(part, whole) >= LONG_PART_CONTAINMENT
    return not set(part.opening_keys()).isdisjoint(whole.opening_keys()) and containment(part, whole) >= ESTIMATED_CONTAINMENT


def _token_prefix(part: Text, whole: Text) -> bool:
    """Whether `part`'s tokens begin `whole`'s, as far as the prefix window reaches."""
    return is_prefix(part.prefix, part.word_count, whole.prefix, whole.word_count)


def jaccard(a: Text, b: Text) -> float:
    """The MinHash estimate of the Jaccard similarity of two texts' shingle sets, less the values
    that agree by chance in their low `MINHASH_BITS` bits."""
    agree = np.count_nonzero(a.values() == b.values()) / NUM_PERM
    return max(0.0, (agree - _CHANCE) / (1 - _CHANCE))


def containment(part: Text, whole: Text) -> float:
    """Estimated share of `part`'s shingles found in `whole`: |A∩B| = J/(1+J)·(|A|+|B|)."""
    similarity = jaccard(part, whole)
    shared = similarity / (1 + similarity) * (part.word_count + whole.word_count)
    return max(0.0, min(1.0, shared / max(1, part.word_count)))

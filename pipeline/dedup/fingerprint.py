"""What a story's text looks like to the duplicate detector.

Copies of a wire story differ in what does not matter: whitespace, quote styles, case, the
outlet's boilerplate lines. `normalise` removes those; `tokens` cuts the result into words of
any script (Unicode letters and digits), and into single characters for the scripts that do not
put spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese), so a shingle of four
tokens is four words in English and four characters in Chinese. Then the fingerprints:

- `exact`: a hash of the normalised headline and body text itself (not of its tokens, so two
  texts in a script the tokenizer knows nothing of never collide). Equal means the same story.
- `minhash`: a MinHash of the body's 4-token shingles, for near-duplicates. MinHash with LSH
  (rather than SimHash) because its estimate is the Jaccard similarity of the shingle sets, a
  measure with a meaning a threshold can be set on, and LSH finds candidates in constant time.
- `openings` and `prefix`: hashes of the first tokens of the text and of its second and third
  paragraphs, to find a truncated copy (a lead alone), whose Jaccard similarity with the full story
  is low but which starts as the story does, or as the story did before a paragraph was put on
  top; and hashes of the first 200 tokens (16 bits each for the first 40, a byte for each two after: `pack_prefix`),
  to confirm that one text is token for token the beginning of the other, and to compare how two
  stories open.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from pipeline.ingest.datelines import split_dateline

NUM_PERM = 64
SHINGLE_WORDS = 4
#: A text with fewer tokens is never found inside another text, nor another inside it.
LEAD_WORDS = 15
#: Tokens hashed into an opening key, taken at the start of each of the first `OPENING_PARAGRAPHS`.
OPENING_TOKENS = 10
OPENING_PARAGRAPHS = 3
PREFIX_WORDS = 200
#: The prefix's first tokens, those `opening_overlap` compares, keep 16 bits of their hash; after them
#: a byte for each two tokens is enough to tell a text that goes on differently (a pair with a
#: different token has 255 chances in 256 to show), for a sixth of the memory.
WIDE_PREFIX_WORDS = 40
_NO_TOKEN = 1 << 16
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the product's top byte mixes every bit of the pair

# Typographic punctuation as ASCII: quote styles differ between copies, and most English text then
# takes the tokenizer's fast ASCII path.
_PUNCTUATION = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00ab": '"',
                "\u00bb": '"', "\u2014": " - ", "\u2013": "-", "\u2026": "..."}
# Scripts written without spaces between words: each character is a token.
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Letters and digits of any other script; combining marks of the Indic blocks stay inside their word.
_WORD_CHAR = rf"[^\W_{_UNSPACED}]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0dff]"
_TOKEN = re.compile(rf"[{_UNSPACED}]|(?:{_WORD_CHAR})+(?:'(?:{_WORD_CHAR})+)?")
# The same tokens for a lower-case ASCII text, found three times faster.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)?")
# Lines outlets add around a wire story; they say nothing about which story it is: a tag line
# ("(AP) —", "(METRO-HERALD) —"), copyright and promotion lines.
_BOILERPLATE = re.compile(
    r"^(?:\(?(?:AP|Reuters|AFP|VOA)\)?\s*[-–—]?\s*$|\(?[a-z][\w.&' -]{0,30}\)?\s*[-–—]+\s*$|copyright\b.*|all rights reserved.*|read more\b.*|"
    r"click here\b.*|follow us\b.*|related stories\s*$|subscribe\b.*|continue reading\b.*|"
    r"read the (?:full|whole) (?:story|article)\b.*|this (?:story|article) (?:was|has been) updated.*)$",
    re.IGNORECASE,
)
# One seed for every process, so MinHashes from any worker compare.
_SCHEME = "affine32"
_SHINGLE_BASE = 1_000_003
_A, _B = (row.reshape(1, -1) for row in MinHash(num_perm=NUM_PERM, seed=1, scheme=_SCHEME).permutations)


def normalise(text: str) -> str:
    """Lower-case text with unified quotes and whitespace, boilerplate lines removed."""
    text = unicodedata.normalize("NFKC", text)
    for typographic, plain in _PUNCTUATION.items():  # str.replace is far faster than str.translate here
        text = text.replace(typographic, plain)
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not _BOILERPLATE.match(line)]
    return " ".join(" ".join(kept).lower().split())


def tokens(normalised: str) -> list[str]:
    """Words of a normalised text, and single characters of the scripts without spaces."""
    return (_ASCII_TOKEN if normalised.isascii() else _TOKEN).findall(normalised)


def words(text: str) -> list[str]:
    return tokens(normalise(text))


@dataclass(frozen=True)
class Fingerprint:
    exact: str
    openings: tuple[int, ...]  # keys of the text's first tokens and of its 2nd and 3rd paragraphs' first tokens
    prefix: bytes  # 16-bit hashes of the first PREFIX_WORDS tokens, little-endian
    minhash: bytes  # NUM_PERM uint32 values, little-endian
    word_count: int


def fingerprint(headline: str, body: str) -> Fingerprint:
    body = split_dateline(body.lstrip())[1]
    # The first paragraphs one by one (where they start is what `openings` keys), the rest at once:
    # the same text and tokens as the whole body normalised in one piece.
    parts = [normalise(part) for part in body.split("\n\n", OPENING_PARAGRAPHS)]
    text = " ".join(part for part in parts if part)
    part_tokens = [tokens(part) for part in parts]
    body_tokens = [token for chunk in part_tokens for token in chunk]
    exact = hashlib.blake2b(f"{normalise(headline)}\x1f{text}".encode(), digest_size=16).hexdigest()
    hashes = _word_hashes(body_tokens)
    prefix = (hashes[:PREFIX_WORDS] & np.uint64(0xFFFF)).astype("<u2").tobytes()
    starts = np.cumsum([0, *map(len, part_tokens[:OPENING_PARAGRAPHS - 1])]).tolist()
    return Fingerprint(exact, _openings(starts, body_tokens), prefix, _minhash(hashes), len(body_tokens))


def _openings(starts: list[int], body_tokens: list[str]) -> tuple[int, ...]:
    """Keys of `OPENING_TOKENS` tokens from where the first paragraphs start (where there are that
    many tokens left)."""
    keys = []
    for start in dict.fromkeys(starts):
        if start + OPENING_TOKENS <= len(body_tokens):
            digest = hashlib.blake2b(" ".join(body_tokens[start : start + OPENING_TOKENS]).encode(), digest_size=8)
            keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return tuple(keys)


def pack_prefix(prefix: bytes) -> bytes:
    """16-bit prefix hashes (`Fingerprint.prefix`) as the index keeps them: the first
    `WIDE_PREFIX_WORDS` as they are, then one byte for each pair of tokens after them (a last
    token alone is paired with a value no token has)."""
    wide = 2 * WIDE_PREFIX_WORDS
    rest = np.frombuffer(prefix[wide:], dtype="<u2").astype(np.uint64)
    if len(rest) % 2:
        rest = np.append(rest, np.uint64(_NO_TOKEN))
    pairs = (rest[0::2] << np.uint64(17)) | rest[1::2]
    return prefix[:wide] + ((pairs * np.uint64(_GOLDEN)) >> np.uint64(56)).astype("u1").tobytes()


def is_prefix(part: bytes, part_words: int, whole: bytes, whole_words: int) -> bool:
    """Whether the tokens behind `part` begin the tokens behind `whole` (up to `PREFIX_WORDS`), both
    packed prefixes (`pack_prefix`) of texts of so many words.

    The last token of a text shorter than the window is left out: a copy cut in the middle of a
    word ends with a token the whole story does not have. (After the wide tokens, the one before it
    goes unchecked too when it is half of a pair.)"""
    checked = min(part_words, PREFIX_WORDS) - (part_words < PREFIX_WORDS)
    if checked > min(whole_words, PREFIX_WORDS):
        return False
    length = 2 * min(checked, WIDE_PREFIX_WORDS) + max(0, checked - WIDE_PREFIX_WORDS) // 2
    return whole.startswith(part[:length])


def opening_overlap(a: bytes, b: bytes, tokens_: int = 40) -> float:
    """Jaccard similarity of the sets of the first `tokens_` tokens of two texts: how alike
    their openings are. A copy opens as the story does; a different story that reuses another's
    background paragraphs opens with its own news."""
    first = set(np.frombuffer(a[: 2 * tokens_], dtype="<u2").tolist())
    second = set(np.frombuffer(b[: 2 * tokens_], dtype="<u2").tolist())
    union = len(first | second)
    return len(first & second) / union if union else 0.0


class _WordHashes(dict):
    """word -> its CRC32, remembered: news vocabulary repeats, and a lookup is far cheaper than a hash."""

    MAX_WORDS = 500_000

    def __missing__(self, word: str) -> int:
        if len(self) >= self.MAX_WORDS:
            self.clear()
        value = self[word] = zlib.crc32(word.encode())
        return value


_WORD_HASHES = _WordHashes()


def _word_hashes(tokens_: list[str]) -> np.ndarray:
    return np.fromiter(map(_WORD_HASHES.__getitem__, tokens_), dtype=np.uint64, count=len(tokens_))


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

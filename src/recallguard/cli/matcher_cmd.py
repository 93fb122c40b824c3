"""``recallguard matcher train`` and ``recallguard matcher predict``: the learned pair scorer.

    recallguard matcher train --left A.csv --right B.csv --pairs train.csv [--valid valid.csv] --model DIR
    recallguard matcher predict --model DIR --left A.csv --right B.csv --pairs test.csv --out preds.csv

Columns of A/B are mapped to product fields by common names (title/name, brand/manufacturer,
modelno/model, description, category, price) or by ``--field title=name``. Predictions are written as
``ltable_id, rtable_id, score, match`` (score a calibrated probability, match 0/1 at the model's threshold).
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import typer
from rich.console import Console

from recallguard.errors import UsageError

err = Console(stderr=True)
matcher_app = typer.Typer(help="Train and apply the learned pair scorer.", no_args_is_help=True)
PRED_COLUMNS = ("ltable_id", "rtable_id", "score", "match")

_FIELD_HELP = "Map a product field to a column, e.g. title=name (repeatable)."


@matcher_app.command("train")
def train(
    left: Path = typer.Option(..., "--left", help="Left table CSV (needs an id and a title column)."),
    right: Path = typer.Option(..., "--right", help="Right table CSV."),
    pairs: Path = typer.Option(..., "--pairs", help="Labelled pairs CSV: ltable_id, rtable_id, label."),
    model: Path = typer.Option(..., "--model", help="Model directory to write."),
    valid: Path | None = typer.Option(None, "--valid", help="Labelled pairs to report metrics on."),
    field: list[str] = typer.Option([], "--field", help=_FIELD_HELP),
    threshold_from: str = typer.Option(
        "train", "--threshold-from", help="Pick the max-F1 threshold on 'train' (held-out folds) or 'valid'."
    ),
    semantic: bool = typer.Option(False, "--semantic", help="Add static-embedding similarity features."),
) -> None:
    """Train a calibrated pair scorer from labelled pairs and save it to DIR.

    Example: recallguard matcher train --left A.csv --right B.csv --pairs train.csv --model m/
    """
    from recallguard.matching.pairs.model import PairScorer
    from recallguard.matching.pairs.records import parse_field_options, read_pairs, read_tables

    if threshold_from not in ("train", "valid"):
        raise UsageError(f"--threshold-from must be 'train' or 'valid', not {threshold_from!r}")
    if threshold_from == "valid" and valid is None:
        raise UsageError("--threshold-from valid needs --valid")
    t0 = time.perf_counter()
    overrides = parse_field_options(field)
    lt, rt = read_tables(left, right, overrides)
    train_pairs, labels = read_pairs(pairs, lt, rt, need_label=True)
    if len(set(labels)) < 2:
        raise UsageError(f"{pairs}: training needs both matching (1) and non-matching (0) pairs")
    valid_data = read_pairs(valid, lt, rt, need_label=True) if valid is not None else None
    sem = None
    if semantic:
        from recallguard.matching.semantic import load_semantic

        sem = load_semantic()
    err.print(f"training on {len(train_pairs)} pairs ({sum(labels)} matches), {len(lt)} + {len(rt)} records")
    scorer = PairScorer.train(
        lt, rt, train_pairs, labels, valid=valid_data, threshold_from=threshold_from, semantic=sem
    )
    scorer.metadata["training"].update(
        {"left": str(left), "right": str(right), "pairs": str(pairs), "field_overrides": overrides}
    )
    scorer.save(model)
    m = scorer.metadata
    summary = {
        "model": str(model),
        "version": m["version"],
        "threshold": round(scorer.threshold, 4),
        "heldout_f1": round(m["heldout"]["f1"], 4),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if "valid" in m:
        summary.update({f"valid_{k}": round(v, 4) for k, v in m["valid"].items() if k != "threshold"})
    err.print(json.dumps(summary))


@matcher_app.command("predict")
def predict(
    model: Path = typer.Option(..., "--model", help="Model directory written by 'matcher train'."),
    left: Path = typer.Option(..., "--left", help="Left table CSV."),
    right: Path = typer.Option(..., "--right", help="Right table CSV."),
    pairs: Path = typer.Option(..., "--pairs", help="Pairs CSV: ltable_id, rtable_id (label ignored)."),
    out: Path = typer.Option(..., "--out", help="Predictions CSV: ltable_id, rtable_id, score, match."),
    field: list[str] = typer.Option([], "--field", help=_FIELD_HELP),
) -> None:
    """Score pairs with a trained model and write calibrated probabilities and 0/1 matches.

    Example: recallguard matcher predict --model m/ --left A.csv --right B.csv --pairs test.csv --out p.csv
    """
    from recallguard.matching.pairs.model import PairScorer
    from recallguard.matching.pairs.records import parse_field_options, read_pairs, read_tables

    scorer = PairScorer.load(model)
    overrides = parse_field_options(field)
    if not overrides:
        overrides = dict(scorer.metadata.get("training", {}).get("field_overrides") or {})
    lt, rt = read_tables(left, right, overrides)
    id_pairs, _ = read_pairs(pairs, lt, rt, need_label=False)
    t0 = time.perf_counter()
    scores = scorer.score_pairs(lt, rt, id_pairs)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PRED_COLUMNS)
        for (lid, rid), s in zip(id_pairs, scores, strict=True):
            w.writerow([lid, rid, f"{s:.6f}", int(s >= scorer.threshold)])
    took = time.perf_counter() - t0
    err.print(
        f"{len(id_pairs)} pairs scored in {took:.1f}s; {int((scores >= scorer.threshold).sum())} matches "
        f"at threshold {scorer.threshold:.3f} -> {out}"
    )


def register(app: typer.Typer) -> None:
    """Attach the ``matcher`` command group to the root CLI."""
    app.add_typer(matcher_app, name="matcher")

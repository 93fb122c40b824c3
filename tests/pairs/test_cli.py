"""``recallguard matcher train/predict`` as a user runs them, and the errors they see."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from recallguard.cli import matcher_cmd
from recallguard.errors import InputError

from .conftest import DATA

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a root with two entries keeps the "matcher" group name
    matcher_cmd.register(app)
    return app


def _invoke(*args: str) -> object:
    return runner.invoke(_app(), ["matcher", *args], catch_exceptions=True)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m") / "model"
    r = _invoke(
        "train",
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(DATA / "tableB.csv"),
        "--pairs",
        str(DATA / "train.csv"),
        "--valid",
        str(DATA / "valid.csv"),
        "--model",
        str(out),
    )
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    return out


def test_predict_writes_scores_and_0_1_matches(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    r = _invoke(
        "predict",
        "--model",
        str(model_dir),
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(DATA / "tableB.csv"),
        "--pairs",
        str(DATA / "valid.csv"),
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["ltable_id", "rtable_id", "score", "match"]
    assert len(rows) == sum(1 for _ in (DATA / "valid.csv").open()) - 1
    assert {r["match"] for r in rows} <= {"0", "1"}
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)
    labels = {
        (r["ltable_id"], r["rtable_id"]): r["label"] for r in csv.DictReader((DATA / "valid.csv").open())
    }
    correct = sum(r["match"] == labels[(r["ltable_id"], r["rtable_id"])] for r in rows)
    assert correct / len(rows) >= 0.9


def test_field_option_maps_an_unusual_column(model_dir: Path, tmp_path: Path) -> None:
    src = list(csv.reader((DATA / "tableB.csv").open()))
    src[0] = [
        "id",
        "product_label",
        "manufacturer",
        "model",
        "description",
        "price",
    ]  # "title" under another name
    odd = tmp_path / "odd.csv"
    csv.writer(odd.open("w", newline="")).writerows(src)
    base = [
        "predict",
        "--model",
        str(model_dir),
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(odd),
        "--pairs",
        str(DATA / "valid.csv"),
        "--out",
        str(tmp_path / "p.csv"),
    ]
    r = _invoke(*base)
    assert r.exit_code != 0
    assert isinstance(r.exception, InputError)  # type: ignore[attr-defined]
    assert "odd.csv" in str(r.exception) and "title" in str(r.exception)  # type: ignore[attr-defined]
    r = _invoke(*base, "--field", "title=product_label")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert len(list(csv.DictReader((tmp_path / "p.csv").open()))) > 0


def test_unknown_id_in_pairs_names_file_line_and_column(model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pairs.csv"
    bad.write_text("ltable_id,rtable_id\n0,0\n1,99999\n")
    r = _invoke(
        "predict",
        "--model",
        str(model_dir),
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(DATA / "tableB.csv"),
        "--pairs",
        str(bad),
        "--out",
        str(tmp_path / "p.csv"),
    )
    message = str(r.exception)  # type: ignore[attr-defined]
    assert isinstance(r.exception, InputError)  # type: ignore[attr-defined]
    assert "pairs.csv" in message and "line 3" in message and "rtable_id" in message and "99999" in message


def test_pairs_file_without_a_label_column_cannot_train(tmp_path: Path) -> None:
    shutil.copy(DATA / "valid.csv", tmp_path / "v.csv")
    unlabeled = tmp_path / "train.csv"
    unlabeled.write_text("ltable_id,rtable_id\n0,0\n")
    r = _invoke(
        "train",
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(DATA / "tableB.csv"),
        "--pairs",
        str(unlabeled),
        "--model",
        str(tmp_path / "m"),
    )
    assert isinstance(r.exception, InputError)  # type: ignore[attr-defined]
    assert "train.csv" in str(r.exception) and "label" in str(r.exception)  # type: ignore[attr-defined]


def test_field_naming_a_column_in_neither_table_is_an_error(model_dir: Path, tmp_path: Path) -> None:
    r = _invoke(
        "predict",
        "--model",
        str(model_dir),
        "--left",
        str(DATA / "tableA.csv"),
        "--right",
        str(DATA / "tableB.csv"),
        "--pairs",
        str(DATA / "valid.csv"),
        "--out",
        str(tmp_path / "p.csv"),
        "--field",
        "title=no_such_column",
    )
    assert isinstance(r.exception, InputError)  # type: ignore[attr-defined]
    assert "no_such_column" in str(r.exception) and "tableA.csv" in str(r.exception)  # type: ignore[attr-defined]

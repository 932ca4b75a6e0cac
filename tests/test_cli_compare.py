"""`labelview compare`: a user scoring predictions against ground truth from the terminal."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from labelview import cli
from labelview.convert import convert

DEMO = Path(__file__).resolve().parents[1] / "labelview" / "demo" / "demo_export.json"


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _coco(path: Path, annotations: list[dict]) -> Path:
    document = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80},
            {"id": 2, "file_name": "b.jpg", "width": 100, "height": 80},
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": [
            {"id": n, "iscrowd": 0, "area": a["bbox"][2] * a["bbox"][3], **a}
            for n, a in enumerate(annotations, start=1)
        ],
    }
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def exports(tmp_path: Path) -> tuple[Path, Path]:
    truth = _coco(
        tmp_path / "truth.json",
        [
            {"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20]},
            {"image_id": 1, "category_id": 2, "bbox": [50, 0, 20, 20]},
            {"image_id": 2, "category_id": 2, "bbox": [10, 10, 30, 30]},
        ],
    )
    predicted = _coco(
        tmp_path / "predicted.json",
        [
            {"image_id": 1, "category_id": 1, "bbox": [1, 0, 20, 20], "score": 0.9},
            {"image_id": 1, "category_id": 1, "bbox": [50, 1, 20, 20], "score": 0.8},  # wrong
            {"image_id": 2, "category_id": 2, "bbox": [60, 50, 10, 10], "score": 0.4},  # extra
        ],
    )
    return truth, predicted


def test_compare_prints_the_table_matrix_and_worst_images(capsys, exports) -> None:
    code, out, err = _run(capsys, "compare", *exports)
    assert code == 0, err
    lines: dict[str, list[str]] = {}
    for line in out.splitlines():  # the table's rows come before the matrix's of the same name
        if line.strip():
            lines.setdefault(line.split()[0], line.split())
    # class refs cands TP FP FN prec recall F1 AP AP50
    assert lines["cat"][1:6] == ["1", "2", "1", "1", "0"]
    assert lines["dog"][1:6] == ["2", "1", "0", "1", "2"]
    assert lines["all"][1:6] == ["3", "3", "1", "2", "2"]
    assert "wrong class: 1" in out
    assert "mAP@[.5:.95]" in out
    assert "confusion matrix" in out
    assert "a.jpg: 0 FP, 0 FN, 1 wrong class" in out
    assert "b.jpg: 1 FP, 1 FN, 0 wrong class" in out


def test_compare_score_threshold_and_files(capsys, exports, tmp_path) -> None:
    report, table = tmp_path / "r.json", tmp_path / "t.csv"
    code, _, err = _run(
        capsys, "compare", *exports, "--score", "0.5", "--json", report, "--csv", table
    )
    assert code == 0, err
    result = json.loads(report.read_text())
    assert result["score"] == 0.5
    rows = {row["class"]: row for row in result["classes"]}
    assert (rows["dog"]["fp"], rows["dog"]["fn"]) == (0, 2)  # the 0.4 extra is below the bar
    assert result["confusion"]["labels"] == ["cat", "dog", "(background)"]
    assert result["confusion"]["matrix"] == [[1, 0, 0], [1, 0, 1], [0, 0, 0]]
    assert result["average_precision"]["iou_type"] == "bbox"
    with table.open() as handle:
        by_class = {row["class"]: row for row in csv.DictReader(handle)}
    assert by_class["cat"]["precision"] == "0.5"
    assert set(by_class) == {"cat", "dog", "all"}
    # written files are never overwritten without --force
    code, _, err = _run(capsys, "compare", *exports, "--json", report)
    assert code == 1
    assert "exists; pass --force" in err


def test_compare_a_video_export_with_its_coco_conversion(capsys, tmp_path) -> None:
    convert(DEMO, tmp_path / "coco", "coco")
    code, out, err = _run(capsys, "compare", DEMO, tmp_path / "coco" / "annotations.json")
    assert code == 0, err
    totals = next(line.split() for line in out.splitlines() if line.startswith("all "))
    assert totals[6:9] == ["1.000", "1.000", "1.000"]  # precision, recall, F1


def test_compare_bad_input_is_one_line(capsys, exports, tmp_path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = _run(capsys, "compare", exports[0], broken)
    assert code == 1
    assert err.startswith("error: ")
    assert "broken.json" in err
    assert "Traceback" not in err
    code, _, err = _run(capsys, "compare", exports[0], tmp_path / "missing.json")
    assert code == 1
    assert "no such file" in err
